"""Tests for reading llm-optimizer's text report and running its CLI.

How the fixtures in tests/fixtures/llm_optimizer/ were made:

- ``qwen3_4b_4xl40_bf16.txt`` is real upstream output: the report that ``llm-optimizer estimate --model
  Qwen/Qwen3-4B --input-len 1024 --output-len 512 --gpu L40 --num-gpus 4`` printed, as reproduced in the
  AWS Machine Learning blog's walkthrough of BentoML llm-optimizer (tuning-command lines included).
- ``llama31_8b_1xh100_fp8_constraints.txt`` (with ``--precision fp8 --constraints ...``) and
  ``llama31_70b_1xl40_bf16_oom.txt`` (a model that does not fit at concurrency 1) were reconstructed:
  labels, order, units and number formats come from upstream's printing code
  (``display_performance_estimation_results`` in ``llm_optimizer/performance.py``), and the numbers come
  from a scratch re-derivation of upstream's roofline formulas that reproduces the Qwen3-4B report above
  digit for digit. Their tuning-command lines are plausible, not exact; the parser ignores them.
  When nothing fits, upstream prints the Performance and Roofline headings with nothing under them
  and every concurrency limit as 1, which is what the OOM fixture shows.
- ``mistral_small_24b_2xa100_decorated_no_roofline.txt`` is the same kind of report after being pasted
  through a log viewer: colour codes, emoji, box drawing, ``=``/dotted/``│`` separators, thousands
  separators, other units (TTFT in s, ITL in µs, E2E in ms), and no Roofline section at all. Upstream
  never prints it this way; it is here to show the parser's tolerance.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer.backends.llm_optimizer_text import (
    INSTALL_HINT,
    ParsedEstimate,
    llm_optimizer_cli_path,
    parse_bentoml_output,
    parse_llm_optimizer_output,
    run_llm_optimizer_cli,
)
from config_explorer.errors import (
    BackendError,
    BackendUnavailableError,
    InvalidArgumentError,
    ParseError,
    UpstreamReportedError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "llm_optimizer"
QWEN = "qwen3_4b_4xl40_bf16.txt"
LLAMA_8B = "llama31_8b_1xh100_fp8_constraints.txt"
LLAMA_70B_OOM = "llama31_70b_1xl40_bf16_oom.txt"
DECORATED = "mistral_small_24b_2xa100_decorated_no_roofline.txt"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake executables are #! scripts")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse_fixture(name: str) -> ParsedEstimate:
    return parse_llm_optimizer_output(fixture_text(name))


def assert_fields(estimate: ParsedEstimate, expected: dict[str, object]) -> None:
    """Every field of ``estimate``: the expected ones match (floats approximately), the rest are None."""
    actual = estimate.to_dict()
    assert set(expected) <= set(actual)
    for name, value in actual.items():
        want = expected.get(name)
        if isinstance(want, float):
            assert value == pytest.approx(want, rel=1e-9), name
        else:
            assert value == want, name


# ---------------------------------------------------------------------------------------------------
# Fixtures, field by field
# ---------------------------------------------------------------------------------------------------

QWEN_EXPECTED: dict[str, object] = {
    "model": "Qwen/Qwen3-4B",
    "gpu": "L40",
    "num_gpus": 4,
    "precision": "bf16",
    "input_length": 1024,
    "output_length": 512,
    "target": "throughput",
    "num_parameters": 3_668_377_600,
    "num_layers": 36,
    "best_latency_concurrency": 1,
    "ttft_ms": 16.8,
    "itl_ms": 1.4,
    "e2e_latency_s": 0.72,
    "best_throughput_concurrency": 1024,
    "output_throughput_tok_s": 21601.0,
    "input_throughput_tok_s": 61062.1,
    "requests_per_s": 24.71,
    "bottleneck": "memory",
    "hardware_ops_per_byte": 195.1,
    "prefill_arithmetic_intensity": 31846.2,
    "decode_arithmetic_intensity": 31.1,
    "prefill_bound": "compute",
    "decode_bound": "memory",
    "kv_cache_limit": 1258,
    "prefill_compute_limit": 21,
    "decode_capacity_limit": 25,
    "theoretical_overall_limit": 21,
    "empirical_optimal_concurrency": 16,
    "fits_in_memory": True,
}


def test_real_report_qwen3_4b_on_4x_l40() -> None:
    assert_fields(parse_fixture(QWEN), QWEN_EXPECTED)


def test_report_with_precision_and_constraints() -> None:
    assert_fields(
        parse_fixture(LLAMA_8B),
        {
            "model": "meta-llama/Llama-3.1-8B-Instruct",
            "gpu": "H100",
            "num_gpus": 1,
            "precision": "fp8",
            "input_length": 2048,
            "output_length": 512,
            "target": "throughput",
            "constraints": "ttft:p95<300ms;itl:p95<=20ms",
            "num_parameters": 8_030_261_248,
            "num_layers": 32,
            "best_latency_concurrency": 1,
            "ttft_ms": 28.4,
            "itl_ms": 1.6,
            "e2e_latency_s": 0.87,
            "best_throughput_concurrency": 256,
            "output_throughput_tok_s": 12028.4,
            "input_throughput_tok_s": 72047.7,
            "requests_per_s": 14.09,
            "bottleneck": "memory",
            "hardware_ops_per_byte": 549.9,
            "prefill_arithmetic_intensity": 84665.0,
            "decode_arithmetic_intensity": 41.3,
            "prefill_bound": "compute",
            "decode_bound": "memory",
            "kv_cache_limit": 412,
            "prefill_compute_limit": 13,
            "decode_capacity_limit": 22,
            "theoretical_overall_limit": 13,
            "empirical_optimal_concurrency": 16,
            "constraints_satisfied": True,
            "constrained_concurrency": 8,
            "constrained_ttft_ms": 227.4,
            "constrained_itl_ms": 2.2,
            "constrained_output_throughput_tok_s": 3664.2,
            "fits_in_memory": True,
        },
    )


def test_report_where_nothing_fits_has_no_performance_numbers() -> None:
    assert_fields(
        parse_fixture(LLAMA_70B_OOM),
        {
            "model": "meta-llama/Llama-3.1-70B-Instruct",
            "gpu": "L40",
            "num_gpus": 1,
            "precision": "bf16",
            "input_length": 4096,
            "output_length": 1024,
            "target": "throughput",
            "num_parameters": 70_553_706_496,
            "num_layers": 80,
            "kv_cache_limit": 1,
            "prefill_compute_limit": 1,
            "decode_capacity_limit": 1,
            "theoretical_overall_limit": 1,
            "empirical_optimal_concurrency": 1,
            "fits_in_memory": False,
        },
    )


def test_decorated_report_without_roofline_section() -> None:
    assert_fields(
        parse_fixture(DECORATED),
        {
            "model": "mistralai/Mistral-Small-24B-Instruct-2501",
            "gpu": "A100",
            "num_gpus": 2,
            "precision": "bf16",
            "input_length": 1000,
            "output_length": 250,
            "target": "throughput",
            "num_parameters": 23_572_403_200,
            "num_layers": 40,
            "best_latency_concurrency": 1,
            "ttft_ms": 81.4,  # printed as 0.0814 s
            "itl_ms": 5.093,  # printed as 5,093 µs
            "e2e_latency_s": 1.3545,  # printed as 1,354.5 ms
            "best_throughput_concurrency": 256,
            "output_throughput_tok_s": 11983.4,
            "input_throughput_tok_s": 12292.5,
            "requests_per_s": 9.78,
            "bottleneck": "memory",
            "kv_cache_limit": 419,
            "prefill_compute_limit": 2,
            "decode_capacity_limit": 4,
            "theoretical_overall_limit": 2,
            "empirical_optimal_concurrency": 16,
            "fits_in_memory": True,
        },
    )


def test_old_name_is_the_same_function() -> None:
    assert parse_bentoml_output is parse_llm_optimizer_output


def test_bytes_are_read_as_utf8() -> None:
    assert parse_llm_optimizer_output(fixture_text(QWEN).encode("utf-8")) == parse_fixture(QWEN)


# ---------------------------------------------------------------------------------------------------
# By labels, not by position
# ---------------------------------------------------------------------------------------------------


def sections(text: str) -> list[str]:
    """The report cut before each '=== ... ===' heading."""
    chunks: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("=== ") or not chunks:
            chunks.append("")
        chunks[-1] += line
    return chunks


def test_section_order_does_not_matter() -> None:
    chunks = sections(fixture_text(LLAMA_8B))
    assert len(chunks) == 7  # the lines before the first heading, then six sections
    tuning = chunks[-1]
    reordered = "".join([*reversed(chunks[:-1]), tuning])
    assert parse_llm_optimizer_output(reordered) == parse_fixture(LLAMA_8B)


def test_unknown_lines_are_skipped_wherever_they_are() -> None:
    noisy = "\n".join(
        f"{line}\nsome log line that means nothing\nWARNING huggingface: slow download"
        for line in fixture_text(QWEN).splitlines()
    )
    assert parse_llm_optimizer_output(noisy) == parse_fixture(QWEN)


def test_missing_sections_leave_their_fields_none() -> None:
    only_concurrency = "".join(c for c in sections(fixture_text(QWEN)) if "Concurrency Analysis" in c)
    estimate = parse_llm_optimizer_output(only_concurrency)
    assert estimate.kv_cache_limit == 1258
    assert estimate.empirical_optimal_concurrency == 16
    assert estimate.model is None
    assert estimate.ttft_ms is None
    assert estimate.hardware_ops_per_byte is None
    assert estimate.fits_in_memory is None


def test_truncated_after_performance_heading_is_not_called_out_of_memory() -> None:
    text = fixture_text(QWEN)
    truncated = text[: text.index("Best Latency")]
    assert parse_llm_optimizer_output(truncated).fits_in_memory is None


def test_first_value_wins_when_two_reports_are_pasted() -> None:
    estimate = parse_llm_optimizer_output(fixture_text(QWEN) + "\n" + fixture_text(LLAMA_8B))
    assert estimate.model == "Qwen/Qwen3-4B"
    assert estimate.ttft_ms == pytest.approx(16.8)
    assert estimate.constraints == "ttft:p95<300ms;itl:p95<=20ms"  # only the second report has one


def test_latency_labels_without_block_heading_mean_best_latency() -> None:
    estimate = parse_llm_optimizer_output("TTFT: 16.8 ms\nITL: 1.4 ms\nRequests: 3 req/s\n")
    assert (estimate.ttft_ms, estimate.itl_ms, estimate.requests_per_s) == (16.8, 1.4, 3.0)
    assert estimate.best_latency_concurrency is None


def test_ttft_under_constraints_is_not_best_latency() -> None:
    estimate = parse_llm_optimizer_output("=== Performance under Constraints ===\nTTFT: 227.4 ms\n")
    assert estimate.ttft_ms is None
    assert estimate.constrained_ttft_ms == pytest.approx(227.4)
    assert estimate.constraints_satisfied is True


def test_unsatisfiable_constraints_are_an_answer() -> None:
    line = "❌ Cannot satisfy the given constraints with this configuration"
    estimate = parse_llm_optimizer_output(f"💡 Inferred precision from model config: bf16\n{line}\n")
    assert estimate.constraints_satisfied is False
    assert estimate.precision == "bf16"


def test_unsatisfiable_constraints_as_an_error_line_are_an_answer_too() -> None:
    # Upstream's CLI now raises instead ("Error: Cannot satisfy ...") and prints no report: still an answer
    text = "💡 Inferred precision from model config: bf16\nError: Cannot satisfy the given constraints\n"
    estimate = parse_llm_optimizer_output(text)
    assert estimate.constraints_satisfied is False and estimate.precision == "bf16"
    with pytest.raises(UpstreamReportedError) as caught:
        parse_llm_optimizer_output(text.replace("Cannot satisfy the given constraints", "CUDA is on fire"))
    assert caught.value.upstream_message == "CUDA is on fire" and "line 2" in str(caught.value)


def test_tuning_commands_are_ignored() -> None:
    commands = '  llm-optimizer --model x --server-args "max_num_seqs=3"\nTTFT: 5 ms\n'
    assert parse_llm_optimizer_output(commands).ttft_ms == 5.0
    assert parse_llm_optimizer_output("=== Tuning Commands ===\n" + commands) == ParsedEstimate()


# ---------------------------------------------------------------------------------------------------
# Units, separators, decoration
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("TTFT: 16.8 ms", "ttft_ms", 16.8),
        ("TTFT: 0.0168 s", "ttft_ms", 16.8),
        ("TTFT = 16800 us", "ttft_ms", 16.8),
        ("TTFT: 16800 µs", "ttft_ms", 16.8),
        ("TTFT (s): 0.0168", "ttft_ms", 16.8),
        ("TTFT: 16.8", "ttft_ms", 16.8),
        ("Time to first token: 16.8ms", "ttft_ms", 16.8),
        ("E2E: 720 ms", "e2e_latency_s", 0.72),
        ("E2E: 0.72 s", "e2e_latency_s", 0.72),
        ("E2E latency: 1.5 min", "e2e_latency_s", 90.0),
        ("Output: 21,601.0 tokens/s", "output_throughput_tok_s", 21601.0),
        ("Output: 21601 tok/s", "output_throughput_tok_s", 21601.0),
        ("Output: 60,000 tokens/min", "output_throughput_tok_s", 1000.0),
        ("Output throughput: 21601 tps", "output_throughput_tok_s", 21601.0),
        ("Input: 61_062.1 tokens / s", "input_throughput_tok_s", 61062.1),
        ("Requests: 24.71 req/s", "requests_per_s", 24.71),
        ("Requests: 24.71 requests/sec", "requests_per_s", 24.71),
        ("Requests: 60 req/min", "requests_per_s", 1.0),
        ("Hardware Ops/Byte Ratio: 1,195.1 ops/byte", "hardware_ops_per_byte", 1195.1),
        ("KV Cache Memory Limit: 1,258 concurrent requests", "kv_cache_limit", 1258),
        ("KV Cache Memory Limit ....... 1258", "kv_cache_limit", 1258),
        ("│ KV Cache Memory Limit │ 1258 │", "kv_cache_limit", 1258),
        ("  🧮  **Theoretical Overall Limit**:   21  ✅", "theoretical_overall_limit", 21),
        (
            "\x1b[1mEmpirical Optimal Concurrency:\x1b[0m 16 concurrent requests",
            "empirical_optimal_concurrency",
            16,
        ),
        ("Empirical Optimal Concurrency：１６", "empirical_optimal_concurrency", 16),  # fullwidth
        ("Prefill Phase: Compute Bound", "prefill_bound", "compute"),
        ("Decode Phase = memory-bound", "decode_bound", "memory"),
        ("Bottleneck: Compute", "bottleneck", "compute"),
        ("GPU: 8x H200", "num_gpus", 8),
        ("GPU: H200 x 8", "num_gpus", 8),
        ("GPU: 4x trn2.48xlarge", "gpu", "trn2.48xlarge"),
        ("GPU: A100-40GB", "gpu", "A100-40GB"),
        ("Input/Output: 2,048/512 tokens", "input_length", 2048),
        ("Model: 8.0B parameters, 32 layers", "num_parameters", 8_000_000_000),
        ("Model: 7615283200.0B parameters, 28 layers", "num_parameters", 7_615_283_200),
        ("🔧 Using user-specified precision: FP8", "precision", "fp8"),
    ],
)
def test_one_line(line: str, field: str, expected: object) -> None:
    value = getattr(parse_llm_optimizer_output(line), field)
    if isinstance(expected, float):
        assert value == pytest.approx(expected, rel=1e-9)
    else:
        assert value == expected


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("TTFT: inf ms", "ttft_ms"),
        ("E2E: inf s", "e2e_latency_s"),
        ("Output: nan tokens/s", "output_throughput_tok_s"),
        ("Prefill Arithmetic Intensity: inf ops/byte", "prefill_arithmetic_intensity"),
        ("Requests: ∞ req/s", "requests_per_s"),
        ("TTFT: -3 ms", "ttft_ms"),  # impossible, so absent rather than an error
        ("TTFT: 3 parsecs", "ttft_ms"),  # unknown unit: no guessing
        ("TTFT: 1e308 min", "ttft_ms"),  # overflows in ms
        ("TTFT: n/a", "ttft_ms"),
        ("KV Cache Memory Limit: 12.5 concurrent requests", "kv_cache_limit"),
        ("KV Cache Memory Limit: 1e30", "kv_cache_limit"),
        ("GPU: 0x H100", "num_gpus"),
        ("Prefill Phase: Unknown", "prefill_bound"),
    ],
)
def test_values_that_cannot_be_real_read_as_none(line: str, field: str) -> None:
    assert getattr(parse_llm_optimizer_output(line), field) is None


def test_report_of_infinite_latencies_parses() -> None:
    text = fixture_text(QWEN)
    for old in ("16.8 ms", "1.4 ms", "0.72 s", "21601.0", "31846.2"):
        text = text.replace(old, "inf")
    estimate = parse_llm_optimizer_output(text)
    assert estimate.ttft_ms is None
    assert estimate.itl_ms is None
    assert estimate.e2e_latency_s is None
    assert estimate.output_throughput_tok_s is None
    assert estimate.prefill_arithmetic_intensity is None
    assert estimate.input_throughput_tok_s == pytest.approx(61062.1)


decoration = st.text(alphabet="─━═│┃║╭╮╰╯╔╗╚╝+-=*~#_. \t🚀📊✨⚙️✅", max_size=40)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_decorative_lines_anywhere_change_nothing(data: st.DataObject) -> None:
    lines = fixture_text(LLAMA_8B).splitlines()
    for _ in range(data.draw(st.integers(min_value=1, max_value=10))):
        position = data.draw(st.integers(min_value=0, max_value=len(lines)))
        lines.insert(position, data.draw(decoration))
    assert parse_llm_optimizer_output("\n".join(lines)) == parse_fixture(LLAMA_8B)


# ---------------------------------------------------------------------------------------------------
# Not a report
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t\n", "\n\n"])
def test_empty_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_llm_optimizer_output(text)


def test_unrelated_text_is_a_parse_error_that_never_quotes_it() -> None:
    with pytest.raises(ParseError) as caught:
        parse_llm_optimizer_output(
            "\n\n  HF_TOKEN=hf_secret general Kenobi  \nnothing else here\n", source="x.txt"
        )
    message = str(caught.value)
    assert "hf_secret" not in message and "Kenobi" not in message and "nothing" not in message
    assert "in x.txt" in message and "line 3" in message


def test_upstream_error_line_raises_with_its_message() -> None:
    for text in (
        "💡 Inferred precision from model config: bf16\nError: 401 Client Error: Unauthorized for url\n",
        "Traceback follows\nError: 401 Client Error: Unauthorized for url\n",
    ):
        with pytest.raises(UpstreamReportedError, match="401 Client Error") as caught:
            parse_llm_optimizer_output(text)
        assert caught.value.upstream_message == "401 Client Error: Unauthorized for url"
        assert isinstance(caught.value, BackendError) and isinstance(caught.value, ParseError)


def test_long_upstream_error_is_shortened() -> None:
    with pytest.raises(UpstreamReportedError) as caught:
        parse_llm_optimizer_output("Error: " + "x" * 5000)
    assert len(caught.value.upstream_message) == 200
    assert caught.value.upstream_message.endswith("…")


def test_random_bytes_are_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_llm_optimizer_output(bytes(range(256)) * 3)


def test_text_of_the_wrong_type_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="str or bytes"):
        parse_llm_optimizer_output(42)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_parse_error(text: str) -> None:
    try:
        estimate = parse_llm_optimizer_output(text)
    except ParseError as error:
        assert str(error)
    else:
        assert isinstance(estimate, ParsedEstimate)


label_lines = st.sampled_from(
    [
        "TTFT", "ITL", "E2E", "Output", "Input", "Requests", "Bottleneck", "GPU", "Model", "Input/Output",
        "KV Cache Memory Limit", "Prefill Phase", "Concurrency", "Best Latency (concurrency", "Precision",
        "=== Performance under Constraints ===", "=== Performance Analysis ===", "Hardware Ops/Byte Ratio",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(label_lines, st.sampled_from([":", "=", " ", "...", "│"]), st.text()), max_size=8))
def test_known_labels_with_arbitrary_values_never_crash(rows: list[tuple[str, str, str]]) -> None:
    text = "\n".join(f"{label}{separator}{value}" for label, separator, value in rows)
    with contextlib.suppress(ParseError):
        parse_llm_optimizer_output(text)


# ---------------------------------------------------------------------------------------------------
# The record
# ---------------------------------------------------------------------------------------------------


def test_to_dict_round_trips() -> None:
    estimate = parse_fixture(LLAMA_8B)
    as_dict = estimate.to_dict()
    assert list(as_dict) == [field.name for field in attrs.fields(ParsedEstimate)]
    assert ParsedEstimate(**as_dict) == estimate  # type: ignore[arg-type]
    json.dumps(as_dict)


def test_record_is_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        parse_fixture(QWEN).ttft_ms = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "fields",
    [
        {"ttft_ms": -1.0},
        {"ttft_ms": float("inf")},
        {"itl_ms": float("nan")},
        {"num_gpus": 0},
        {"kv_cache_limit": -3},
        {"kv_cache_limit": 2.5},
        {"kv_cache_limit": True},
        {"prefill_bound": "fast"},
        {"fits_in_memory": "yes"},
    ],
)
def test_record_rejects_impossible_values(fields: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        ParsedEstimate(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Running the CLI (with fake executables; no network, no upstream package)
# ---------------------------------------------------------------------------------------------------


def fake_cli(tmp_path: Path, body: str, name: str = "llm-optimizer") -> Path:
    """An executable script standing in for upstream's CLI; it records its argv next to itself."""
    script = tmp_path / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys, time\n"
        "pathlib.Path(__file__).with_suffix('.argv.json').write_text(json.dumps(sys.argv[1:]))\n"
        + textwrap.dedent(body),
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def recorded_argv(script: Path) -> list[str]:
    recorded: list[str] = json.loads(script.with_suffix(".argv.json").read_text(encoding="utf-8"))
    return recorded


