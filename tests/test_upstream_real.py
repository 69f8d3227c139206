"""The llm-optimizer backend against BentoML's real llm-optimizer, not the test double.

Why: most adapter tests run against tests/fakes/llm_optimizer_double/, which copies upstream's layout and
signatures but not its arithmetic. The adapter also *describes* upstream on every record (how it counts
weights and KV cache, that its GB are GiB, that TTFT grows with concurrency, ...). These tests check
those descriptions against upstream's own functions, and the double's shape against upstream's, so
that neither can drift from the real code unnoticed.

Every test here needs the real upstream importable (e.g. the /tmp/lo-venv of
tests/fixtures/llm_optimizer/README.md) and is skipped otherwise. The double is never put on
``sys.path``; where its shape is compared it is loaded from its files under another name.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import inspect
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from tests.test_backend_llm_optimizer import _purge, _real_upstream_importable

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.backends.base import EstimateRequest
from config_explorer.backends.llm_optimizer import (
    _BEST_CONFIG_KEYS,
    _LIMIT_KEYS,
    LATENCY_PERCENTILE_MULTIPLIERS,
    LLMOptimizerBackend,
    upstream_gpu_name,
    upstream_kv_values_per_token,
    upstream_weights_per_step,
)
from config_explorer.catalogs.gpus import GPUSpec, get_gpu, list_gpus
from config_explorer.catalogs.models import bundled_models
from config_explorer.engine.records import PerformanceEstimate

ROOT = Path(__file__).resolve().parent.parent
DOUBLE = Path(__file__).parent / "fakes" / "llm_optimizer_double"
DOUBLE_ALIAS = "llm_optimizer_double"
CAPTURE_TOOL = ROOT / "tools" / "capture_llm_optimizer_fixtures.py"
GIB = 1024**3

LLAMA_8B = "meta-llama/Llama-3.1-8B"
#: the models issue 12 names: dense, MoE, MLA + MoE, MoE with sliding windows and mxfp4 weights
NAMED_MODELS = (LLAMA_8B, "Qwen/Qwen3-30B-A3B", "deepseek-ai/DeepSeek-V3", "openai/gpt-oss-120b")
ALL_MODELS = tuple(entry.model_id for entry in bundled_models())


# --------------------------------------------------------------------------------------------------
# Isolation: the real upstream, never the double
# --------------------------------------------------------------------------------------------------


pytestmark = [
    pytest.mark.real_llm_optimizer,
    pytest.mark.skipif(
        not _real_upstream_importable(),
        reason="BentoML's llm-optimizer is not importable here (see tests/fixtures/llm_optimizer/README.md)",
    ),
]


@pytest.fixture
def upstream() -> Iterator[SimpleNamespace]:
    """The real upstream's modules, freshly imported, and an adapter over them."""
    _purge()
    assert not any(str(DOUBLE) in str(p) for p in sys.path)
    try:
        modules = SimpleNamespace(
            performance=importlib.import_module("llm_optimizer.performance"),
            common=importlib.import_module("llm_optimizer.common"),
            gpus=importlib.import_module("llm_optimizer.predefined.gpus"),
            resources=importlib.import_module("llm_optimizer.resources"),
        )
        assert "IS_TEST_DOUBLE" not in vars(sys.modules["llm_optimizer"])
        for module in vars(modules).values():
            assert not Path(module.__file__).is_relative_to(DOUBLE)
        modules.backend = LLMOptimizerBackend()
        yield modules
    finally:
        _purge()


def _record_calls(monkeypatch: pytest.MonkeyPatch, performance: ModuleType) -> list[dict[str, Any]]:
    """Keyword arguments of every call the adapter makes to upstream's estimate_llm_performance."""
    calls: list[dict[str, Any]] = []
    original = performance.estimate_llm_performance

    def recording(**arguments: Any) -> Any:
        calls.append(arguments)
        return original(**arguments)

    monkeypatch.setattr(performance, "estimate_llm_performance", recording)
    return calls


def request_for(model: str = LLAMA_8B, gpu: str | GPUSpec = "H100", **fields: Any) -> EstimateRequest:
    values: dict[str, Any] = {"input_length": 1024, "output_length": 256, "concurrency": 8, **fields}
    return EstimateRequest(arch=load_model(model), gpu=get_gpu(gpu), **values)


