"""The engine's boundaries: GPU figures and architectures in their physical ranges, and an engine that
gives finite numbers (or a clean "does not fit") for everything inside them."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.strategies import MODEL_IDS

from config_explorer.architecture import FIELD_RANGES, ModelArchitecture, load_model
from config_explorer.catalogs.gpus import (
    FAMILIES,
    FIGURE_RANGES,
    GPUSpec,
    TensorThroughput,
    get_gpu,
    gpu_from_mapping,
    list_gpus,
    register_gpu,
)
from config_explorer.catalogs.models import bundled_models, find_bundled
from config_explorer.engine.deployment import MAX_NUM_GPUS, plan_deployment
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.roofline import soft_max
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import MAX_CONCURRENCY, MAX_REQUEST_TOKENS, Traffic
from config_explorer.errors import InvalidArgumentError, ModelLoadError

H100 = get_gpu("H100")
LLAMA8 = load_model("meta-llama/Llama-3.1-8B")


def _spec(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Hardening GPU",
        "memory_gib": 80,
        "memory_bandwidth_tb_s": 3.0,
        "tflops": {"bf16": 900, "fp8": 1800},
        "interconnect": {"kind": "NVLink 4", "bandwidth_gb_s": 900, "scale_up_domain": 8},
        "family": "hopper",
    }
    data.update(overrides)
    return data


def _range_text(key: str) -> str:
    low, high, _ = FIGURE_RANGES[key]
    return f"[{low:g}, {high:g}]"


# ------------------------------------------------------------------ GPU figures
def test_every_bundled_gpu_lies_in_the_physical_ranges() -> None:
    gpus = [g for g in list_gpus() if g.builtin]
    assert len(gpus) >= 20
    for gpu in gpus:
        for key in ("memory_gib", "memory_bandwidth_tb_s", "interconnect_bandwidth_gb_s", "scale_up_domain"):
            low, high, _ = FIGURE_RANGES[key]
            assert low <= getattr(gpu, key) <= high, (gpu.name, key)
        for value in attrs.astuple(gpu.tflops):
            assert value is None or FIGURE_RANGES["tflops"][0] <= value <= FIGURE_RANGES["tflops"][1]


BAD_NUMBERS = [0, -1, 1e-300, 5e-324, 1e300, math.nan, math.inf, -math.inf, True, "80", None, [80], 10**400]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("memory_gib", "memory_gib"),
        ("memory_bandwidth_tb_s", "memory_bandwidth_tb_s"),
        ("tflops.bf16", "tflops"),
        ("interconnect.bandwidth_gb_s", "interconnect_bandwidth_gb_s"),
        ("tdp_w", "tdp_w"),
    ],
)
def test_a_figure_outside_its_range_names_field_value_and_range(path: str, key: str, value: object) -> None:
    if value is None and path in ("tdp_w", "tflops.bf16"):
        return  # optional figures: null means "not published"
    data = _spec()
    if "." in path:
        outer, inner = path.split(".")
        data[outer] = {**data[outer], inner: value}
    else:
        data[path] = value
    with pytest.raises(InvalidArgumentError) as info:
        gpu_from_mapping(data)
    text = str(info.value)
    assert repr(path) in text and _range_text(key) in text
    assert len(text) < 200  # the value is quoted, cut short
    if not isinstance(value, int) or abs(value) < 10**20:
        assert repr(value)[:20] in text


@pytest.mark.parametrize("field", ["form_factor", "architecture", "memory_type", "vendor", "notes"])
@pytest.mark.parametrize("value", [["SXM"], {"kind": "SXM"}, 5])
def test_a_non_string_where_a_string_belongs_is_rejected(field: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{field}' must be a string"):
        gpu_from_mapping(_spec(**{field: value}))
    with pytest.raises(InvalidArgumentError, match=f"'{field}' must be a string"):
        attrs.evolve(H100, **{field: value})


@pytest.mark.parametrize("spec", [0, None, 3.5, [1, 2], b"gpu.json", object()])
def test_register_gpu_takes_a_spec_a_mapping_or_a_path(spec: object) -> None:
    with pytest.raises(InvalidArgumentError, match="register_gpu takes a GPUSpec, a mapping"):
        register_gpu(spec)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"memory_bandwidth_tb_s": 1e-300},
        {"memory_gib": 10**6},
        {"scale_up_domain": 8.5},
        {"scale_up_domain": True},
        {"tflops": {"bf16": 900}},
        {"tflops": None},
        {"aliases": "h100"},
        {"name": ""},
    ],
    ids=repr,
)
def test_a_gpuspec_built_directly_is_validated_too(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        attrs.evolve(H100, **changes)


@pytest.mark.parametrize("value", [0, 1e-300, 1e300, math.nan, True, "900"], ids=repr)
def test_tensor_throughput_is_validated_on_its_own(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"'tflops.fp8' must be a number in \[1, 100000\] TFLOP/s"):
        TensorThroughput(bf16=900, fp8=value)  # type: ignore[arg-type]


def test_the_denormal_bandwidth_gpu_of_the_issue_is_refused_before_it_reaches_the_engine() -> None:
    """A 1e-300 TB/s GPU used to give a throughput of 2.7e-298 tok/s where C * O / E2E said 1.7."""
    with pytest.raises(InvalidArgumentError, match=r"memory_bandwidth_tb_s.*\[0.05, 100\] TB/s.*1e-300"):
        register_gpu(_spec(name="Denormal GPU", memory_bandwidth_tb_s=1e-300))
    with pytest.raises(InvalidArgumentError, match=r"tflops.bf16.*1e\+300"):
        register_gpu(_spec(name="Huge GPU", tflops={"bf16": 1e300}))


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6))
def test_a_bandwidth_is_accepted_exactly_inside_its_range(value: float) -> None:
    low, high, _ = FIGURE_RANGES["memory_bandwidth_tb_s"]
    try:
        spec = gpu_from_mapping(_spec(memory_bandwidth_tb_s=value))
    except InvalidArgumentError:
        assert not low <= value <= high
    else:
        assert low <= spec.memory_bandwidth_tb_s <= high


# ------------------------------------------------------------------ architectures
def test_every_bundled_model_loads_within_the_ranges() -> None:
    entries = bundled_models()
    assert len(entries) >= 25
    for entry in entries:
        arch = ModelArchitecture(entry.model_id)
        assert ModelArchitecture(dict(entry.config), model_id=entry.model_id) == arch
        for field, (low, high) in FIELD_RANGES.items():
            value = getattr(arch, field)
            assert value is None or low <= value <= high, (entry.model_id, field, value)


@pytest.mark.parametrize("model", [None, 42, 3.5, [1, 2], b"meta-llama/Llama-3.1-8B", object()])
def test_an_architecture_needs_an_id_a_path_or_a_mapping(model: object) -> None:
    with pytest.raises(InvalidArgumentError, match="ModelArchitecture takes") as info:
        ModelArchitecture(model)  # type: ignore[arg-type]
    assert isinstance(info.value, ModelLoadError)  # both kinds of our error


def test_an_architecture_without_arguments_names_what_it_needs() -> None:
    with pytest.raises(InvalidArgumentError, match="hidden_size"):
        ModelArchitecture()


@pytest.mark.parametrize(
    ("key", "value", "accepted"),
    [
        ("num_hidden_layers", 1_000_000_000, "from 1 to 1,024"),
        ("num_hidden_layers", 0, "from 1 to 1,024"),
        ("num_hidden_layers", "32", "from 1 to 1,024"),
        ("num_hidden_layers", True, "from 1 to 1,024"),
        ("num_hidden_layers", 31.5, "from 1 to 1,024"),
        ("hidden_size", 0, "from 1 to 131,072"),
        ("hidden_size", 10**9, "from 1 to 131,072"),
        ("hidden_size", math.nan, "from 1 to 131,072"),
        ("hidden_size", math.inf, "from 1 to 131,072"),
        ("num_attention_heads", -32, "from 1 to 1,024"),
        ("num_key_value_heads", 10**400, "from 1 to 1,024"),
        ("vocab_size", 0, "from 1 to 10,000,000"),
        ("max_position_embeddings", 10**12, "from 1 to 100,000,000"),
        ("head_dim", 0, "from 1 to 8,192"),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_an_absurd_config_value_names_the_field_and_range(key: str, value: object, accepted: str) -> None:
    entry = find_bundled("meta-llama/Llama-3.1-8B")
    assert entry is not None
    with pytest.raises(InvalidArgumentError) as info:
        ModelArchitecture({**entry.config, key: value}, model_id="absurd")
    text = str(info.value)
    assert repr(key) in text and accepted in text and len(text) < 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"num_layers": 10**9}, "num_layers"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"num_attention_heads": -1}, "num_attention_heads"),
        ({"num_experts": 10**6}, "num_experts"),
        ({"vocab_size": 32000.0}, "vocab_size"),
        ({"intermediate_size": "14336"}, "intermediate_size"),
        ({"qkv_bias": 1}, "qkv_bias"),
        ({"attention_kinds": ("full", "global")}, "attention_kinds"),
        ({"native_precision": "fp7"}, "native_precision"),
        ({"official_total_params": math.inf}, "official_total_params"),
    ],
    ids=repr,
)
def test_an_architecture_built_by_field_is_validated(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgumentError, match=field):
        attrs.evolve(LLAMA8, **changes)


@given(st.integers(-5, 5000))
def test_a_layer_count_is_accepted_exactly_inside_its_range(layers: int) -> None:
    entry = find_bundled("Qwen/Qwen3-8B")
    assert entry is not None
    low, high = FIELD_RANGES["num_layers"]
    try:
        arch = ModelArchitecture({**entry.config, "num_hidden_layers": layers})
    except InvalidArgumentError:
        assert not low <= layers <= high
    else:
        assert arch.num_layers == layers and len(arch.attention_kinds) == layers


# ------------------------------------------------------------------ the engine at the extremes
def _check_record(e: PerformanceEstimate, concurrency: int, output_length: int, *, analytic: bool) -> None:
    """Finite everywhere; Little's law on a fit; else a clean refusal that says why."""
    for name, value in attrs.asdict(e).items():
        if isinstance(value, float):
            assert math.isfinite(value), (name, value)
    if not e.ok:
        assert not e.fits and e.error, e
        assert e.ttft_ms is None and e.output_throughput_tok_s is None
        return
    assert e.e2e_latency_s is not None and e.output_throughput_tok_s is not None
    assert e.e2e_latency_s > 0 and e.output_throughput_tok_s > 0
    if analytic:  # the closed form keeps Little's law exactly (as in test_engine.py)
        expected = concurrency * output_length / e.e2e_latency_s
        assert e.output_throughput_tok_s == pytest.approx(expected, rel=1e-6)
    else:  # a finite run: requests in flight on average never exceed the clients (as in test_simulator.py)
        assert e.requests_per_s is not None
        assert e.requests_per_s * e.e2e_latency_s <= e.concurrency * 1.0001