def printing(fixture: str) -> str:
    return f"sys.stdout.write(pathlib.Path({str(FIXTURES / fixture)!r}).read_text(encoding='utf-8'))\n"


@posix_only
def test_runner_passes_upstream_flags_and_parses_stdout(tmp_path: Path) -> None:
    script = fake_cli(tmp_path, printing(QWEN))
    estimate = run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512, executable=str(script))
    assert_fields(estimate, QWEN_EXPECTED)
    assert recorded_argv(script) == [
        "estimate", "--model", "Qwen/Qwen3-4B", "--input-len", "1024", "--output-len", "512",
        "--gpu", "L40", "--num-gpus", "4",
    ]  # fmt: skip


@posix_only
def test_runner_passes_precision_constraints_and_extra_args(tmp_path: Path) -> None:
    script = fake_cli(tmp_path, printing(LLAMA_8B))
    estimate = run_llm_optimizer_cli(
        "meta-llama/Llama-3.1-8B-Instruct",
        "H100",
        1,
        2048,
        512,
        precision="fp8",
        constraints="ttft:p95<300ms;itl:p95<=20ms",
        executable=str(script),
        extra_args=["--target", "throughput"],
    )
    assert estimate.constrained_concurrency == 8
    assert recorded_argv(script)[-6:] == [
        "--precision", "fp8", "--constraints", "ttft:p95<300ms;itl:p95<=20ms", "--target", "throughput",
    ]  # fmt: skip