def sent_model_config(upstream: SimpleNamespace, arch: ModelArchitecture) -> Any:
    """The ModelConfig the adapter hands upstream for ``arch`` (whether or not the model fits)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        calls = _record_calls(monkeypatch, upstream.performance)
        request = EstimateRequest(arch=arch, gpu=get_gpu("H100"), input_length=1024, output_length=256)
        upstream.backend.estimate(request)
    assert calls, f"the adapter never called upstream for {arch.model_id}"
    return calls[0]["model_config"]


def note_starting(record: PerformanceEstimate, start: str) -> str:
    found = [note for note in record.backend_notes if note.startswith(start)]
    assert len(found) == 1, (start, record.backend_notes)
    return found[0]


# --------------------------------------------------------------------------------------------------
# a. The notes' numbers are upstream's own arithmetic
# --------------------------------------------------------------------------------------------------


def test_the_named_models_are_bundled() -> None:
    assert set(NAMED_MODELS) <= set(ALL_MODELS)


@pytest.mark.parametrize("model_id", ALL_MODELS)
def test_weights_and_kv_per_token_are_what_upstream_counts(upstream: SimpleNamespace, model_id: str) -> None:
    """``upstream_weights_per_step`` and ``upstream_kv_values_per_token`` against upstream's
    ``calculate_memory_access_bytes`` and ``ModelMemoryCalculator.calculate_kv_cache_memory``, fed the
    ModelConfig the adapter really sends."""
    arch = load_model(model_id)
    config = sent_model_config(upstream, arch)
    access = upstream.performance.calculate_memory_access_bytes
    for bytes_per_value in (1, 2):
        counted = access(config, sequence_length=1, batch_size=1, bytes_per_param=bytes_per_value)
        assert counted["model_weights"] / bytes_per_value == upstream_weights_per_step(arch)
        assert counted["kv_cache"] / bytes_per_value == upstream_kv_values_per_token(arch)
    calculator = upstream.resources.ModelMemoryCalculator()
    for precision, bytes_per_value in (("bf16", 2), ("fp8", 1)):
        kv_bytes = calculator.calculate_kv_cache_memory(
            config, sequence_length=1, batch_size=1, precision=precision
        )
        assert kv_bytes / bytes_per_value == upstream_kv_values_per_token(arch)


@pytest.mark.parametrize("model_id", NAMED_MODELS)
def test_method_notes_quote_upstreams_counts(upstream: SimpleNamespace, model_id: str) -> None:
    arch = load_model(model_id)
    config = sent_model_config(upstream, arch)
    record = upstream.backend.estimate(request_for(model_id, "H200", num_gpus=8))
    counted = upstream.performance.calculate_memory_access_bytes(config, 1, 1, bytes_per_param=1)
    weights, kv_values = counted["model_weights"], counted["kv_cache"]
    note = note_starting(record, "llm-optimizer's latency ignores the parameter count")
    assert f"reads {weights / 1e9:.2f}B weights per decode step" in note
    ours = arch.kv_cache_bytes_per_token("bf16") / 2
    if abs(kv_values - ours) > 0.01 * ours:
        kv_note = note_starting(record, "llm-optimizer's KV cache is")
        assert kv_note.startswith(f"llm-optimizer's KV cache is {int(kv_values):,} values per token")
    else:
        assert not any(n.startswith("llm-optimizer's KV cache is") for n in record.backend_notes)


def test_latency_ignores_num_params_and_memory_uses_it(upstream: SimpleNamespace) -> None:
    """What the note says: num_params drives only the memory check; latency is rebuilt from hidden_size."""
    arch = load_model("Qwen/Qwen3-30B-A3B")
    config = sent_model_config(upstream, arch)
    doubled = dataclasses.replace(config, num_params=2 * config.num_params)
    arguments = {
        "num_gpus": 2,
        "gpu_name": "H100",
        "precision": "bf16",
        "concurrency": 4,
        "input_length": 1024,
        "output_length": 256,
    }
    one = upstream.performance.estimate_llm_performance(model_config=config, **arguments)
    two = upstream.performance.estimate_llm_performance(model_config=doubled, **arguments)
    assert (one.ttft_ms, one.itl_ms, one.e2e_latency_s) == (two.ttft_ms, two.itl_ms, two.e2e_latency_s)
    kv_bytes = 2 * upstream_kv_values_per_token(arch) * (1024 + 256) * 4
    assert one.memory_needed_gb == pytest.approx((arch.total_params * 2 + kv_bytes) / GIB, rel=1e-12)
    assert two.memory_needed_gb - one.memory_needed_gb == pytest.approx(
        arch.total_params * 2 / GIB, rel=1e-12
    )


def _mapped_gpus(upstream: SimpleNamespace) -> list[tuple[GPUSpec, str]]:
    names = list(upstream.gpus.GPU_SPECS)
    mapped = [(spec, upstream_gpu_name(spec, names)) for spec in list_gpus()]
    return [(spec, name) for spec, name in mapped if name is not None]


def test_upstream_reads_its_gpu_table_gb_as_gib(upstream: SimpleNamespace) -> None:
    """``GPUResourceManager.get_total_resources`` multiplies "VRAM_GB" and "Memory_Bandwidth_GBs" by 1024^3."""
    manager = upstream.resources.GPUResourceManager()
    for name, table in upstream.gpus.GPU_SPECS.items():
        resources = manager.get_total_resources(num_gpus=1, gpu_name=name, precision="bf16")
        assert resources.per_gpu_memory_bytes == int(table["VRAM_GB"] * GIB), name
        assert resources.per_gpu_bandwidth_bytes_per_sec == int(table["Memory_Bandwidth_GBs"] * GIB), name


def test_gib_note_quotes_upstreams_bytes(upstream: SimpleNamespace) -> None:
    manager = upstream.resources.GPUResourceManager()
    mapped = _mapped_gpus(upstream)
    assert {name for _, name in mapped} >= {"H100", "H200", "A100", "A100-40GB", "L40", "B200"}
    for spec, name in mapped:
        resources = manager.get_total_resources(num_gpus=1, gpu_name=name, precision="bf16")
        record = upstream.backend.estimate(request_for(LLAMA_8B, spec, concurrency=1))
        note = note_starting(record, "llm-optimizer reads its GPU table's GB as GiB (x 1024^3)")
        memory_gb = resources.per_gpu_memory_bytes / 1e9
        bandwidth_tb_s = resources.per_gpu_bandwidth_bytes_per_sec / 1e12
        assert f"become {memory_gb:.1f} GB and {bandwidth_tb_s:.2f} TB/s" in note, note
        assert "(7.4% more memory and bandwidth)" in note
        if record.fits:
            usable_gib = upstream.gpus.GPU_SPECS[name]["VRAM_GB"] * 0.9
            memory_note = note_starting(record, "llm-optimizer's memory check")
            assert f"of {usable_gib:.2f} GiB usable" in memory_note


def test_percentile_multipliers_are_upstreams_stat_factors(upstream: SimpleNamespace) -> None:
    factor = upstream.performance.get_stat_type_adjustment_factor
    assert dict(LATENCY_PERCENTILE_MULTIPLIERS) == {
        "p50": factor("median"),
        "p95": factor("p95"),
        "p99": factor("p99"),
    }


# --------------------------------------------------------------------------------------------------
# b. What upstream does that the notes claim
# --------------------------------------------------------------------------------------------------

LEVELS = (1, 2, 4, 8, 16, 32, 64)


def _llama_config(upstream: SimpleNamespace) -> Any:
    return sent_model_config(upstream, load_model(LLAMA_8B))


def test_ttft_is_the_prefill_of_all_prompts_so_it_grows_with_concurrency(upstream: SimpleNamespace) -> None:
    config = _llama_config(upstream)
    results = [
        upstream.performance.estimate_llm_performance(
            num_gpus=1,
            gpu_name="H100",
            model_config=config,
            precision="bf16",
            concurrency=level,
            input_length=1024,
            output_length=256,
        )
        for level in LEVELS
    ]
    ttfts = [result.ttft_ms for result in results]
    assert ttfts == sorted(ttfts) and len(set(ttfts)) == len(ttfts)
    # compute-bound prefill of `concurrency` prompts as one batch: exactly proportional
    assert not any(result.prefill_is_memory_bound for result in results)
    for level, result in zip(LEVELS, results):
        assert result.ttft_ms == pytest.approx(level * results[0].ttft_ms, rel=1e-12)


def test_adapter_ttft_is_upstreams_and_the_note_says_why_it_grows(
    upstream: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _record_calls(monkeypatch, upstream.performance)
    record = upstream.backend.estimate(request_for(concurrency=8, num_gpus=1))
    (call,) = calls
    raw = upstream.performance.estimate_llm_performance(**call)
    assert record.ttft_ms == raw.ttft_ms and record.itl_ms == raw.itl_ms
    note = note_starting(record, "llm-optimizer's TTFT is the prefill of all 8 prompts")
    assert "(8,192 tokens)" in note and "grows with concurrency" in note


def test_output_throughput_is_concurrency_over_itl(upstream: SimpleNamespace) -> None:
    config = _llama_config(upstream)
    for level in LEVELS:
        result = upstream.performance.estimate_llm_performance(
            num_gpus=1,
            gpu_name="H100",
            model_config=config,
            precision="bf16",
            concurrency=level,
            input_length=1024,
            output_length=256,
        )
        assert result.output_throughput_tps == pytest.approx(level / (result.itl_ms / 1000), rel=1e-12)
        little = level * 256 / result.e2e_latency_s
        assert little < result.output_throughput_tps  # prefill time left out


def test_littles_law_note_quotes_the_records_numbers(upstream: SimpleNamespace) -> None:
    record = upstream.backend.estimate(request_for(concurrency=16, num_gpus=1))
    assert record.fits and record.itl_ms and record.e2e_latency_s and record.output_throughput_tok_s
    assert record.output_throughput_tok_s == pytest.approx(16 / (record.itl_ms / 1000), rel=1e-12)
    little = 16 * 256 / record.e2e_latency_s
    note = note_starting(record, "llm-optimizer's output throughput is concurrency / ITL")
    assert f"({record.output_throughput_tok_s:,.0f} tok/s)" in note
    assert note.endswith(f"(Little's law) is {little:,.0f} tok/s")


def test_fp8_on_a100_upstream_raises_and_the_adapter_returns_a_failure(upstream: SimpleNamespace) -> None:
    config = _llama_config(upstream)
    for name in ("A100", "A100-40GB"):
        with pytest.raises(ValueError, match=f"^FP8 precision not supported on {name}$"):
            upstream.performance.estimate_llm_performance(
                num_gpus=1,
                gpu_name=name,
                model_config=config,
                precision="fp8",
                concurrency=1,
                input_length=1024,
                output_length=256,
            )
    for spec, name in _mapped_gpus(upstream):
        if not name.startswith("A100"):
            continue
        record = upstream.backend.estimate(request_for(LLAMA_8B, spec, precision="fp8"))
        assert not record.fits and record.ttft_ms is None
        assert record.error is not None
        assert record.error.startswith(
            f"llm-optimizer refuses fp8 on {name}: its GPU table has no FP8 throughput"
        )
        assert "use bf16, or backend 'native'" in record.error


def test_the_adapters_fp8_refusal_matches_upstreams(upstream: SimpleNamespace) -> None:
    """The adapter refuses fp8 where the table's FP8_TFLOPS is None; upstream raises exactly there."""
    for name, table in upstream.gpus.GPU_SPECS.items():
        refused = table["FP8_TFLOPS"] is None
        try:
            upstream.gpus.get_precision_tflops(name, "fp8")
        except ValueError:
            assert refused, name
        else:
            assert not refused, name