def _in_range(key: str) -> st.SearchStrategy[float]:
    low, high, _ = FIGURE_RANGES[key]
    return st.floats(low, high) | st.sampled_from([low, high])


@st.composite
def gpu_specs(draw: st.DrawFn) -> GPUSpec:
    """Any GPU whose figures lie in the accepted ranges, the ends included."""
    tflops = _in_range("tflops")
    return GPUSpec(
        name="Hypothetical GPU",
        memory_gib=draw(_in_range("memory_gib")),
        memory_bandwidth_tb_s=draw(_in_range("memory_bandwidth_tb_s")),
        tflops=TensorThroughput(bf16=draw(tflops), fp8=draw(st.none() | tflops)),
        interconnect_bandwidth_gb_s=draw(_in_range("interconnect_bandwidth_gb_s")),
        interconnect_kind=draw(st.sampled_from(["PCIe Gen5 x16", "NVLink 4"])),
        scale_up_domain=draw(st.sampled_from([1, 8, 72, 1024])),
        framework_memory_gib=None,
        family=draw(st.sampled_from(FAMILIES)),
    )


@st.composite
def synthetic_architectures(draw: st.DrawFn) -> ModelArchitecture:
    """A decoder of any size in the accepted ranges: dense or MoE, full or sliding attention."""
    layers = draw(st.integers(1, 1024) | st.sampled_from([1, 1024]))
    kv_heads = draw(st.sampled_from([1, 2, 8, 64, 1024]))
    heads = kv_heads * draw(st.sampled_from([1, 2, 4, 8]))
    if heads > 1024:
        heads = kv_heads
    fields: dict[str, Any] = {
        "model_id": "synthetic",
        "architecture": "SyntheticForCausalLM",
        "model_type": "llama",
        "hidden_size": draw(st.integers(1, 131_072) | st.sampled_from([1, 131_072])),
        "num_layers": layers,
        "num_attention_heads": heads,
        "num_kv_heads": kv_heads,
        "head_dim": draw(st.integers(1, 8192) | st.sampled_from([1, 8192])),
        "intermediate_size": draw(st.integers(1, 1_048_576)),
        "vocab_size": draw(st.integers(1, 10_000_000) | st.sampled_from([1, 10_000_000])),
        "tie_word_embeddings": draw(st.booleans()),
        "max_position_embeddings": draw(st.none() | st.integers(2, 100_000_000)),
    }
    if draw(st.booleans()):
        experts = draw(st.integers(1, 4096) | st.sampled_from([1, 4096]))
        fields.update(
            num_experts=experts,
            num_experts_per_token=draw(st.integers(1, experts)),
            moe_intermediate_size=draw(st.integers(1, 1_048_576)),
            mlp_kinds=("moe",) * layers,
        )
    if draw(st.booleans()):
        fields.update(
            sliding_window=draw(st.integers(1, 100_000_000)),
            attention_kinds=tuple("full" if i % 2 else "sliding" for i in range(layers)),
        )
    return ModelArchitecture(**fields)


