"""Tests for the in-process llm-optimizer backend (config_explorer.backends.llm_optimizer).

BentoML's llm-optimizer cannot be installed here (it is not on PyPI), so most tests run against the
double in tests/fakes/llm_optimizer_double/: upstream's documented layout, signatures and record
fields, strict argument checks, and simple arithmetic of its own. Expected values are always what
the double returned for the same call, never upstream's numbers. tests/fakes/wrong_llm_optimizer/ is
the unrelated PyPI namesake. One test, marked ``real_llm_optimizer``, runs the same contract against
the real upstream when it is importable.

Every test that touches ``llm_optimizer`` goes through one of the fixtures below, which purge it from
``sys.modules`` before and after and restore ``sys.path``, so no test sees another's package.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import json
import logging
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.backends import get_backend, sweep_with
from config_explorer.backends.base import EstimateRequest
from config_explorer.backends.llm_optimizer import (
    INSTALL_HINT,
    LATENCY_PERCENTILE_MULTIPLIERS,
    LLMOptimizerBackend,
    LLMOptimizerEstimation,
    describe_llm_optimizer,
    normalize_best_configs,
    normalize_estimation_result,
    normalize_result,
    upstream_gpu_name,
)
from config_explorer.catalogs.gpus import GPUSpec, get_gpu
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import BackendError, BackendUnavailableError, InvalidArgumentError

FAKES = Path(__file__).parent / "fakes"
DOUBLE = FAKES / "llm_optimizer_double"
WRONG = FAKES / "wrong_llm_optimizer"

LLAMA_8B = "meta-llama/Llama-3.1-8B"
GPT_OSS_120B = "openai/gpt-oss-120b"
DOUBLE_GPUS = "A100, A100-40GB, H100, H200, L40"
PIP_HINT = "pip install git+https://github.com/bentoml/llm-optimizer.git"


# --------------------------------------------------------------------------------------------------
# Isolation
# --------------------------------------------------------------------------------------------------


def _purge() -> None:
    for name in list(sys.modules):
        if name == "llm_optimizer" or name.startswith("llm_optimizer."):
            del sys.modules[name]


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The double on sys.path; yields its ``llm_optimizer.performance`` module."""
    _purge()
    monkeypatch.syspath_prepend(str(DOUBLE))
    performance = importlib.import_module("llm_optimizer.performance")
    assert performance.__file__ is not None and Path(performance.__file__).is_relative_to(DOUBLE)
    yield performance
    _purge()