# --------------------------------------------------------------------------------------------------
# c. The double's shape is upstream's
# --------------------------------------------------------------------------------------------------


def _load(name: str, path: Path, *, package: bool = False) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def load_double() -> SimpleNamespace:
    """The double's modules from their files, as ``llm_optimizer_double.*``.

    Its ``performance`` imports ``llm_optimizer.common`` and ``llm_optimizer.predefined.gpus`` by their
    absolute names; while it runs, and only then, those names point at the double's modules, so that
    it is wired to itself and not to the real upstream. Whatever they pointed at before is put back.
    """
    root = DOUBLE / "llm_optimizer"
    package = _load(DOUBLE_ALIAS, root / "__init__.py", package=True)
    predefined = _load(f"{DOUBLE_ALIAS}.predefined", root / "predefined" / "__init__.py", package=True)
    gpus = _load(f"{DOUBLE_ALIAS}.predefined.gpus", root / "predefined" / "gpus.py")
    common = _load(f"{DOUBLE_ALIAS}.common", root / "common.py")
    wiring = {
        "llm_optimizer": package,
        "llm_optimizer.common": common,
        "llm_optimizer.predefined": predefined,
        "llm_optimizer.predefined.gpus": gpus,
    }
    saved = {name: sys.modules.get(name) for name in wiring}
    sys.modules.update(wiring)
    try:
        performance = _load(f"{DOUBLE_ALIAS}.performance", root / "performance.py")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    assert package.IS_TEST_DOUBLE and performance.ModelConfig is common.ModelConfig
    return SimpleNamespace(performance=performance, common=common, gpus=gpus)