architectures = synthetic_architectures() | st.sampled_from(MODEL_IDS).map(load_model)


@st.composite
def workloads(draw: st.DrawFn, arch: ModelArchitecture, longest: int) -> tuple[int, int]:
    """(input, output) lengths within the model's context (and the per-request bound), ends included."""
    context = min(arch.max_position_embeddings or longest, longest)
    cap = max(context - 1, 1)
    input_length = draw(st.integers(1, cap) | st.sampled_from([1, cap]))
    room = max(min(context - input_length, longest), 1)
    output_length = draw(st.integers(1, room) | st.sampled_from([1, room]))
    return input_length, output_length


@settings(max_examples=60, deadline=None)
@given(gpu_specs(), architectures, st.data())
def test_analytic_estimates_are_finite_and_keep_littles_law(
    gpu: GPUSpec, arch: ModelArchitecture, data: st.DataObject
) -> None:
    input_length, output_length = data.draw(workloads(arch, MAX_REQUEST_TOKENS - 1))
    if input_length + output_length > (arch.max_position_embeddings or 10**9):
        return  # a one-token context leaves no room for a request
    concurrency = data.draw(st.integers(1, MAX_CONCURRENCY) | st.sampled_from([1, 7, MAX_CONCURRENCY]))
    num_gpus = data.draw(st.sampled_from([1, 2, 8, 64]))
    e = estimate(
        arch,
        gpu,
        num_gpus=num_gpus,
        input_length=input_length,
        output_length=output_length,
        concurrency=concurrency,
        serving_model="analytic",
    )
    _check_record(e, concurrency, output_length, analytic=True)


