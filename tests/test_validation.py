"""The argument boundary (config_explorer.validation) and strict JSON (config_explorer._json).

Every reproduction of the hardening issue is pinned here: the CLI exits 2 with one line naming the
value and what is accepted (never "every layout rejected, exit 0"), and the API raises
InvalidArgumentError (never TypeError or AttributeError).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from config_explorer import validation
from config_explorer._json import dumps_strict, finite_or_null
from config_explorer.catalogs.gpus import get_gpu, register_gpu
from config_explorer.cli import main
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import (
    GPURecommender,
    estimate_performance,
    estimate_performance_batch,
    recommend_gpus,
    serve_commands,
)
from config_explorer.reports import fmt

QWEN = "Qwen/Qwen3-8B"
RECOMMEND = ["recommend", "--model", QWEN, "--workload", "chat", "--gpus", "H100", "--max-gpus", "2"]
ESTIMATE = ["estimate", "--model", QWEN, "--gpu", "H100", "--workload", "chat", "--backend", "native"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        ([*RECOMMEND, "--precision", "fp7"], ["unknown precision 'fp7'", "accepted: fp32, bf16"]),
        ([*RECOMMEND, "--kv-precision", "int4"], ["kv_precision 'int4'", "accepted: bf16, fp16, fp32, fp8"]),
        ([*RECOMMEND, "--concurrency", "-1"], ["concurrency", "[1, 20,000]", "got -1"]),
        ([*RECOMMEND, "--concurrency", "100000"], ["simulator runs at most 20,000 requests"]),
        ([*ESTIMATE, "--concurrency", "100001"], ["concurrency", "[1, 100,000]", "got 100001"]),
        ([*RECOMMEND, "--gpu-memory-utilization", "1.5"], ["gpu_memory_utilization", "(0, 1]", "1.5"]),
        (["backends", "--probe-gpu=-1"], ["unknown GPU '-1'"]),
        (
            ["estimate", "--model", QWEN, "--gpu", "H100", "--num-gpus", "2147483648", "--workload", "chat"],
            ["num_gpus", "4,096", "2147483648"],
        ),
        (
            ["recommend", "--model", QWEN, "--workload", "chat", "--max-gpus", "2147483648"],
            ["max_gpus", "[1, 512]", "2147483648"],
        ),
        ([*RECOMMEND, "--target-rps", "inf"], ["target_requests_per_s", "finite", "got inf"]),
        ([*RECOMMEND, "--target-tok-s", "inf"], ["target_output_tok_s", "finite", "got inf"]),
        ([*RECOMMEND, "--target-rps", "nan"], ["target_requests_per_s", "got nan"]),
        ([*RECOMMEND, "--gpu-cost", "H100=inf", "--json"], ["price of H100", "finite", "got inf"]),
        ([*RECOMMEND, "--gpu-cost", "H100=-2"], ["price of H100", "got -2"]),
        ([*RECOMMEND, "--top", "0"], ["--top", ">= 1", "got 0"]),
        ([*RECOMMEND, "--top", "-1"], ["--top", ">= 1", "got -1"]),
        ([*RECOMMEND, "--input-len", "0"], ["input_length", "got 0"]),
        ([*ESTIMATE, "--output-len", "0"], ["output_length", "got 0"]),
        (
            [*ESTIMATE, "--max-num-batched-tokens", "1", "--concurrency", "64"],
            ["max_num_batched_tokens=1", "max_num_seqs=1,024", "SchedulerConfig"],
        ),
        ([*ESTIMATE, "--max-num-batched-tokens", "16", "--max-num-seqs", "32"], ["max_num_seqs=32"]),
        ([*ESTIMATE, "--request-rate", "0"], ["request_rate"]),
        ([*ESTIMATE, "--max-ttft-ms", "inf"], ["max_ttft_ms", "finite"]),
        ([*ESTIMATE, "--constraints", "ttft<1e999ms"], ["SLO bound", "finite"]),
        ([*ESTIMATE, "--engine", "llama.cpp"], ["unknown serving engine", "accepted: vllm, sglang, trtllm"]),
        ([*ESTIMATE, "--concurrency", "abc"], ["invalid int value: 'abc'"]),  # argparse, one line too
        ([*ESTIMATE, "--serving-model", "exact"], ["invalid choice"]),
        ([*RECOMMEND, "--max-model-len", "131072"], ["max_model_len=131,072", "accepted: 768 to 40,960"]),
        ([*RECOMMEND, "--max-model-len", "999999999"], ["max_model_len", "[1, 20,000,000]"]),
        (
            ["recommend", "--model", "microsoft/phi-2", "--workload", "rag", "--gpus", "H100"],
            ["prompt + output = 4,608 tokens exceeds", "2,048"],
        ),
    ],
)
def test_invalid_arguments_fail_fast_with_one_line(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "", out
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


@pytest.mark.parametrize("spelling", ["tensorrt-llm", "trt-llm", "TRT_LLM", "trtllm", "TensorRT-LLM"])
def test_engine_aliases_are_accepted(spelling: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*RECOMMEND, "--max-gpus", "1", "--engine", spelling, "--json"], capsys)
    assert code == 0
    doc = _strict(out)
    assert doc["ranked"] and doc["ranked"][0]["estimate"]["engine"] == "trtllm"


def test_engine_names_are_canonical_with_release_pins() -> None:
    assert validation.engine(" SGLang ") == "sglang"
    assert validation.engine("vllm==0.19.0") == "vllm==0.19.0"
    assert validation.engine("tensorrt_llm==1.0") == "trtllm==1.0"
    with pytest.raises(InvalidArgumentError, match="cannot read engine version"):
        validation.engine("vllm==latest")


def test_kv_precisions_follow_the_engine() -> None:
    assert validation.kv_precision("int8", "trtllm") == "int8"
    assert validation.kv_precision("fp8_e5m2", "vllm") == "fp8"
    with pytest.raises(InvalidArgumentError, match="int8 is offered by trtllm"):
        validation.kv_precision("int8", "vllm")


def test_a_workload_fills_only_an_omitted_length(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*ESTIMATE, "--output-len", "64", "--json"], capsys)
    assert code == 0 and _strict(out)["input_length"] == 512 and _strict(out)["output_length"] == 64
    assert validation.request_lengths(None, 7, "chat") == (512, 7)
    with pytest.raises(InvalidArgumentError, match="input_length"):
        validation.request_lengths(0, None, "chat")


def test_the_token_budget_may_go_down_with_max_num_seqs(capsys: pytest.CaptureFixture[str]) -> None:
    """vLLM's rule is max_num_batched_tokens >= max_num_seqs: a small budget is fine with few sequences."""
    code, out, _ = run(
        [
            *ESTIMATE,
            "--max-num-batched-tokens",
            "256",
            "--max-num-seqs",
            "64",
            "--concurrency",
            "32",
            "--json",
        ],
        capsys,
    )
    doc = _strict(out)
    assert code == 0 and doc["max_num_batched_tokens"] == 256 and doc["max_num_seqs"] == 64