def _shape(function: Callable[..., Any]) -> list[tuple[str, str, object]]:
    """Parameter names, kinds and defaults: what a keyword call depends on."""
    return [(p.name, p.kind.name, p.default) for p in inspect.signature(function).parameters.values()]


def _fields(cls: type) -> list[tuple[str, object, bool]]:
    """Dataclass fields in order: name, default, whether a default factory exists."""
    return [
        (f.name, f.default, f.default_factory is not dataclasses.MISSING) for f in dataclasses.fields(cls)
    ]


def _public_functions(module: ModuleType) -> dict[str, Callable[..., Any]]:
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value) and not name.startswith("_") and value.__module__ == module.__name__
    }


def test_the_double_loads_beside_the_real_upstream(upstream: SimpleNamespace) -> None:
    double = load_double()
    assert "IS_TEST_DOUBLE" not in vars(sys.modules["llm_optimizer"])
    assert sys.modules["llm_optimizer.common"] is upstream.common
    assert double.common.ModelConfig is not upstream.common.ModelConfig


def test_every_function_the_double_has_takes_upstreams_arguments(upstream: SimpleNamespace) -> None:
    double = load_double()
    # what the adapter calls (grep 'self._upstream' in backends/llm_optimizer.py)
    called = {
        "performance": {"estimate_llm_performance", "calculate_concurrency_limits"},
        "common": {"get_model_config_and_precision_from_hf"},
    }
    for module_name in ("performance", "common", "gpus"):
        ours, theirs = getattr(double, module_name), getattr(upstream, module_name)
        functions = _public_functions(ours)
        assert called.get(module_name, set()) <= set(functions)
        for name, function in functions.items():
            real = getattr(theirs, name, None)
            assert callable(real), f"upstream's {module_name} has no {name}"
            assert _shape(function) == _shape(real), f"{module_name}.{name}"


