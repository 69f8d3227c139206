"""How each engine runs a MoE layer's shared experts (``calibration.shared_expert_placement``) and what
that does to a step's time (``roofline.StepCost``).

The rules follow the engines' source: SGLang fuses DeepSeek-V3's one shared expert into the routed
experts (``determine_num_fused_shared_experts``) or, unfused on CUDA, runs it on a second stream in
CUDA-graph capture; TensorRT-LLM runs DeepSeek-V3's on an auxiliary stream under CUDA graphs; vLLM from
0.11.1 runs ``SharedFusedMoE`` shared experts on a second stream for steps of at most 256 tokens.
"""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import EAGER_KERNEL_US, SharedExperts, profile_for
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import StepCost, issued_kernels
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Traffic

R1 = load_model("deepseek-ai/DeepSeek-R1")


def _plan(gpu: str, engine: str, tp: int = 8, model: ModelArchitecture = R1, **kw: object) -> Deployment:
    return plan_deployment(
        model,
        get_gpu(gpu),
        num_gpus=tp,
        tp=tp,
        input_length=1024,
        output_length=1024,
        engine=engine,
        **kw,  # type: ignore[arg-type]
    )


def _serial(d: Deployment) -> StepCost:
    """The same deployment's step cost with its shared experts on the step's one stream."""
    return StepCost(attrs.evolve(d.costs, shared_experts=SharedExperts()), d.rates, d.profile)


def _decode(cost: StepCost, seqs: int) -> float:
    return cost.time(seqs, seqs * 1536.0, 0.0, 0.0, 0.0, 0.0, seqs)


def _prefill(cost: StepCost, tokens: int) -> float:
    return cost.time(0.0, 0.0, 0.0, tokens, tokens * (tokens + 1) / 2, 0.0, 1)


@pytest.mark.parametrize(
    ("gpu", "engine", "kw", "expected"),
    [
        # SGLang fuses DeepSeek-V3's shared expert on Hopper and AMD, not with experts split on CUDA
        ("H200", "sglang", {}, SharedExperts("fused")),
        ("MI300X", "sglang", {"ep": 8}, SharedExperts("fused")),
        ("H200", "sglang", {"ep": 8}, SharedExperts("side_stream", graphs_only=True)),
        # Blackwell's default MoE runner for DeepSeek-V3 (flashinfer_trtllm) turns the fusion off
        ("B200", "sglang", {}, SharedExperts("side_stream", graphs_only=True)),
        # DeepEP (attention DP with experts split) overlaps them in every step; two-batch overlap does not
        ("H200", "sglang", {"ep": 8, "dp_attention": 8}, SharedExperts("side_stream")),
        ("H200", "sglang", {"ep": 8, "dp_attention": 8, "two_batch_overlap": True}, SharedExperts()),
        ("B200", "trtllm", {}, SharedExperts("side_stream", graphs_only=True)),
        # vLLM's side stream arrived in 0.11.1, CUDA only
        ("H200", "vllm==0.11.0", {}, SharedExperts()),
        ("H200", "vllm==0.11.1", {}, SharedExperts("side_stream", max_tokens=256, added_small_kernels=1)),
        ("MI300X", "vllm==0.14.0", {}, SharedExperts()),
    ],
)
def test_each_engine_places_deepseeks_shared_expert_as_its_source_does(
    gpu: str, engine: str, kw: dict[str, object], expected: SharedExperts
) -> None:
    assert _plan(gpu, engine, **kw).costs.shared_experts == expected


def test_models_without_a_shared_expert_or_outside_the_rules_run_nothing_beside() -> None:
    d = _plan("H200", "sglang", model=load_model("Qwen/Qwen3-235B-A22B"))  # no shared expert
    assert d.costs.shared_expert_kernels == (0, 0)
    assert d.costs.shared_experts == SharedExperts()
    # granite-4.0-h runs its shared experts itself in vLLM (not through SharedFusedMoE)
    g = _plan("H100", "vllm==0.14.0", tp=1, model=load_model("ibm-granite/granite-4.0-h-small"))
    assert g.costs.shared_expert_kernels != (0, 0)
    assert g.costs.shared_experts == SharedExperts()
    # Kimi-K2's 384 experts are not on SGLang's fusion list: its shared expert goes beside instead
    k = _plan("H200", "sglang", model=attrs.evolve(R1, num_experts=384))
    assert k.costs.shared_experts == SharedExperts("side_stream", graphs_only=True)


def test_a_fused_shared_expert_launches_no_kernels_of_its_own() -> None:
    d = _plan("H200", "sglang==0.5.9")  # a release whose prompt steps all run eagerly
    gemm, small = d.costs.shared_expert_kernels
    assert (gemm, small) == (2 * 58, 58)  # two GEMMs and an activation in each of R1's 58 MoE layers
    saved = gemm * d.rates.gemm_kernel_s + small * d.rates.small_kernel_s
    for seqs in (1, 64):
        assert _decode(_serial(d), seqs) - _decode(d.step_cost, seqs) == pytest.approx(saved, rel=1e-9)
    # an eager prefill step issues fewer kernels, so it saves their host issue time on top of their
    # launches on the GPU: charged per kernel where the launches are not counted ...
    assert issued_kernels(d.costs) == d.costs.gemm_kernels + d.costs.small_kernels - gemm - small
    per_kernel = attrs.evolve(d.costs, eager_launches=0)
    fused = StepCost(per_kernel, d.rates, d.profile)
    serial = StepCost(attrs.evolve(per_kernel, shared_experts=SharedExperts()), d.rates, d.profile)
    for tokens in (1, 4096):
        step = _prefill(serial, tokens) - _prefill(fused, tokens)
        assert step == pytest.approx(saved + (gemm + small) * EAGER_KERNEL_US["sglang"] * 1e-6, rel=1e-9)
    # ... and per launch where SGLang's forward was read: the unfused shared expert's two block-FP8 projections
    # (each with its input quantization), activation and residual add, 6 launches in each of the 58 MoE layers
    from config_explorer.engine.calibration import profile_release
    from config_explorer.engine.sglang_eager import sglang_eager_launches

    counted = {
        fused_: sglang_eager_launches(
            R1,
            release=profile_release(d.profile),
            gpu_family="hopper",
            tp=8,
            ep=1,
            dp_attention=1,
            weights="fp8",
            kv_precision="bf16",
            trtllm_gen_moe=False,
            shared_fused=fused_,
        )
        for fused_ in (True, False)
    }
    assert d.costs.eager_launches == counted[True]
    assert counted[False] == counted[True] + 6 * 58  # type: ignore[operator]