@posix_only
def test_runner_finds_the_executable_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = fake_cli(tmp_path, printing(QWEN))
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert llm_optimizer_cli_path() == str(script)
    assert run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512).kv_cache_limit == 1258


def test_runner_without_executable_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert llm_optimizer_cli_path() is None
    with pytest.raises(BackendUnavailableError) as caught:
        run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512)
    assert "pip install git+https://github.com/bentoml/llm-optimizer.git" in str(caught.value)
    assert INSTALL_HINT in str(caught.value)


@posix_only
def test_runner_timeout_is_a_backend_error_naming_it(tmp_path: Path) -> None:
    script = fake_cli(tmp_path, "time.sleep(30)\n")
    with pytest.raises(BackendError, match=r"timeout of 0\.5 s") as caught:
        run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512, executable=str(script), timeout_s=0.5)
    assert not isinstance(caught.value, BackendUnavailableError)


@posix_only
def test_runner_nonzero_exit_quotes_last_stderr_line(tmp_path: Path) -> None:
    script = fake_cli(
        tmp_path,
        'sys.stderr.write("Usage: llm-optimizer estimate [OPTIONS]\\n\\n'
        "Error: Invalid value for '--gpu': 'X1' is not one of 'A100', 'H100'.\\n\")\n"
        "sys.exit(2)\n",
    )
    with pytest.raises(BackendError, match=r"status 2: .*Invalid value for '--gpu'") as caught:
        run_llm_optimizer_cli("Qwen/Qwen3-4B", "X1", 1, 1024, 512, executable=str(script))
    assert "Usage" not in str(caught.value)