def test_estimate_llm_performance_signature_is_upstreams(upstream: SimpleNamespace) -> None:
    real = inspect.signature(upstream.performance.estimate_llm_performance)
    assert list(real.parameters) == [
        "num_gpus",
        "gpu_name",
        "model_config",
        "precision",
        "concurrency",
        "input_length",
        "output_length",
        "mfu_prefill",
        "mfu_decode",
        "vram_util_factor",
    ]
    assert real.parameters["vram_util_factor"].default == 0.90
    assert real.return_annotation is upstream.performance.PerformanceResult
    assert _shape(load_double().performance.estimate_llm_performance) == _shape(
        upstream.performance.estimate_llm_performance
    )


@pytest.mark.parametrize(
    ("module_name", "class_name"),
    [
        ("common", "ModelConfig"),
        ("performance", "PerformanceResult"),
        ("performance", "PerformanceEstimationParams"),
        ("performance", "PerformanceEstimationResult"),
    ],
)
def test_record_types_have_upstreams_fields(
    upstream: SimpleNamespace, module_name: str, class_name: str
) -> None:
    ours = getattr(getattr(load_double(), module_name), class_name)
    theirs = getattr(getattr(upstream, module_name), class_name)
    assert _fields(ours) == _fields(theirs)


def test_fields_the_adapter_reads_exist_upstream(upstream: SimpleNamespace) -> None:
    """Every name the adapter reads with ``_field`` (backends/llm_optimizer.py) on upstream's records."""
    performance = upstream.performance
    result_fields = {f.name for f in dataclasses.fields(performance.PerformanceResult)}
    assert {
        "ttft_ms",
        "itl_ms",
        "e2e_latency_s",
        "output_throughput_tps",
        "input_throughput_tps",
        "requests_per_sec",
        "concurrency",
        "memory_needed_gb",
        "usable_vram_gb",
        "hardware_ops_per_byte",
        "prefill_arithmetic_intensity",
        "decode_arithmetic_intensity",
        "prefill_is_memory_bound",
        "decode_is_memory_bound",
    } <= result_fields
    params_fields = {f.name for f in dataclasses.fields(performance.PerformanceEstimationParams)}
    assert {"model", "gpu", "num_gpus", "precision", "input_len", "output_len"} <= params_fields
    estimation_fields = {f.name for f in dataclasses.fields(performance.PerformanceEstimationResult)}
    assert {
        "model_config",
        "best_configs",
        "concurrency_limits",
        "optimal_concurrency",
        "constrained_result",
        "tuning_commands",
    } <= estimation_fields
    config_fields = {f.name for f in dataclasses.fields(upstream.common.ModelConfig)}
    assert {"num_params", "inferred_precision"} <= config_fields