@settings(max_examples=30, deadline=None)
@given(gpu_specs(), architectures, st.data())
def test_simulated_estimates_are_finite(gpu: GPUSpec, arch: ModelArchitecture, data: st.DataObject) -> None:
    input_length, output_length = data.draw(workloads(arch, 2048))
    if input_length + output_length > (arch.max_position_embeddings or 10**9):
        return
    concurrency = data.draw(st.integers(1, 16))
    traffic = Traffic.closed_loop(input_length, output_length, concurrency, num_requests=2 * concurrency)
    e = estimate(arch, gpu, num_gpus=data.draw(st.sampled_from([1, 2])), traffic=traffic)
    _check_record(e, concurrency, output_length, analytic=False)


SMALLEST = GPUSpec(
    name="Smallest GPU",
    memory_gib=1.0,
    memory_bandwidth_tb_s=0.05,
    tflops=TensorThroughput(bf16=1.0),
    interconnect_bandwidth_gb_s=1.0,
    scale_up_domain=1,
)
LARGEST = GPUSpec(
    name="Largest GPU",
    memory_gib=4096.0,
    memory_bandwidth_tb_s=100.0,
    tflops=TensorThroughput(bf16=100_000.0, fp8=100_000.0, fp4=100_000.0),
    interconnect_bandwidth_gb_s=10_000.0,
    interconnect_kind="NVLink 5",
    scale_up_domain=1024,
    family="blackwell",
)
SLOW_BUT_HUGE = attrs.evolve(SMALLEST, name="Slow huge GPU", memory_gib=4096.0)
ONE_LAYER = ModelArchitecture(
    model_id="one-layer",
    architecture="TinyForCausalLM",
    model_type="llama",
    hidden_size=1,
    num_layers=1,
    num_attention_heads=1,
    num_kv_heads=1,
    head_dim=1,
    intermediate_size=1,
    vocab_size=1,
    max_position_embeddings=100_000_000,
)
WIDEST_MOE = attrs.evolve(
    ONE_LAYER,
    model_id="widest-moe",
    hidden_size=64,
    head_dim=64,
    num_experts=4096,
    num_experts_per_token=1,
    moe_intermediate_size=1,
    mlp_kinds=("moe",),
)