def test_the_engine_also_refuses_a_budget_below_the_sequences() -> None:
    from config_explorer.architecture import load_model
    from config_explorer.engine.deployment import plan_deployment

    with pytest.raises(InvalidArgumentError, match="max_num_batched_tokens >= max_num_seqs"):
        plan_deployment(
            load_model(QWEN),
            get_gpu("H100"),
            num_gpus=1,
            tp=1,
            input_length=512,
            output_length=256,
            max_num_batched_tokens=100,
            max_num_seqs=200,
        )


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: estimate_performance(None, "H100"), "model must be"),
        (lambda: estimate_performance(QWEN, None), "gpu_name"),
        (lambda: estimate_performance(QWEN, "H100", backend=None), "backend must be"),  # type: ignore[arg-type]
        (lambda: estimate_performance(QWEN, "H100", precision=["fp8"]), "precision"),  # type: ignore[arg-type]
        (lambda: estimate_performance(QWEN, "H100", engine=["vllm"]), "engine"),  # type: ignore[arg-type]
        (
            lambda: estimate_performance(QWEN, "H100", gpu_memory_utilization="0.9"),  # type: ignore[arg-type]
            "gpu_memory_utilization must be a number, got str '0.9'",
        ),
        (lambda: estimate_performance(QWEN, "H100", num_gpus=2.0), "num_gpus must be an integer"),  # type: ignore[arg-type]
        (lambda: estimate_performance(QWEN, "H100", concurrency=math.nan), "concurrency"),  # type: ignore[arg-type]
        (lambda: estimate_performance(QWEN, "H100", num_gpus=2**31), "4,096"),
        (lambda: estimate_performance(QWEN, "H100", serving_model="exact"), "serving_model"),
        (lambda: estimate_performance(QWEN, "H100", allow_hub="yes"), "allow_hub"),  # type: ignore[arg-type]
        (
            lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], max_gpus=1, gpu_costs=True),  # type: ignore[arg-type]
            "gpu_costs must be a mapping",
        ),
        (
            lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], gpu_costs={"H100": math.inf}),
            "finite",
        ),
        (lambda: recommend_gpus(None, 512, 256, gpus=["H100"]), "model must be"),  # type: ignore[arg-type]
        (lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], metric=5), "metric"),  # type: ignore[arg-type]
        (lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], max_gpus=10**9), "[1, 512]"),
        (lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], max_gpus_per_type="2"), "max_gpus_per_type"),  # type: ignore[arg-type]
        (lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], progress=3), "progress"),  # type: ignore[arg-type]
        (lambda: recommend_gpus(QWEN, 0, workload="chat", gpus=["H100"]), "input_length"),
        (lambda: recommend_gpus(QWEN, 512, 256, gpus=["H100"], kv_precision="int4"), "kv_precision"),
        (lambda: estimate_performance_batch(QWEN, [("H100", 1)], precision=["fp8"]), "precision"),
        (lambda: estimate_performance_batch(QWEN, [("H100", 1)], bogus=1), "unknown keyword"),
        (lambda: GPURecommender(512, 256, concurrency=-1), "batch_size"),
        (lambda: GPURecommender(512, 256, max_ttft_ms=math.inf), "max_ttft_ms"),
        (lambda: GPURecommender().recommend_gpus([QWEN], None), "gpus"),  # type: ignore[arg-type]
        (lambda: register_gpu(0), "register_gpu takes"),  # type: ignore[arg-type]
    ],
)
def test_wrong_arguments_raise_our_error(call: Any, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        call()
    assert fragment in str(info.value)


def test_a_bad_batch_entry_is_its_own_record() -> None:
    records = estimate_performance_batch(QWEN, [("H100", 1), ("H100", -1), ("H999", 1), "x"], 512, 256)
    assert records[0].ok
    assert ["num_gpus" in (r.error or "") for r in records[1:2]] == [True]
    assert "unknown GPU" in (records[2].error or "") and "gpu_configs entry" in (records[3].error or "")


def test_serve_commands_refuse_what_does_not_run() -> None:
    from config_explorer.architecture import load_model

    est = estimate_performance("meta-llama/Llama-3.1-70B", "L4", 1, None, 512, 256, 1, "native")
    assert not est.ok
    with pytest.raises(InvalidArgumentError, match="does not run"):
        serve_commands(load_model("meta-llama/Llama-3.1-70B"), est)


# ---------------------------------------------------------------------------------------------- strict JSON
def test_non_finite_figures_become_null_with_a_note() -> None:
    data = {"a": math.inf, "b": [1.0, math.nan], "c": {"d": -math.inf}, "e": 2.5, "f": "inf"}
    clean = finite_or_null(data)
    assert clean["a"] is None and "inf: unbounded" in clean["a_note"]
    assert clean["b"] == [1.0, None] and "entries 1 (nan: undefined)" in clean["b_note"]
    assert clean["c"] == {"d": None, "d_note": "not a finite number (-inf: unbounded below); written as null"}
    assert clean["e"] == 2.5 and clean["f"] == "inf" and "e_note" not in clean
    _strict(dumps_strict(data))
    assert dumps_strict(math.nan) == "null"


def test_records_write_strict_json() -> None:
    record = PerformanceEstimate(
        model_id="m",
        gpu="g",
        num_gpus=1,
        tp=1,
        precision="bf16",
        kv_precision="bf16",
        input_length=1,
        output_length=1,
        concurrency=1,
        memory_free_gib=math.inf,
        ttft_p95_ms=math.nan,
    )
    doc = _strict(record.to_json())
    assert doc["memory_free_gib"] is None and doc["memory_free_gib_note"].startswith("not a finite number")
    assert doc["ttft_p95_ms"] is None and record.to_dict()["ttft_p95_ms"] is None


def test_text_never_prints_non_finite_numbers() -> None:
    assert fmt(math.inf) == "unbounded"
    assert fmt(math.nan) == "-" and fmt(-math.inf) == "-"
    assert fmt(2.25, 1) == "2.2" or fmt(2.25, 1) == "2.3"