@pytest.fixture
def wrong_package(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The unrelated PyPI namesake (with its dist-info) first on sys.path."""
    _purge()
    monkeypatch.syspath_prepend(str(WRONG))
    yield
    _purge()


@pytest.fixture
def not_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``import llm_optimizer`` fails, whatever is installed (a None entry in sys.modules blocks it)."""
    _purge()
    monkeypatch.setitem(sys.modules, "llm_optimizer", None)
    yield
    _purge()


def _real_upstream_importable() -> bool:
    """True when the real BentoML llm-optimizer imports without the double on sys.path."""
    saved = {k: v for k, v in sys.modules.items() if k == "llm_optimizer" or k.startswith("llm_optimizer.")}
    _purge()
    try:
        return describe_llm_optimizer()["status"] == "ok" and not any(str(DOUBLE) in str(p) for p in sys.path)
    finally:
        _purge()
        sys.modules.update(saved)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def request_for(model: str = LLAMA_8B, gpu: str = "H100", **fields: Any) -> EstimateRequest:
    values: dict[str, Any] = {"input_length": 1024, "output_length": 256, "concurrency": 8, **fields}
    return EstimateRequest(arch=load_model(model), gpu=get_gpu(gpu), **values)


def no_infinity(value: object) -> bool:
    """True when no float anywhere in ``value`` (nested dicts, lists) is inf or nan."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(no_infinity(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(no_infinity(v) for v in value)
    return True


def raw_call(performance: ModuleType, call: dict[str, Any]) -> Any:
    """What the double returns for exactly the arguments the adapter passed (recorded in CALLS)."""
    return performance.estimate_llm_performance(**call)


def assert_matches_raw(record: PerformanceEstimate, raw: Any, num_gpus: int) -> None:
    """Field by field, with units: upstream's names and units on the left, ours on the right."""
    get = raw.__getitem__ if isinstance(raw, dict) else raw.__getattribute__
    assert record.ttft_ms == pytest.approx(get("ttft_ms"))
    assert record.itl_ms == pytest.approx(get("itl_ms"))
    assert record.e2e_latency_s == pytest.approx(get("e2e_latency_s"))
    assert record.output_throughput_tok_s == pytest.approx(get("output_throughput_tps"))
    assert record.input_throughput_tok_s == pytest.approx(get("input_throughput_tps"))
    assert record.requests_per_s == pytest.approx(get("requests_per_sec"))
    assert record.output_throughput_tok_s_per_gpu == pytest.approx(get("output_throughput_tps") / num_gpus)
    assert record.input_throughput_tok_s_per_gpu == pytest.approx(get("input_throughput_tps") / num_gpus)
    assert record.concurrency == get("concurrency")
    assert record.hardware_ops_per_byte == pytest.approx(get("hardware_ops_per_byte"))
    assert record.prefill_arithmetic_intensity == pytest.approx(get("prefill_arithmetic_intensity"))
    assert record.decode_arithmetic_intensity == pytest.approx(get("decode_arithmetic_intensity"))
    assert record.prefill_bound == ("memory" if get("prefill_is_memory_bound") else "compute")
    assert record.decode_bound == ("memory" if get("decode_is_memory_bound") else "compute")
    p50, p95, p99 = (LATENCY_PERCENTILE_MULTIPLIERS[k] for k in ("p50", "p95", "p99"))
    assert (p50, p95, p99) == (1.1, 1.3, 1.6)
    assert record.ttft_p50_ms == pytest.approx(get("ttft_ms") * 1.1)
    assert record.ttft_p95_ms == pytest.approx(get("ttft_ms") * 1.3)
    assert record.ttft_p99_ms == pytest.approx(get("ttft_ms") * 1.6)
    assert record.itl_p50_ms == pytest.approx(get("itl_ms") * 1.1)
    assert record.itl_p95_ms == pytest.approx(get("itl_ms") * 1.3)
    assert record.itl_p99_ms == pytest.approx(get("itl_ms") * 1.6)
    assert record.e2e_latency_p50_s == pytest.approx(get("e2e_latency_s") * 1.1)
    assert record.e2e_latency_p95_s == pytest.approx(get("e2e_latency_s") * 1.3)
    assert record.e2e_latency_p99_s == pytest.approx(get("e2e_latency_s") * 1.6)
    needed_per_gpu = get("memory_needed_gb") / num_gpus
    assert any(f"need {needed_per_gpu:.2f} GiB per GPU" in note for note in record.backend_notes)
    assert any("fixed multipliers" in note for note in record.backend_notes)


def check_contract(backend: LLMOptimizerBackend) -> None:
    """What any llm-optimizer (double or real) must give through the adapter."""
    fitting = backend.estimate(request_for(num_gpus=1, concurrency=4))
    assert fitting.backend == "llm-optimizer"
    assert fitting.ok, fitting.error
    assert fitting.gpu == "H100 SXM" and fitting.num_gpus == 1 and fitting.tp == 1 and fitting.replicas == 1
    assert fitting.ttft_ms is not None and fitting.ttft_ms > 0
    assert fitting.itl_ms is not None and fitting.itl_ms > 0
    assert fitting.output_throughput_tok_s is not None and fitting.output_throughput_tok_s > 0
    assert fitting.prefill_bound in ("memory", "compute") and fitting.decode_bound in ("memory", "compute")
    assert no_infinity(fitting.to_dict())
    json.dumps(fitting.to_dict(), allow_nan=False)

    oom = backend.estimate(request_for(GPT_OSS_120B, "L40", num_gpus=1, concurrency=1))
    assert not oom.fits and not oom.ok
    assert oom.error is not None and oom.error.startswith(
        "does not fit in memory according to llm-optimizer ("
    )
    assert oom.ttft_ms is None and oom.itl_ms is None and oom.output_throughput_tok_s is None
    assert no_infinity(oom.to_dict())
    json.dumps(oom.to_dict(), allow_nan=False)

    unknown = backend.estimate(request_for(gpu="MI300X"))
    assert unknown.error is not None and "not supported by llm-optimizer" in unknown.error
    assert "H100" in unknown.error


# --------------------------------------------------------------------------------------------------
# Normalising results
# --------------------------------------------------------------------------------------------------


def test_object_result_is_normalized_field_by_field(upstream: ModuleType) -> None:
    backend = LLMOptimizerBackend()
    record = backend.estimate(request_for(num_gpus=2, tp=2, concurrency=8))
    (call,) = upstream.CALLS
    raw = raw_call(upstream, call)
    assert isinstance(raw, upstream.PerformanceResult)
    assert record.ok and record.backend == "llm-optimizer"
    assert_matches_raw(record, raw, num_gpus=2)
    # configuration, in our names
    assert record.model_id == LLAMA_8B
    assert record.gpu == "H100 SXM"
    assert (record.num_gpus, record.tp, record.pp, record.replicas) == (2, 2, 1, 1)
    assert (record.precision, record.kv_precision) == ("bf16", "bf16")
    assert (record.input_length, record.output_length, record.concurrency) == (1024, 256, 8)
    # memory: our GPU's total; upstream gives no weights/KV split, so the breakdown stays empty
    assert record.memory_total_gib == get_gpu("H100").memory_gib
    assert record.memory_weights_gib is None and record.memory_kv_cache_gib is None
    assert "GPU 'H100 SXM' is llm-optimizer's 'H100'" in record.backend_notes


def test_dict_result_gives_the_same_record_as_the_object(
    upstream: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LLMOptimizerBackend()
    request = request_for(num_gpus=2, tp=2, concurrency=16)
    from_object = backend.estimate(request)
    monkeypatch.setattr(upstream, "RESULT_STYLE", "dict")
    from_dict = backend.estimate(request)
    assert isinstance(raw_call(upstream, upstream.CALLS[-1]), dict)
    assert from_dict == from_object
    assert_matches_raw(from_dict, raw_call(upstream, upstream.CALLS[-1]), num_gpus=2)


def test_legacy_dict_without_roofline_keys_leaves_those_fields_empty(
    upstream: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream, "RESULT_STYLE", "legacy-dict")
    record = LLMOptimizerBackend().estimate(request_for())
    assert record.ok
    assert record.ttft_ms is not None and record.output_throughput_tok_s is not None
    assert record.hardware_ops_per_byte is None
    assert record.prefill_arithmetic_intensity is None and record.decode_arithmetic_intensity is None
    assert record.prefill_bound is None and record.decode_bound is None
    assert not any("memory check" in note for note in record.backend_notes)


def test_out_of_memory_answer_becomes_fits_false_without_infinity(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for(GPT_OSS_120B, "L40", num_gpus=1, concurrency=1))
    (call,) = upstream.CALLS
    raw = raw_call(upstream, call)
    assert math.isinf(raw.ttft_ms) and raw.output_throughput_tps == 0.0  # upstream's OOM answer
    assert record.fits is False and record.ok is False
    assert record.error == (
        "does not fit in memory according to llm-optimizer "
        f"(needs {raw.memory_needed_gb:.1f} GiB of weights + KV cache, {raw.usable_vram_gb:.1f} GiB usable "
        "on 1x L40 at fp8 for 1 requests of 1280 tokens)"
    )
    for name in (
        "ttft_ms", "itl_ms", "e2e_latency_s", "ttft_p50_ms", "ttft_p95_ms", "ttft_p99_ms", "itl_p50_ms",
        "itl_p95_ms", "itl_p99_ms", "e2e_latency_p50_s", "e2e_latency_p95_s", "e2e_latency_p99_s",
        "output_throughput_tok_s", "input_throughput_tok_s", "requests_per_s",
        "output_throughput_tok_s_per_gpu", "input_throughput_tok_s_per_gpu",
        "prefill_bound", "decode_bound", "max_concurrency_kv",
    ):  # fmt: skip
        assert getattr(record, name) is None, name
    assert no_infinity(record.to_dict())
    json.dumps(record.to_dict(), allow_nan=False)


def test_out_of_memory_as_dict_reads_the_same(upstream: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = LLMOptimizerBackend()
    request = request_for(GPT_OSS_120B, "L40")
    from_object = backend.estimate(request)
    monkeypatch.setattr(upstream, "RESULT_STYLE", "dict")
    assert backend.estimate(request) == from_object


def test_normalize_result_accepts_objects_and_dicts_and_rejects_the_rest(upstream: ModuleType) -> None:
    arch = load_model(LLAMA_8B)
    model_config = _double_model_config(upstream, arch)
    raw = upstream.estimate_llm_performance(
        num_gpus=4, gpu_name="H200", model_config=model_config, precision="bf16",
        concurrency=32, input_length=2048, output_length=128,
    )  # fmt: skip
    request = request_for(gpu="H200", num_gpus=4, concurrency=32, input_length=2048, output_length=128)
    record = normalize_result(raw, request=request, num_gpus=4)
    assert_matches_raw(record, raw, num_gpus=4)
    assert normalize_result(dataclasses.asdict(raw), request=request, num_gpus=4) == record
    assert record.gpu == "H200 SXM" and record.num_gpus == 4

    with pytest.raises(BackendError, match="not a PerformanceResult or dict"):
        normalize_result(None, request=request)
    with pytest.raises(BackendError, match="lacks itl_ms, e2e_latency_s, output_throughput_tps"):
        normalize_result({"ttft_ms": 1.0}, request=request)

    class Exploding:
        itl_ms = e2e_latency_s = output_throughput_tps = 1.0

        @property
        def ttft_ms(self) -> float:
            raise ValueError("broken property")

    with pytest.raises(BackendError, match="broken property") as caught:
        normalize_result(Exploding(), request=request)
    assert isinstance(caught.value.__cause__, ValueError)


# --------------------------------------------------------------------------------------------------
# Mapping our request onto upstream's arguments
# --------------------------------------------------------------------------------------------------


def test_the_double_receives_upstreams_argument_names_and_types(upstream: ModuleType) -> None:
    arch = load_model(LLAMA_8B)
    LLMOptimizerBackend().estimate(request_for(num_gpus=2, tp=2, concurrency=8, gpu_memory_utilization=0.8))
    (call,) = upstream.CALLS
    assert set(call) == {
        "num_gpus", "gpu_name", "model_config", "precision", "concurrency", "input_length", "output_length",
        "mfu_prefill", "mfu_decode", "vram_util_factor",
    }  # fmt: skip
    assert call["num_gpus"] == 2 and type(call["num_gpus"]) is int
    assert call["gpu_name"] == "H100"
    assert call["precision"] == "bf16"
    assert call["concurrency"] == 8 and call["input_length"] == 1024 and call["output_length"] == 256
    assert call["vram_util_factor"] == 0.8 and type(call["vram_util_factor"]) is float
    assert (call["mfu_prefill"], call["mfu_decode"]) == (0.45, 0.30)  # upstream's defaults, untouched
    config = call["model_config"]
    common = sys.modules["llm_optimizer.common"]
    assert isinstance(config, common.ModelConfig)
    assert config == common.ModelConfig(
        num_params=arch.total_params,  # our count, not upstream's dense estimate
        num_layers=arch.num_layers,
        hidden_dim=arch.hidden_size,
        num_heads=arch.num_attention_heads,
        num_kv_heads=arch.num_kv_heads,
        vocab_size=arch.vocab_size,
        inferred_precision="bf16",
    )


def test_the_double_is_strict_about_what_it_receives(upstream: ModuleType) -> None:
    """Guards the double's honesty: what upstream would reject, it rejects."""
    common = sys.modules["llm_optimizer.common"]
    config = common.ModelConfig(num_params=8_000_000_000, num_layers=32, hidden_dim=4096, num_heads=32)
    assert config.num_kv_heads == 32 and config.vocab_size == 32000 and config.inferred_precision == "fp16"
    good: dict[str, Any] = {
        "num_gpus": 1, "gpu_name": "H100", "model_config": config, "precision": "fp8",
        "concurrency": 1, "input_length": 128, "output_length": 128,
    }  # fmt: skip
    upstream.estimate_llm_performance(**good)
    with pytest.raises(TypeError):
        upstream.estimate_llm_performance(**{**good, "gpu_type": "H100"})
    with pytest.raises(TypeError):
        upstream.estimate_llm_performance(
            **{k: v for k, v in good.items() if k != "concurrency"}, batch_size=1
        )
    with pytest.raises(TypeError, match="concurrency must be int"):
        upstream.estimate_llm_performance(**{**good, "concurrency": 1.0})
    with pytest.raises(TypeError, match="num_gpus must be int"):
        upstream.estimate_llm_performance(**{**good, "num_gpus": True})
    with pytest.raises(ValueError, match="Unsupported GPU: MI300X"):
        upstream.estimate_llm_performance(**{**good, "gpu_name": "MI300X"})
    with pytest.raises(ValueError, match="Unsupported precision: int4"):
        upstream.estimate_llm_performance(**{**good, "precision": "int4"})
    with pytest.raises(TypeError, match="model_config must be a ModelConfig"):
        upstream.estimate_llm_performance(**{**good, "model_config": {"num_params": 1}})


def test_gpu_names_map_onto_upstreams_table_by_name_and_alias() -> None:
    table = ["H100", "H200", "A100", "A100-40GB", "L40"]
    expected = {
        "H100": "H100",  # our "H100 SXM", alias "H100"
        "H200": "H200",
        "A100": "A100",  # our "A100 SXM 80GB", alias "A100"
        "A100 SXM 40GB": "A100-40GB",  # alias "A100-40GB"
        "L40": "L40",
        "L40S": None,  # a different card, not a spelling of L40
        "H100 PCIe": None,  # upstream's H100 is the SXM part
        "MI300X": None,
    }
    for ours, theirs in expected.items():
        assert upstream_gpu_name(get_gpu(ours), table) == theirs, ours
    assert upstream_gpu_name(get_gpu("H100"), ["nvidia_h100_sxm"]) == "nvidia_h100_sxm"


def test_gpu_table_is_read_at_run_time(upstream: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    gpus = sys.modules["llm_optimizer.predefined.gpus"]
    backend = LLMOptimizerBackend()
    assert backend.estimate(request_for(gpu="MI300X")).error is not None
    spec = {"VRAM_GB": 192, "FP16_TFLOPS": 1307.0, "FP8_TFLOPS": 2615.0, "Memory_Bandwidth_GBs": 5300}
    monkeypatch.setitem(gpus.GPU_SPECS, "MI300X", spec)
    record = backend.estimate(request_for(gpu="MI300X"))
    assert record.ok and upstream.CALLS[-1]["gpu_name"] == "MI300X"


def test_gpu_upstream_lacks_gives_a_record_naming_its_gpus(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for(gpu="MI300X", num_gpus=2))
    assert upstream.CALLS == []
    assert record.error == (
        f"GPU 'MI300X' is not supported by llm-optimizer: its GPU table has only {DOUBLE_GPUS} "
        "(use backend 'native' for this GPU)"
    )
    assert record.backend == "llm-optimizer" and record.gpu == "MI300X" and not record.fits
    assert (record.num_gpus, record.tp, record.concurrency) == (2, 2, 8)
    assert no_infinity(record.to_dict())


def test_upstream_value_error_becomes_a_record_error(
    upstream: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream, "RESULT_STYLE", "raise")
    monkeypatch.setattr(upstream, "RAISE_WITH", ValueError("Unsupported precision: fp8 for H100"))
    record = LLMOptimizerBackend().estimate(request_for(gpu="H100", precision="fp8"))
    assert record.error == "llm-optimizer failed: ValueError: Unsupported precision: fp8 for H100"
    assert not record.fits and record.ttft_ms is None


def test_any_upstream_failure_becomes_a_record_error(
    upstream: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream, "RESULT_STYLE", "raise")
    monkeypatch.setattr(upstream, "RAISE_WITH", ZeroDivisionError("float division by zero"))
    record = LLMOptimizerBackend().estimate(request_for())
    assert record.error == "llm-optimizer failed: ZeroDivisionError: float division by zero"
    monkeypatch.setattr(upstream, "RESULT_STYLE", "garbage")
    record = LLMOptimizerBackend().estimate(request_for())
    assert record.error is not None and "returned str 'not a result'" in record.error


def test_tp_groups_are_pooled_and_replicas_share_the_requests(upstream: ModuleType) -> None:
    """Upstream pools the GPUs it is given: one call per TP group, the replicas split the requests."""
    backend = LLMOptimizerBackend()
    pooled = backend.estimate(request_for(num_gpus=4, tp=4, concurrency=8))
    (call,) = upstream.CALLS
    assert (call["num_gpus"], call["concurrency"]) == (4, 8)
    assert (pooled.num_gpus, pooled.tp, pooled.replicas, pooled.concurrency) == (4, 4, 1, 8)
    upstream.CALLS.clear()
    split = backend.estimate(request_for(num_gpus=4, tp=2, concurrency=9))
    assert sorted((c["num_gpus"], c["concurrency"]) for c in upstream.CALLS) == [(2, 4), (2, 5)]
    assert (split.num_gpus, split.tp, split.replicas, split.concurrency) == (4, 2, 2, 9)
    raws = {c["concurrency"]: raw_call(upstream, c) for c in list(upstream.CALLS)}
    assert split.output_throughput_tok_s == pytest.approx(sum(r.output_throughput_tps for r in raws.values()))
    assert split.itl_ms == pytest.approx((4 * raws[4].itl_ms + 5 * raws[5].itl_ms) / 9)
    assert split.output_throughput_tok_s_per_gpu == pytest.approx(split.output_throughput_tok_s / 4)
    assert any("2 data-parallel replicas" in n and "1 x 5, 1 x 4" in n for n in split.backend_notes)
    with pytest.raises(InvalidArgumentError, match="valid tp"):
        backend.estimate(request_for(num_gpus=8, tp=3))
    piped = backend.estimate(request_for(num_gpus=4, tp=2, pp=2))
    assert not piped.fits and "pipeline parallelism" in (piped.error or "")
    assert (piped.tp, piped.pp, piped.num_gpus) == (2, 2, 4)


def test_tp_none_picks_the_smallest_degree_that_fits(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for(num_gpus=4, concurrency=4))
    assert record.ok and (record.tp, record.replicas) == (1, 4)
    assert all(c["num_gpus"] == 1 for c in upstream.CALLS)
    assert any(n.startswith("tp not given: tp=1") for n in record.backend_notes)


def test_gpt_oss_mxfp4_is_estimated_at_fp8_with_a_note(upstream: ModuleType) -> None:
    arch = load_model(GPT_OSS_120B)
    assert arch.native_precision == "mxfp4"
    record = LLMOptimizerBackend().estimate(request_for(GPT_OSS_120B, num_gpus=2, tp=2))
    assert upstream.CALLS[0]["precision"] == "fp8"
    assert upstream.CALLS[0]["model_config"].inferred_precision == "fp8"
    assert upstream.CALLS[0]["model_config"].num_params == arch.total_params
    assert record.precision == "fp8"
    (note,) = [n for n in record.backend_notes if n.startswith("precision mxfp4")]
    assert note == (
        "precision mxfp4 is not supported by llm-optimizer (fp16, bf16, fp8 only); estimated at fp8, "
        "the nearest it supports, overstating weight memory and bandwidth"
    )
    assert any(
        "rebuilds the weights from hidden_size" in n and "every expert" in n for n in record.backend_notes
    )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("bf16", "bf16"), ("fp16", "fp16"), ("fp8", "fp8"), ("fp32", "bf16"), ("int8", "fp8"), ("int4", "fp8"),
     ("fp4", "fp8"), ("awq", "fp8")],
)  # fmt: skip
def test_precisions_map_to_the_ones_upstream_knows(upstream: ModuleType, ours: str, theirs: str) -> None:
    record = LLMOptimizerBackend().estimate(request_for(precision=ours, num_gpus=2))
    assert upstream.CALLS[-1]["precision"] == theirs
    assert record.precision == theirs
    mapped = [n for n in record.backend_notes if n.startswith("precision ")]
    if ours == theirs:
        assert mapped == []
    else:
        assert len(mapped) == 1 and f"estimated at {theirs}" in mapped[0]


def test_kv_precision_and_engine_knobs_are_noted_as_ignored(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(
        request_for(kv_precision="fp8", engine="sglang", max_num_seqs=64, max_num_batched_tokens=8192)
    )
    assert (
        "kv_precision=fp8 was ignored: llm-optimizer keeps the KV cache at the weight precision (bf16)"
        in record.backend_notes
    )
    assert (
        "llm-optimizer models no serving engine: engine='sglang', max_num_batched_tokens=8192, "
        "max_num_seqs=64 ignored" in record.backend_notes
    )
    assert record.engine == "sglang" and record.kv_precision == "bf16"
    plain = LLMOptimizerBackend().estimate(request_for(kv_precision="bf16"))
    assert not any("ignored" in note for note in plain.backend_notes)


def test_concurrency_limits_come_from_upstream(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for(num_gpus=2, tp=2))
    call = {
        k: v for k, v in upstream.CALLS[0].items() if k not in ("concurrency", "mfu_prefill", "mfu_decode")
    }
    limits = upstream.calculate_concurrency_limits(**call)
    assert record.max_concurrency_kv == limits["kv_cache_limit"]
    assert record.prefill_compute_limit == limits["prefill_compute_limit"]
    assert record.decode_capacity_limit == limits["decode_capacity_limit"]
    assert record.theoretical_concurrency_limit == limits["overall_limit"]


def test_invalid_arguments_raise(upstream: ModuleType) -> None:
    backend = LLMOptimizerBackend()
    with pytest.raises(InvalidArgumentError, match="concurrency must be an integer >= 1"):
        backend.estimate(request_for(concurrency=0))
    with pytest.raises(InvalidArgumentError, match="unknown precision 'int3'"):
        backend.estimate(request_for(precision="int3"))
    with pytest.raises(InvalidArgumentError, match="gpu_memory_utilization"):
        backend.estimate(request_for(gpu_memory_utilization=1.5))
    with pytest.raises(InvalidArgumentError, match="request must be an EstimateRequest"):
        backend.estimate({"gpu": "H100"})  # type: ignore[arg-type]
    assert upstream.CALLS == []


# --------------------------------------------------------------------------------------------------
# Model config: ours by default, the hub only when allowed
# --------------------------------------------------------------------------------------------------


def test_hub_is_not_touched_unless_allowed(upstream: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    common = sys.modules["llm_optimizer.common"]

    def no_network(model_id: str) -> object:
        raise AssertionError(f"hub loader called for {model_id}")

    monkeypatch.setattr(common, "get_model_config_and_precision_from_hf", no_network)
    assert LLMOptimizerBackend().estimate(request_for()).ok


def test_hub_config_is_used_when_allowed(upstream: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    common = sys.modules["llm_optimizer.common"]
    hub_config = common.ModelConfig(
        num_params=7_000_000_000, num_layers=32, hidden_dim=4096, num_heads=32, num_kv_heads=8,
        vocab_size=128256, inferred_precision="bf16",
    )  # fmt: skip
    monkeypatch.setitem(common.HUB_CONFIGS, LLAMA_8B, hub_config)
    record = LLMOptimizerBackend().estimate(request_for(allow_hub=True))
    assert upstream.CALLS[0]["model_config"] is hub_config
    assert any(
        "read from the Hugging Face hub" in note and "7000000000" in note for note in record.backend_notes
    )


def test_hub_failure_falls_back_to_our_architecture(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for(allow_hub=True))
    assert record.ok
    assert upstream.CALLS[0]["model_config"].num_params == load_model(LLAMA_8B).total_params
    assert any(
        "could not read 'meta-llama/Llama-3.1-8B' from the hub (RuntimeError" in note
        for note in record.backend_notes
    )


# --------------------------------------------------------------------------------------------------
# find_best_performance and run_performance_estimation
# --------------------------------------------------------------------------------------------------


def _double_model_config(upstream: ModuleType, arch: ModelArchitecture) -> Any:
    common = sys.modules["llm_optimizer.common"]
    return common.ModelConfig(
        num_params=arch.total_params, num_layers=arch.num_layers, hidden_dim=arch.hidden_size,
        num_heads=arch.num_attention_heads, num_kv_heads=arch.num_kv_heads, vocab_size=arch.vocab_size,
        inferred_precision="bf16",
    )  # fmt: skip


def test_normalize_best_configs_with_objects_and_dicts(upstream: ModuleType) -> None:
    arch = load_model(LLAMA_8B)
    best = upstream.find_best_performance(
        num_gpus=1, gpu_name="H100", model_config=_double_model_config(upstream, arch), precision="bf16",
        input_length=1024, output_length=256,
    )  # fmt: skip
    request = request_for(num_gpus=1)
    records = normalize_best_configs(best, request=request)
    assert set(records) == {"best_latency", "best_input_throughput", "best_output_throughput"}
    for key, record in records.items():
        assert record is not None
        assert_matches_raw(record, best[key], num_gpus=1)
        assert record.gpu == "H100 SXM" and record.model_id == LLAMA_8B
    assert records["best_latency"] is not None and records["best_latency"].concurrency == 1
    as_dicts = {k: None if v is None else dataclasses.asdict(v) for k, v in best.items()}
    assert normalize_best_configs(as_dicts, request=request) == records

    nothing = normalize_best_configs(
        {"best_latency": None, "best_input_throughput": None, "best_output_throughput": None}, request=request
    )
    assert nothing == {"best_latency": None, "best_input_throughput": None, "best_output_throughput": None}

    bare = normalize_best_configs(best, num_gpus=1, gpu="H100")
    bare_latency = bare["best_latency"]
    assert bare_latency is not None and bare_latency.gpu == "H100" and bare_latency.model_id == "unknown"
    assert any("precision, input_length, output_length" in n for n in bare_latency.backend_notes)
    with pytest.raises(BackendError, match="must be a dict"):
        normalize_best_configs([1, 2, 3])  # type: ignore[arg-type]


def test_normalize_estimation_result_with_objects_and_dicts(
    upstream: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    common = sys.modules["llm_optimizer.common"]
    arch = load_model(LLAMA_8B)
    monkeypatch.setitem(common.HUB_CONFIGS, LLAMA_8B, _double_model_config(upstream, arch))
    params = upstream.PerformanceEstimationParams(
        model=LLAMA_8B, input_len=1024, output_len=256, gpu="H100", num_gpus=2
    )
    pair = upstream.run_performance_estimation(params)
    summary = normalize_estimation_result(pair)
    assert isinstance(summary, LLMOptimizerEstimation)
    assert (summary.model_id, summary.gpu, summary.num_gpus, summary.precision) == (
        LLAMA_8B,
        "H100",
        2,
        "bf16",
    )
    assert (summary.input_length, summary.output_length) == (1024, 256)
    result = pair[1]
    assert summary.concurrency_limits == result.concurrency_limits
    assert all(type(v) is int for v in summary.concurrency_limits.values())
    assert summary.optimal_concurrency == result.optimal_concurrency
    assert summary.best_output_throughput is not None
    assert_matches_raw(
        summary.best_output_throughput, result.best_configs["best_output_throughput"], num_gpus=2
    )
    assert summary.best_output_throughput.max_concurrency_kv == result.concurrency_limits["kv_cache_limit"]
    assert summary.best_output_throughput.optimal_concurrency == result.optimal_concurrency
    assert summary.tuning_commands == result.tuning_commands
    assert summary.constrained is None

    as_dicts = (dataclasses.asdict(pair[0]), dataclasses.asdict(pair[1]))
    assert isinstance(as_dicts[1]["best_configs"]["best_latency"], dict)
    assert normalize_estimation_result(as_dicts) == summary
    assert no_infinity(summary.to_dict())
    json.dumps(summary.to_dict(), allow_nan=False)

    with pytest.raises(BackendError, match="pair"):
        normalize_estimation_result(result)


# --------------------------------------------------------------------------------------------------
# Which package is installed, and get_backend
# --------------------------------------------------------------------------------------------------


def test_get_backend_by_name_uses_the_double(upstream: ModuleType) -> None:
    backend = get_backend("llm-optimizer")
    assert isinstance(backend, LLMOptimizerBackend) and backend.name == "llm-optimizer"
    check_contract(backend)
    described = backend.describe()
    assert described["status"] == "ok" and described["gpus"] == DOUBLE_GPUS.split(", ")


def test_auto_picks_llm_optimizer_when_present_for_models_it_represents(upstream: ModuleType) -> None:
    dense = get_backend("auto", load_model(LLAMA_8B))
    assert dense.name == "llm-optimizer"
    record = dense.estimate(request_for())
    assert record.backend == "llm-optimizer"
    assert any(
        "backend=auto chose llm-optimizer" in n and "dense full-attention" in n for n in record.backend_notes
    )
    for model, why in (
        (GPT_OSS_120B, "sliding-window"),
        ("Qwen/Qwen3-30B-A3B", "mixture of experts"),
        ("deepseek-ai/DeepSeek-V3", "latent attention"),
        ("ibm-granite/granite-4.0-h-small", "Mamba"),
    ):
        chosen = get_backend("auto", load_model(model))
        assert chosen.name == "native", model
        assert why in str(getattr(chosen, "reason", "")), model
        assert any(why in n for n in chosen.estimate(request_for(model, "H200", num_gpus=8)).backend_notes)
    per_request = get_backend("auto")
    assert per_request.estimate(request_for()).backend == "llm-optimizer"
    assert per_request.estimate(request_for("Qwen/Qwen3-30B-A3B")).backend == "native"


@pytest.mark.parametrize("situation", ["not_installed", "wrong_package"])
def test_auto_falls_back_to_native_when_absent_or_wrong(
    situation: str, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    request.getfixturevalue(situation)
    with caplog.at_level(logging.INFO, logger="config_explorer.backends"):
        backend = get_backend("auto")
    assert backend.name == "native"
    reason = (
        "BentoML's llm-optimizer is not installed (no module named llm_optimizer)"
        if situation == "not_installed"
        else "The installed llm_optimizer package is not BentoML's llm-optimizer "
        "(distribution 'llm-optimizer' 0.4.3): it has no llm_optimizer.performance.estimate_llm_performance"
    )
    assert any(
        r.levelno == logging.INFO and r.getMessage() == f"backend=auto: using native ({reason})"
        for r in caplog.records
    )
    record = backend.estimate(request_for())
    assert record.backend == "native"
    assert f"backend=auto chose native: {reason}" in record.backend_notes


def test_wrong_package_is_refused_naming_its_distribution(wrong_package: None) -> None:
    # the fake dist-info beside the fake package is what importlib.metadata reads from sys.path
    assert importlib.metadata.version("llm-optimizer") == "0.4.3"
    assert set(importlib.metadata.packages_distributions()["llm_optimizer"]) == {"llm-optimizer"}
    with pytest.raises(BackendUnavailableError) as caught:
        LLMOptimizerBackend()
    message = str(caught.value)
    assert message.startswith(
        "The installed llm_optimizer package is not BentoML's llm-optimizer "
        "(distribution 'llm-optimizer' 0.4.3): it has no llm_optimizer.performance.estimate_llm_performance. "
    )
    assert str(WRONG / "llm_optimizer") in message
    assert "pip uninstall llm-optimizer" in message
    assert PIP_HINT in message and INSTALL_HINT in message
    assert "not on PyPI" in message and "unrelated" in message
    # recognised without running the namesake's code
    assert "llm_optimizer" not in sys.modules


def test_not_installed_is_refused_with_the_install_hint(not_installed: None) -> None:
    with pytest.raises(BackendUnavailableError) as caught:
        get_backend("llm-optimizer")
    message = str(caught.value)
    assert (
        message
        == f"BentoML's llm-optimizer is not installed (no module named llm_optimizer). {INSTALL_HINT}."
    )
    assert PIP_HINT in message and "not on PyPI" in message


def test_broken_upstream_is_refused_with_its_import_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "llm_optimizer"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "performance.py").write_text("import click_that_is_not_installed\n")
    _purge()
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        described = describe_llm_optimizer()
        assert described["status"] == "broken" and described["available"] is False
        with pytest.raises(BackendUnavailableError, match="is installed but does not import") as caught:
            LLMOptimizerBackend()
        first_sentence = str(caught.value).split(". ")[0]
        assert "ModuleNotFoundError: No module named 'click_that_is_not_installed'" in first_sentence
    finally:
        _purge()


def test_describe_llm_optimizer_reports_all_three_states(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {"name", "available", "status", "distribution", "version", "location", "detail"}
    request.getfixturevalue("not_installed")
    missing = describe_llm_optimizer()
    assert set(missing) == keys
    assert missing["status"] == "not installed" and missing["available"] is False
    assert PIP_HINT in str(missing["detail"])
    monkeypatch.delitem(sys.modules, "llm_optimizer")

    monkeypatch.syspath_prepend(str(WRONG))
    wrong = describe_llm_optimizer()
    assert wrong["status"] == "wrong package" and wrong["available"] is False
    assert (wrong["distribution"], wrong["version"]) == ("llm-optimizer", "0.4.3")
    _purge()

    monkeypatch.syspath_prepend(str(DOUBLE))
    ok = describe_llm_optimizer()
    assert ok["status"] == "ok" and ok["available"] is True
    assert ok["location"] == str(DOUBLE / "llm_optimizer")
    _purge()


def test_describe_llm_optimizer_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import config_explorer.backends.llm_optimizer as adapter

    def explode() -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(adapter, "_probe", explode)
    described = describe_llm_optimizer()
    assert described["status"] == "broken" and described["available"] is False
    assert "disk on fire" in str(described["detail"])


def test_sweep_through_the_adapter_has_no_infinity(upstream: ModuleType) -> None:
    result = sweep_with(LLMOptimizerBackend(), request_for(GPT_OSS_120B, "H100", num_gpus=2))
    assert any(p.ok for p in result.points) and any(not p.fits for p in result.points)
    assert no_infinity(result.to_dict())
    json.dumps(result.to_dict(), allow_nan=False)


# --------------------------------------------------------------------------------------------------
# The real upstream, when present
# --------------------------------------------------------------------------------------------------


@pytest.mark.real_llm_optimizer
@pytest.mark.skipif(not _real_upstream_importable(), reason="BentoML's llm-optimizer is not importable here")
def test_contract_against_the_real_llm_optimizer() -> None:
    _purge()
    try:
        backend = LLMOptimizerBackend()
        assert "IS_TEST_DOUBLE" not in vars(sys.modules["llm_optimizer"])
        check_contract(backend)
        record = backend.estimate(request_for(GPT_OSS_120B, num_gpus=4, tp=2, concurrency=9))
        assert (record.num_gpus, record.tp, record.replicas) == (4, 2, 2)
        assert any("2 data-parallel replicas" in n and "1 x 5, 1 x 4" in n for n in record.backend_notes)
        assert any(n.startswith("precision mxfp4") for n in record.backend_notes)
    finally:
        _purge()


def test_records_are_frozen_attrs(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for())
    assert attrs.has(type(record))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.ttft_ms = 1.0  # type: ignore[misc]


def test_gpu_spec_objects_not_in_the_catalog_map_by_alias(upstream: ModuleType) -> None:
    base = get_gpu("H100")
    custom = GPUSpec(
        name="My Cloud H100",
        memory_gib=base.memory_gib,
        memory_bandwidth_tb_s=base.memory_bandwidth_tb_s,
        tflops=base.tflops,
        interconnect_bandwidth_gb_s=base.interconnect_bandwidth_gb_s,
        aliases=("NVIDIA-H100",),
    )
    request = attrs.evolve(request_for(), gpu=custom)
    record = LLMOptimizerBackend().estimate(request)
    assert record.ok and record.gpu == "My Cloud H100" and upstream.CALLS[0]["gpu_name"] == "H100"


# --------------------------------------------------------------------------------------------------
# Every public entry point works with backend="llm-optimizer"
# --------------------------------------------------------------------------------------------------


def test_every_public_entry_point_runs_on_the_adapter(
    upstream: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from config_explorer.cli import main
    from config_explorer.recommender import (
        GPURecommender,
        estimate_performance,
        estimate_performance_batch,
        recommend_gpus,
    )

    single = estimate_performance("meta-llama/Llama-3.1-8B", "H100", 1, None, 512, 128, 4, "llm-optimizer")
    assert single.backend == "llm-optimizer" and single.ok
    batch = estimate_performance_batch(
        "meta-llama/Llama-3.1-8B",
        [("H100", 1), ("MI300X", 1), ("nope", 1)],
        512,
        128,
        backend="llm-optimizer",
    )
    assert batch[0].ok and batch[1].error and "unknown GPU" in (batch[2].error or "")
    result = recommend_gpus(
        "meta-llama/Llama-3.1-8B", 512, 128, gpus=["H100", "A100"], max_gpus=2, backend="llm-optimizer"
    )
    assert result.backend == "llm-optimizer" and result.best is not None
    assert result.best.estimate is not None and result.best.estimate.backend == "llm-optimizer"
    recs = GPURecommender(input_len=512, output_len=128, backend="llm-optimizer").recommend_gpus(
        ["meta-llama/Llama-3.1-8B"], ["H100", "L40"]
    )
    assert recs[0].best_gpu is not None
    assert main(["backends", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["auto_selects"] == "llm-optimizer"
    assert set(doc["estimates"]) == {"native", "llm-optimizer"}


# --------------------------------------------------------------------------------------------------
# Comparing the two backends
# --------------------------------------------------------------------------------------------------


def test_compare_backends_pairs_the_figures_on_one_layout(upstream: ModuleType) -> None:
    from config_explorer.recommender import compare_backends

    comparison = compare_backends(LLAMA_8B, "H100", 4, None, 1024, 256, 8)
    ours, theirs = comparison.baseline, comparison.other
    assert (ours.backend, theirs.backend) == ("native", "llm-optimizer")
    # tp not given: the baseline chose it and the other backend was asked for the same layout
    assert theirs.tp == ours.tp and theirs.replicas == ours.replicas
    assert comparison.reasons[0] == f"tp not given: both backends estimated at native's choice, tp={ours.tp}"
    itl = comparison.figure("itl_ms")
    assert (itl.baseline, itl.other) == (ours.itl_ms, theirs.itl_ms)
    assert itl.ratio == pytest.approx((theirs.itl_ms or 0) / (ours.itl_ms or 1))
    # every upstream note is among the reasons, in order
    assert list(comparison.reasons[1:]) == list(theirs.backend_notes)
    json.dumps(comparison.to_dict(), allow_nan=False)
    with pytest.raises(InvalidArgumentError, match=r"unknown figure 'ttft'.*ttft_ms"):
        comparison.figure("ttft")


def test_compare_backends_carries_a_failed_side_without_ratios(upstream: ModuleType) -> None:
    from config_explorer.recommender import compare_backends

    comparison = compare_backends(LLAMA_8B, "H100", 4, 2, 1024, 256, 8, pipeline_parallel_size=2)
    assert comparison.baseline.ok
    assert not comparison.other.ok and "pipeline parallelism" in (comparison.other.error or "")
    assert all(f.other is None and f.ratio is None for f in comparison.figures)


def test_compare_backends_cli(upstream: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    from config_explorer.cli import main

    argv = [
        "compare-backends",
        "--model",
        LLAMA_8B,
        "--gpu",
        "H100",
        "--workload",
        "chat",
        "--concurrency",
        "4",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert (
        "llm-optimizer / native" in text
        and "why: llm-optimizer's latency ignores the parameter count" in text
    )
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["other"]["backend"] == "llm-optimizer" and {f["figure"] for f in doc["figures"]} >= {"ttft_ms"}


def test_compare_backends_without_upstream_exits_2_with_the_install_hint(
    not_installed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from config_explorer.cli import main

    assert main(["compare-backends", "--model", LLAMA_8B, "--gpu", "H100", "--workload", "chat"]) == 2
    assert "not installed" in capsys.readouterr().err


def test_the_weights_note_counts_the_experts_a_batch_routes_to(upstream: ModuleType) -> None:
    """An MoE batch reads every distinct expert it routes to, not only one token's: at 8 sequences
    Qwen3-30B-A3B touches about 52 of its 128 experts per layer, so upstream's rebuilt weights are far
    below what a step reads, and its decode latency is optimistic, not pessimistic."""
    from config_explorer.backends.llm_optimizer import model_weights_per_step, upstream_weights_per_step

    arch = load_model("Qwen/Qwen3-30B-A3B")
    one, eight = model_weights_per_step(arch, 1), model_weights_per_step(arch, 8)
    assert one == arch.active_params and eight > 3 * one
    assert model_weights_per_step(arch, 100_000) == pytest.approx(
        arch.total_params - arch.embedding_params, rel=0.01
    )
    record = LLMOptimizerBackend().estimate(request_for("Qwen/Qwen3-30B-A3B", concurrency=8, tp=1))
    (note,) = [n for n in record.backend_notes if "rebuilds the weights" in n]
    ratio = upstream_weights_per_step(arch) / eight
    assert f"at 8 sequences per step, 51.6 of 128 experts per MoE layer ({ratio:.2f}x)" in note
    assert "optimistic" in note and "concurrency limits" in note
    dense = LLMOptimizerBackend().estimate(request_for(LLAMA_8B, concurrency=8, tp=1))
    assert any("7.50B at 8 sequences per step (0.75x)" in n for n in dense.backend_notes)


def test_an_fp8_checkpoints_kv_cache_is_noted_at_upstreams_precision(upstream: ModuleType) -> None:
    record = LLMOptimizerBackend().estimate(request_for("RedHatAI/Qwen3-8B-FP8-dynamic", tp=1))
    assert record.precision == "fp8"
    assert any(
        n.startswith("llm-optimizer keeps the KV cache at the weight precision (fp8")
        for n in record.backend_notes
    )
    plain = LLMOptimizerBackend().estimate(request_for(LLAMA_8B, tp=1))
    assert not any("keeps the KV cache" in n for n in plain.backend_notes)


def test_auto_picks_native_for_features_only_native_models(upstream: ModuleType) -> None:
    from config_explorer.recommender import estimate_performance

    plain = estimate_performance(LLAMA_8B, "H100", 1, 1, 1024, 256, concurrency=4)
    assert plain.backend == "llm-optimizer"
    fast = estimate_performance(LLAMA_8B, "H100", 1, 1, 1024, 256, concurrency=4, speculative="eagle3")
    assert fast.backend == "native" and fast.speculative_method == "eagle3"
    assert any("only the native engine models speculative decoding" in n for n in fast.backend_notes)


def test_an_estimate_sweep_with_a_feature_runs_where_its_first_point_did(
    upstream: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """``estimate --sweep --prefix-len``: every point of the sweep is estimated by the backend ``auto``
    chose for the feature (native), as the single estimate is, not by llm-optimizer, which has no prefix cache."""
    from config_explorer.cli import main

    argv = ["estimate", "--model", LLAMA_8B, "--gpu", "H100", "--input-len", "1024", "--output-len", "128"]
    assert main([*argv, "--prefix-len", "512", "--sweep", "--json"]) == 0
    points = json.loads(capsys.readouterr().out)["points"]
    assert points and {p["backend"] for p in points} == {"native"}
    assert all((p["prefix_cache_hit_rate"] or 0) > 0 for p in points if p["fits"])
    assert main([*argv, "--sweep", "--json"]) == 0  # without the feature, auto keeps llm-optimizer
    assert {p["backend"] for p in json.loads(capsys.readouterr().out)["points"]} == {"llm-optimizer"}
