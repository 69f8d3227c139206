"""The benchmark result readers: every format's fixture (layouts cited in the fixtures' README), and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config_explorer.bench_results import MeasuredPoint, parse_results, read_many, read_results
from config_explorer.errors import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "bench_results"


def test_vllm_bench_serve_closed_loop() -> None:
    (point,) = read_results(FIXTURES / "vllm_bench_serve.json")
    assert point.format == "vllm"
    assert point.model_id == "meta-llama/Llama-3.1-8B-Instruct"
    assert (point.input_length, point.output_length) == (1024, 256)
    assert (point.arrival, point.concurrency, point.request_rate) == ("closed_loop", 32, None)
    assert point.num_prompts == 320
    assert point.ttft_ms_mean == 312.4 and point.ttft_ms_median == 298.7 and point.ttft_ms_p99 == 540.3
    assert point.tpot_ms_mean == 15.41 and point.itl_ms_p99 == 48.6
    assert point.e2e_ms_mean == 4241.8
    assert point.output_throughput_tok_s == 1922.5 and point.request_throughput_req_s == 7.51


def test_old_benchmark_serving_poisson() -> None:
    (point,) = read_results(FIXTURES / "benchmark_serving_old.json")
    assert (point.arrival, point.concurrency, point.request_rate) == ("poisson", None, 4.0)
    assert (point.input_length, point.output_length) == (512, 128)


def test_sglang_jsonl_one_point_a_line() -> None:
    points = read_results(FIXTURES / "sglang_bench_serving.jsonl")
    assert [p.format for p in points] == ["sglang", "sglang"]
    assert [p.concurrency for p in points] == [1, 16]
    assert all(p.arrival == "closed_loop" for p in points)  # request_rate Infinity = unlimited
    assert points[1].e2e_ms_mean == 3745.0 and points[1].itl_ms_median == 13.2
    assert [p.index for p in points] == [0, 1]


def test_guidellm_benchmarks_with_their_strategies() -> None:
    concurrent, constant = read_results(FIXTURES / "guidellm_report.json")
    assert concurrent.format == "guidellm"
    assert (concurrent.arrival, concurrent.concurrency) == ("closed_loop", 8)
    assert (constant.arrival, constant.request_rate) == ("poisson", 2.0)
    assert concurrent.e2e_ms_mean == pytest.approx(2541.0)  # request_latency is in seconds
    assert concurrent.ttft_ms_p99 == 96.4 and concurrent.itl_ms_mean == 9.74
    assert concurrent.tpot_ms_mean is None  # guidellm's TPOT counts the first token: not vLLM's TPOT
    assert concurrent.num_prompts == 240


def test_genai_perf_profile_export() -> None:
    (point,) = read_results(FIXTURES / "profile_export_genai_perf.json")
    assert point.format == "genai-perf"
    assert (point.input_length, point.output_length, point.concurrency) == (2048, 256, 16)
    assert point.ttft_ms_mean == 102.3 and point.ttft_ms_median == 95.2 and point.itl_ms_p99 == 10.2
    assert point.output_throughput_tok_s == 1641.0 and point.num_prompts == 192


def test_aiperf_nests_load_under_loadgen_and_converts_units() -> None:
    doc = {
        "time_to_first_token": {"unit": "ns", "avg": 50_000_000.0},
        "inter_token_latency": {"unit": "ms", "avg": 9.0},
        "input_sequence_length": {"unit": "tokens", "avg": 100.0},
        "output_sequence_length": {"unit": "tokens", "avg": 20.0},
        "input_config": {"loadgen": {"request_rate": 3.0}},
    }
    (point,) = parse_results(json.dumps(doc), "profile_export_aiperf.json")
    assert point.ttft_ms_mean == pytest.approx(50.0)
    assert (point.arrival, point.request_rate) == ("poisson", 3.0)


def test_trtllm_bench_report() -> None:
    (point,) = read_results(FIXTURES / "trtllm_bench_report.json")
    assert point.format == "trtllm-bench"
    assert (point.input_length, point.output_length, point.concurrency) == (1024, 1024, 256)
    assert point.tpot_ms_mean == 14.36 and point.ttft_ms_p99 == 2301.1
    assert point.e2e_ms_median == 15880.1 and point.output_throughput_tok_s == 16391.2


def test_every_fixture_is_read() -> None:
    raw = FIXTURES / "genai_perf_profile_export.json"  # recognised and refused (no token counts)
    files = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".json", ".jsonl") and p != raw)
    points = read_many(files)
    assert {p.format for p in points} == {
        "vllm",
        "sglang",
        "guidellm",
        "genai-perf",
        "trtllm-bench",
        "aiperf-records",
    }
    assert all(isinstance(p, MeasuredPoint) for p in points)
    assert all(p.ttft_ms is not None or p.output_throughput_tok_s is not None for p in points)


# -- bad input: one ParseError naming the file and the field, never the file's contents ------------
def test_unknown_layout_names_the_file_not_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "mystery.json"
    path.write_text(json.dumps({"api_key": "hunter2-secret", "value": 3}))
    with pytest.raises(ParseError) as info:
        read_results(path)
    message = str(info.value)
    assert "mystery.json" in message and "known formats" in message
    assert "hunter2" not in message


def test_missing_lengths_name_the_field(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "vllm_bench_serve.json").read_text())
    for key in ("completed", "total_input_tokens"):
        del data[key]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ParseError, match=r"run\.json: vllm result #0: field 'total_input_tokens' is missing"):
        read_results(path)


def test_a_field_of_the_wrong_kind_is_named(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "vllm_bench_serve.json").read_text())
    data["mean_ttft_ms"] = "fast"
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ParseError, match="'mean_ttft_ms' is not a number") as info:
        read_results(path)
    assert "fast" not in str(info.value)


def test_a_guidellm_strategy_it_does_not_know(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "guidellm_report.json").read_text())
    data["benchmarks"][0]["scheduler"]["strategy"] = {"type_": "sweep-of-the-future"}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ParseError, match=r"g\.json: guidellm result #0: field 'scheduler.strategy.type_'"):
        read_results(path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "holds no results"),
        ("{not json\n", "line 1 is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"benchmarks": []}', "'benchmarks' is empty"),
    ],
)
def test_text_that_is_no_result(text: str, pattern: str) -> None:
    with pytest.raises(ParseError, match=pattern):
        parse_results(text, "x.json")


def test_a_folder_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="a folder"):
        read_results(tmp_path)


def test_negative_figures_are_refused() -> None:
    doc = json.loads((FIXTURES / "vllm_bench_serve.json").read_text())
    doc["mean_itl_ms"] = -1
    with pytest.raises(ParseError, match="'mean_itl_ms' is negative"):
        parse_results(json.dumps(doc), "neg.json")


# -- per-request exports ----------------------------------------------------------------------------
def _aiperf_lines() -> list[dict[str, object]]:
    text = (FIXTURES / "aiperf_profile_export.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_aiperf_per_request_records_make_one_run() -> None:
    """aiperf's profile_export.jsonl: the run's statistics from its four requests, by hand."""
    lines = _aiperf_lines()
    (point,) = read_results(FIXTURES / "aiperf_profile_export.jsonl")
    ttft = [r["metrics"]["time_to_first_token"]["value"] for r in lines]  # type: ignore[index]
    latency = [r["metrics"]["request_latency"]["value"] for r in lines]  # type: ignore[index]
    outputs = [r["metrics"]["output_sequence_length"]["value"] for r in lines]  # type: ignore[index]
    starts = [r["metadata"]["request_start_ns"] for r in lines]  # type: ignore[index]
    ends = [r["metadata"]["request_end_ns"] for r in lines]  # type: ignore[index]
    span_s = (max(ends) - min(starts)) / 1e9  # type: ignore[type-var, operator]
    assert point.format == "aiperf-records" and point.num_prompts == 4
    assert point.ttft_ms_mean == pytest.approx(sum(ttft) / 4)  # type: ignore[arg-type]
    assert point.e2e_ms_median == pytest.approx(sorted(latency)[1] / 2 + sorted(latency)[2] / 2)  # type: ignore[operator]
    assert point.output_length == round(sum(outputs) / 4)  # type: ignore[arg-type]
    assert point.request_throughput_req_s == pytest.approx(4 / span_s)
    # the load is not in the file: Little's law gives the requests in flight, here the 4 it ran with
    assert (point.arrival, point.concurrency) == ("closed_loop", round(sum(latency) / 1000 / span_s))  # type: ignore[arg-type]
    assert point.concurrency == 4


def test_aiperf_warmup_failed_and_cancelled_requests_are_left_out(tmp_path: Path) -> None:
    lines = _aiperf_lines()
    warm = json.loads(json.dumps(lines[0]))
    warm["metadata"]["benchmark_phase"] = "warmup"
    failed = json.loads(json.dumps(lines[1]))
    failed["error"] = {"code": 500, "type": "Internal Server Error", "message": "boom"}
    cancelled = json.loads(json.dumps(lines[2]))
    cancelled["metadata"]["was_cancelled"] = True
    path = tmp_path / "profile_export.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (warm, failed, cancelled, lines[3])) + "\n")
    (point,) = read_results(path)
    assert point.num_prompts == 1
    assert point.ttft_ms_mean == pytest.approx(lines[3]["metrics"]["time_to_first_token"]["value"])  # type: ignore[index]


def test_aiperf_records_bad_value_names_the_line_and_field(tmp_path: Path) -> None:
    lines = _aiperf_lines()
    lines[2]["metrics"]["request_latency"]["value"] = "fast"  # type: ignore[index]
    path = tmp_path / "profile_export.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    with pytest.raises(ParseError, match=r"line 3: metrics.request_latency.value' is not a number"):
        read_results(path)
    only_warmup = [dict(x, metadata={**x["metadata"], "benchmark_phase": "warmup"}) for x in _aiperf_lines()]  # type: ignore[dict-item]
    path.write_text("\n".join(json.dumps(x) for x in only_warmup) + "\n")
    with pytest.raises(ParseError, match="no successful profiling-phase request"):
        read_results(path)


def test_genai_perf_raw_export_is_refused_with_the_file_to_use() -> None:
    with pytest.raises(ParseError) as info:
        read_results(FIXTURES / "genai_perf_profile_export.json")
    message = str(info.value)
    assert "per-request profile_export.json" in message and "profile_export_genai_perf.json" in message
    assert "chat.completion.chunk" not in message  # never quotes the file