@posix_only
def test_runner_hints_when_another_llm_optimizer_is_installed(tmp_path: Path) -> None:
    script = fake_cli(tmp_path, "sys.stderr.write(\"Error: No such command 'estimate'.\\n\")\nsys.exit(2)\n")
    with pytest.raises(BackendError, match=r"git\+https://github\.com/bentoml/llm-optimizer\.git"):
        run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 1, 1024, 512, executable=str(script))


@posix_only
def test_runner_treats_upstream_error_line_as_failure_despite_exit_0(tmp_path: Path) -> None:
    # Upstream catches its own exceptions, prints 'Error: ...' plus a traceback on stderr, and exits 0.
    script = fake_cli(
        tmp_path,
        "print('💡 Inferred precision from model config: bf16')\n"
        "print('Error: 401 Client Error: Unauthorized for url: https://huggingface.co/x/config.json')\n"
        "sys.stderr.write('Traceback (most recent call last):\\n')\n",
    )
    with pytest.raises(BackendError, match="401 Client Error"):
        run_llm_optimizer_cli("meta-llama/Llama-3.1-8B", "H100", 1, 1024, 512, executable=str(script))


@posix_only
def test_runner_returns_unsatisfiable_constraints_filled_from_arguments(tmp_path: Path) -> None:
    script = fake_cli(
        tmp_path,
        "print('🔧 Using user-specified precision: fp8')\n"
        "print('Error: Cannot satisfy the given constraints with this configuration')\n",
    )
    estimate = run_llm_optimizer_cli(
        "Qwen/Qwen3-4B", "L40", 4, 1024, 512, constraints="ttft<1ms", executable=str(script)
    )
    assert estimate.constraints_satisfied is False
    assert (estimate.model, estimate.gpu, estimate.num_gpus) == ("Qwen/Qwen3-4B", "L40", 4)
    assert (estimate.input_length, estimate.output_length) == (1024, 512)
    assert (estimate.precision, estimate.constraints) == ("fp8", "ttft<1ms")
    assert estimate.ttft_ms is None