def test_dict_keys_the_adapter_reads_are_upstreams(upstream: SimpleNamespace) -> None:
    arguments = {
        "num_gpus": 1,
        "gpu_name": "H100",
        "model_config": _llama_config(upstream),
        "precision": "bf16",
        "input_length": 1024,
        "output_length": 256,
    }
    assert tuple(upstream.performance.find_best_performance(**arguments)) == _BEST_CONFIG_KEYS
    assert tuple(upstream.performance.calculate_concurrency_limits(**arguments)) == _LIMIT_KEYS


def test_the_doubles_gpus_are_upstreams(upstream: SimpleNamespace) -> None:
    ours, theirs = load_double().gpus.GPU_SPECS, upstream.gpus.GPU_SPECS
    assert set(ours) <= set(theirs)
    for name, table in ours.items():
        real = theirs[name]
        # the double leaves out upstream's two descriptive fields, which nothing reads
        assert set(real) - set(table) == {"Architecture", "Memory_Type"}, name
        assert set(table) <= set(real), name
        assert (table["FP8_TFLOPS"] is None) == (real["FP8_TFLOPS"] is None), name
        assert (table["VRAM_GB"], table["Memory_Bandwidth_GBs"]) == (
            real["VRAM_GB"],
            real["Memory_Bandwidth_GBs"],
        )


# --------------------------------------------------------------------------------------------------
# The ModelConfig the adapter builds, against the one upstream's own loader builds
# --------------------------------------------------------------------------------------------------

#: upstream's loader reads hidden_size at the top level; these configs nest it under text_config (as every config
#: without a top-level hidden_size does: Qwen3.5's too)
UNREADABLE_BY_UPSTREAM = {
    "google/gemma-3-4b-it",
    "google/gemma-3-12b-it",
    "google/gemma-3-27b-it",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
}


@pytest.mark.parametrize("model_id", ALL_MODELS)
def test_model_config_matches_upstreams_loader_but_for_the_parameter_count(
    upstream: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_id: str
) -> None:
    """Upstream's ``get_model_config_and_precision_from_hf`` on the same config.json (no network: its
    download and its safetensors size lookup are replaced) gives the same architecture fields; the
    adapter sends its own parameter count instead (every MoE expert), which upstream uses for memory."""
    entry = next(e for e in bundled_models() if e.model_id == model_id)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(dict(entry.config)), encoding="utf-8")
    monkeypatch.setattr(upstream.common, "hf_hub_download", lambda repo_id, filename: str(config_path))
    monkeypatch.setattr(upstream.common, "get_safetensor_total_size", lambda model_id: None)
    if model_id in UNREADABLE_BY_UPSTREAM or "hidden_size" not in entry.config:
        with pytest.raises(KeyError, match="hidden_size"):
            upstream.common.get_model_config_and_precision_from_hf(model_id)
        return
    theirs = dataclasses.asdict(upstream.common.get_model_config_and_precision_from_hf(model_id))
    ours = dataclasses.asdict(sent_model_config(upstream, load_model(model_id)))
    assert ours["num_params"] == load_model(model_id).total_params
    for name in ("num_params", "inferred_precision"):
        del ours[name], theirs[name]
    assert ours == theirs


# --------------------------------------------------------------------------------------------------
# The captured CLI reports are still what upstream prints
# --------------------------------------------------------------------------------------------------


def test_captured_reports_are_reproducible() -> None:
    executable = Path(sys.executable).parent / "llm-optimizer"
    if not executable.exists():
        pytest.skip(f"no llm-optimizer command beside {sys.executable}")
    completed = subprocess.run(
        [sys.executable, str(CAPTURE_TOOL), "--check", "--executable", str(executable)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