def test_a_graphs_only_side_stream_hides_them_in_decode_steps_not_in_eager_prefill() -> None:
    d = _plan("B200", "sglang")
    gemm, small = d.costs.shared_expert_kernels
    saved = gemm * d.rates.gemm_kernel_s + small * d.rates.small_kernel_s
    assert _decode(_serial(d), 8) - _decode(d.step_cost, 8) == pytest.approx(saved, rel=1e-9)
    assert _prefill(d.step_cost, 4096) == pytest.approx(_prefill(_serial(d), 4096), rel=1e-12)
    # past the largest captured batch SGLang runs the step eagerly: nothing beside
    big = d.profile.graph_max_tokens + 1
    assert _decode(d.step_cost, big) == pytest.approx(_decode(_serial(d), big), rel=1e-12)


def test_vllms_side_stream_serves_steps_of_at_most_256_tokens_and_copies_the_input() -> None:
    d = _plan("H200", "vllm==0.14.0")
    gemm, small = d.costs.shared_expert_kernels
    copy = d.costs.moe_layers * d.rates.small_kernel_s
    saved = gemm * d.rates.gemm_kernel_s + small * d.rates.small_kernel_s - copy
    assert _decode(_serial(d), 256) - _decode(d.step_cost, 256) == pytest.approx(saved, rel=1e-9)
    assert _decode(d.step_cost, 257) == pytest.approx(_decode(_serial(d), 257), rel=1e-12)


def test_the_sglang_eager_fit_counts_the_kernels_its_source_issued() -> None:
    """PR #12160's eager less graphed forward (82.6 - 23.1 ms) over DeepSeek-V3's kernels at TP8 on
    Hopper, shared expert fused."""
    d = _plan("H200", "sglang", model=load_model("deepseek-ai/DeepSeek-V3"))
    assert d.costs.shared_experts.mode == "fused"
    assert EAGER_KERNEL_US["sglang"] == round((82.6406 - 23.0978) * 1e3 / issued_kernels(d.costs), 1)
    assert profile_for("sglang").eager_kernel_us == EAGER_KERNEL_US["sglang"]


@settings(max_examples=25, deadline=None)
@given(
    setup=st.sampled_from(
        [("H200", "sglang"), ("B200", "sglang"), ("B200", "trtllm"), ("H100", "vllm==0.14.0")]
    ),
    decode=st.integers(0, 1024),
    context=st.integers(1, 16_384),
    prefill=st.sampled_from([0, 1, 128, 8192]),
)
def test_running_shared_experts_beside_or_fused_never_slows_a_step(
    setup: tuple[str, str], decode: int, context: int, prefill: int
) -> None:
    if decode + prefill == 0:
        decode = 1
    d = _plan(*setup)
    contents = (
        decode,
        decode * context,
        0.0,
        prefill,
        prefill * (prefill + 1) / 2,
        0.0,
        decode + (prefill > 0),
    )
    assert d.step_cost.time(*contents) <= _serial(d).time(*contents) + 1e-15


def test_records_say_how_the_shared_experts_ran() -> None:
    traffic = Traffic.closed_loop(512, 64, 4, num_requests=16)
    h200 = get_gpu("H200")
    runs = {
        ("sglang", "H200"): "fused",
        ("sglang", "B200"): "side_stream",
        ("vllm", "H200"): "serial",  # the default vllm profile is 0.11, before the side stream
    }
    for (engine, gpu), mode in runs.items():
        record = estimate(R1, get_gpu(gpu), num_gpus=8, tp=8, engine=engine, traffic=traffic)
        assert record.shared_experts == mode
        assert json.loads(json.dumps(record.to_dict()))["shared_experts"] == mode
    dense = estimate(load_model("meta-llama/Llama-3.1-8B-Instruct"), h200, num_gpus=1, tp=1, traffic=traffic)
    assert dense.shared_experts is None


def test_sglang_fuses_on_blackwell_where_its_moe_runner_is_not_flashinfer_trtllm() -> None:
    """Unquantized DeepSeek-V3 on Blackwell joined the flashinfer_trtllm rule in SGLang 0.5.12: before,
    the Triton runner left the shared-expert fusion on."""
    assert _plan("B200", "sglang==0.5.6", precision="bf16").costs.shared_experts == SharedExperts("fused")
    assert _plan("B200", "sglang==0.5.12", precision="bf16").costs.shared_experts.mode == "side_stream"
    assert _plan("B200", "sglang==0.5.6", precision="fp8").costs.shared_experts.mode == "side_stream"