@posix_only
def test_runner_with_no_report_is_a_parse_error(tmp_path: Path) -> None:
    script = fake_cli(tmp_path, "print('Dry run mode enabled.')\n")
    with pytest.raises(ParseError, match="Dry run mode enabled"):
        run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512, executable=str(script))


@posix_only
def test_runner_reads_emoji_whatever_the_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("LANG", "C")
    monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    monkeypatch.delenv("PYTHONUTF8", raising=False)
    script = fake_cli(tmp_path, "print('💡 Inferred precision from model config: bf16')\n")
    estimate = run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512, executable=str(script))
    assert estimate.precision == "bf16"


@posix_only
def test_runner_executable_that_cannot_start_is_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "llm-optimizer"
    broken.write_bytes(b"\x7fELF-not-really")
    broken.chmod(0o755)
    with pytest.raises(BackendUnavailableError, match="cannot start"):
        run_llm_optimizer_cli("Qwen/Qwen3-4B", "L40", 4, 1024, 512, executable=str(broken))


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"model": ""}, "model"),
        ({"gpu": "  "}, "gpu"),
        ({"num_gpus": 0}, "num_gpus"),
        ({"num_gpus": True}, "num_gpus"),
        ({"input_length": -5}, "input_length"),
        ({"output_length": 2.5}, "output_length"),
        ({"precision": "int4"}, "precision"),
        ({"constraints": ""}, "constraints"),
        ({"extra_args": "--target latency"}, "extra_args"),
        ({"extra_args": ["--target", 3]}, "extra_args"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": float("nan")}, "timeout_s"),
    ],
)
def test_runner_rejects_bad_arguments_before_running_anything(kwargs: dict[str, object], named: str) -> None:
    arguments: dict[str, object] = {
        "model": "Qwen/Qwen3-4B",
        "gpu": "L40",
        "num_gpus": 4,
        "input_length": 1024,
        "output_length": 512,
        "executable": "surely-not-installed-llm-optimizer",
        **kwargs,
    }
    with pytest.raises(InvalidArgumentError, match=named):
        run_llm_optimizer_cli(**arguments)  # type: ignore[arg-type]