@pytest.mark.parametrize("gpu", [SMALLEST, LARGEST, SLOW_BUT_HUGE, H100], ids=lambda g: g.name)
@pytest.mark.parametrize(
    "arch",
    [ONE_LAYER, WIDEST_MOE, load_model("meta-llama/Llama-3.2-1B"), load_model("meta-llama/Llama-3.1-405B")],
    ids=lambda a: a.model_id,
)
@pytest.mark.parametrize("lengths", ["one-one", "one-longest", "longest-one"])
@pytest.mark.parametrize("concurrency", [1, 4096, MAX_CONCURRENCY])
def test_the_extremes_of_every_range_give_finite_records(
    gpu: GPUSpec, arch: ModelArchitecture, lengths: str, concurrency: int
) -> None:
    longest = min(arch.max_position_embeddings or MAX_REQUEST_TOKENS, MAX_REQUEST_TOKENS) - 1
    input_length, output_length = {
        "one-one": (1, 1),
        "one-longest": (1, longest),
        "longest-one": (longest, 1),
    }[lengths]
    e = estimate(
        arch,
        gpu,
        num_gpus=8,
        input_length=input_length,
        output_length=output_length,
        concurrency=concurrency,
        serving_model="analytic",
    )
    _check_record(e, concurrency, output_length, analytic=True)
    if concurrency == 1 and max(input_length, output_length) <= 10_000:
        simulated = estimate(
            arch, gpu, num_gpus=8, traffic=Traffic.closed_loop(input_length, output_length, 1)
        )
        _check_record(simulated, 1, output_length, analytic=False)


def test_soft_max_survives_fourth_powers_past_the_float_range() -> None:
    assert soft_max(3.0, 4.0) == pytest.approx((3.0**4 + 4.0**4) ** 0.25)
    assert soft_max(1e100, 1e100) == pytest.approx(2**0.25 * 1e100)
    assert soft_max(1e300, 0.0) == 1e300
    assert soft_max(0.0, 0.0) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_gpus": MAX_NUM_GPUS + 1}, "num_gpus must be an integer in"),
        ({"concurrency": MAX_CONCURRENCY + 1}, "concurrency must be an integer in"),
        ({"concurrency": 10**400}, "concurrency must be an integer in"),
        ({"input_length": MAX_REQUEST_TOKENS + 1}, "input_length must be an integer in"),
        ({"max_num_batched_tokens": 10**300}, "max_num_batched_tokens must be an integer in"),
        ({"max_num_seqs": 10**12}, "max_num_seqs must be an integer in"),
        ({"max_model_len": 10**300}, "max_model_len must be an integer in"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_arguments_past_the_engine_bounds_are_refused(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"input_length": 100, "output_length": 100, "concurrency": 1}
    with pytest.raises(InvalidArgumentError, match=message) as info:
        estimate(ONE_LAYER, H100, **{**args, **kwargs})
    assert len(str(info.value)) < 200


def test_plan_deployment_refuses_lengths_past_the_per_request_bound() -> None:
    with pytest.raises(InvalidArgumentError, match="input_length must be an integer in"):
        plan_deployment(ONE_LAYER, H100, num_gpus=1, tp=1, input_length=10**400, output_length=1)


def test_a_simulated_closed_loop_past_the_request_bound_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="past the simulator's bound"):
        estimate(ONE_LAYER, LARGEST, input_length=10, output_length=10, concurrency=100_000)
