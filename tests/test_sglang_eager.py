"""The launches SGLang's eager extend forward issues from Python (``engine.sglang_eager``) and their host time.

Each count is a sum of the pieces read from SGLang's model code (``SGLANG_LAUNCHES``): a layer's two (all-reduce,
norm) pairs, its mixer's projections, rope, cache write and attention, its MLP's GEMMs, activation, top-k and expert
path. Where a model class, layer kind, format or runner was not read, the step keeps the per-kernel charge.
"""

from __future__ import annotations

import attrs
import pytest

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import EAGER_KERNEL_US, SGLANG_EAGER_LAUNCH_US
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import StepCost, issued_kernels


def _plan(model: str, gpu: str, engine: str, precision: str | None = None) -> Deployment:
    return plan_deployment(
        load_model(model),
        get_gpu(gpu),
        num_gpus=8,
        tp=8,
        precision=precision,
        input_length=600,
        output_length=400,
        engine=engine,
    )


@pytest.mark.parametrize(
    ("model", "gpu", "engine", "precision", "expected"),
    [
        # gpt-oss on Blackwell: qkv, rope writing the cache, TRT-LLM-gen attention, o; router, mxfp8 quantization,
        # one FlashInfer MoE call; both all-reduce/norm pairs fused: 9 a layer
        ("openai/gpt-oss-120b", "B200", "sglang==0.5.6", None, 36 * 9 + 15),
        # Qwen3-235B: qkv, the per-head q/k norm (two copies, two norms), rope writing the cache, attention, o;
        # router, topk_softmax, the Triton expert path (5); two all-reduce/norm pairs (4): 19
        ("Qwen/Qwen3-235B-A22B", "B200", "sglang==0.5.6", None, 94 * 19 + 15),
        # ... the same from 0.5.7, whose FlashInfer all-reduce fusion takes Qwen3-MoE too: 17
        ("Qwen/Qwen3-235B-A22B", "H200", "sglang==0.5.7", None, 94 * 17 + 15),
        # GLM-4.5 (served 16-bit): the cache written apart from the rope (2), the compiled grouped top-k (8), the
        # shared expert fused in; three dense layers
        ("zai-org/GLM-4.5-FP8", "B200", "sglang==0.5.6", "bf16", 89 * 28 + 3 * 17 + 15),
        # MiniMax-M2.5: block-FP8 projections (2 each), the per-layer TP query/key norm (8 up to 0.5.8), the
        # router's fp32 cast, topk_sigmoid, the Triton FP8 expert path (7): 30
        ("MiniMaxAI/MiniMax-M2.5", "B200", "sglang==0.5.8", None, 62 * 30 + 15),
        ("MiniMaxAI/MiniMax-M2.5", "H100", "sglang==0.5.9", None, 62 * 27 + 15),  # forward_qk: 5
        # DeepSeek-R1 on Blackwell, 0.5.6: the MLA prompt path with kv_b_proj run twice (17), the TRT-LLM-gen FP8
        # MoE (router 1, 5), the unfused shared expert (6), fused all-reduce/norm pairs (2): 31; dense layers 24
        ("deepseek-ai/DeepSeek-R1", "B200", "sglang==0.5.6", None, 58 * 31 + 3 * 24 + 15),
        # ... 0.5.7 runs kv_b_proj once
        ("deepseek-ai/DeepSeek-R1", "B200", "sglang==0.5.7", None, 58 * 29 + 3 * 22 + 15),
        # Llama-3.1-70B on Ampere: qkv, rope, cache write, attention, o; gate/up, activation, down; 4: 13
        ("meta-llama/Llama-3.1-70B", "A100", "sglang==0.5.6", None, 80 * 13 + 15),
        # Qwen3-Next: 36 Gated DeltaNet layers (28) and 12 gated attention layers (13), each with the MoE and its
        # gated shared expert (14) and two all-reduce/norm pairs (4)
        ("Qwen/Qwen3-Next-80B-A3B-Instruct", "B200", "sglang==0.5.6", None, 36 * 46 + 12 * 31 + 15),
    ],
)
def test_the_launches_are_the_sum_of_the_pieces_read(
    model: str, gpu: str, engine: str, precision: str | None, expected: int
) -> None:
    assert _plan(model, gpu, engine, precision).costs.eager_launches == expected


@pytest.mark.parametrize(
    ("model", "gpu", "engine"),
    [
        ("openai/gpt-oss-120b", "H100", "sglang==0.5.6"),  # Hopper's triton_kernels runner: not read
        ("deepseek-ai/DeepSeek-V3.2", "H200", "sglang==0.5.6"),  # sparse attention: not read
        ("meta-llama/Llama-3.1-70B", "MI300X", "sglang==0.5.6"),  # ROCm: not read
        ("meta-llama/Llama-3.1-70B", "H100", "vllm==0.11.0"),  # another engine
    ],
)
def test_a_forward_not_read_keeps_the_per_kernel_charge(model: str, gpu: str, engine: str) -> None:
    d = _plan(model, gpu, engine)
    assert d.costs.eager_launches == 0
    assert d.step_cost._eager == pytest.approx(issued_kernels(d.costs) * d.profile.eager_kernel_us * 1e-6)


def test_an_eager_prompt_step_pays_each_counted_launch_once() -> None:
    """Qwen3-Next's eager prompt step issues its counted launches at SGLANG_EAGER_LAUNCH_US each, the Gated
    DeltaNet scans among them (no per-kernel prefill extra beside them); graphed, it pays none."""
    d = _plan("Qwen/Qwen3-Next-80B-A3B-Instruct", "B200", "sglang==0.5.6")
    graphed = StepCost(
        d.costs, d.rates, attrs.evolve(d.profile, prefill_in_graphs=True, graph_max_tokens=1 << 20)
    )
    args = (0, 0, 0, 512, 512 * 513 / 2, 0, 1)
    issue = d.costs.eager_launches * SGLANG_EAGER_LAUNCH_US * 1e-6
    assert d.step_cost.time(*args) - graphed.time(*args) == pytest.approx(issue, rel=1e-9)
    kernels = (issued_kernels(d.costs) + d.costs.prefill_extra_kernels) * EAGER_KERNEL_US["sglang"] * 1e-6
    assert issue > kernels  # 2,043 launches where 1,346 kernels were counted


def test_query_key_norms_are_read_from_the_config() -> None:
    for model, per_head, per_layer in (
        ("Qwen/Qwen3-235B-A22B", True, False),
        ("zai-org/GLM-4.5-FP8", True, False),
        ("MiniMaxAI/MiniMax-M2.5", False, True),
        ("meta-llama/Llama-3.1-70B", False, False),
    ):
        arch = load_model(model)
        assert (arch.qk_norm_per_head, arch.qk_norm_per_layer) == (per_head, per_layer), model


def _dp_plan(model: str, ep: int, dp_attention: int = 4) -> Deployment:
    return plan_deployment(
        load_model(model),
        get_gpu("B200"),
        num_gpus=8,
        tp=8,
        ep=ep,
        dp_attention=dp_attention,
        precision="fp8",
        input_length=195,
        output_length=276,
        engine="sglang==0.5.6",
    )


def test_data_parallel_attention_gathers_and_scatters_around_each_mlp() -> None:
    """DeepSeek-V3's class under data-parallel attention on SGLang's standard dispatcher (Kimi-K2 on eight B200s, four
    attention groups): each layer's two fused (all-reduce, norm) pairs give way to the gather before the MLP (7)
    and the scatter after it (4), the forward takes 17 launches more outside the layers, and nothing else changes:
    1,899 launches at TP8 become 2,465 (benchmarks/data/sglang_dp_attention_launch_evidence.md's total)."""
    tp = _plan("moonshotai/Kimi-K2-Instruct", "B200", "sglang==0.5.6", "fp8")
    dp = _dp_plan("moonshotai/Kimi-K2-Instruct", ep=1)
    assert tp.costs.eager_launches == 60 * 31 + 24 + 15 == 1899
    assert dp.costs.eager_launches == 60 * 40 + 33 + 15 + 17 == 2465
    assert dp.step_cost._eager == pytest.approx(2465 * SGLANG_EAGER_LAUNCH_US * 1e-6)


@pytest.mark.parametrize(
    ("model", "ep"),
    [
        ("moonshotai/Kimi-K2-Instruct", 8),  # experts over every GPU: DeepEP, whose launches were not read
        ("Qwen/Qwen3-235B-A22B", 1),  # another class under data-parallel attention: not read
    ],
)
def test_data_parallel_attention_not_read_keeps_the_per_kernel_charge(model: str, ep: int) -> None:
    d = _dp_plan(model, ep, dp_attention=8 if ep == 8 else 4)
    assert d.costs.eager_launches == 0
    assert d.step_cost._eager == pytest.approx(issued_kernels(d.costs) * d.profile.eager_kernel_us * 1e-6)


def test_deepep_is_planned_only_where_sglang_can_run_it() -> None:
    """DeepEP needs the experts split over every GPU of the stage (SGLang sets ``ep_size`` to ``tp_size`` under it) and
    NVIDIA's GPUs:
    EP8 beside eight attention groups dispatches with it, the engine's launch naming it; EP4 of eight GPUs beside four
    groups runs SGLang's standard dispatcher, every group's tokens gathered around the MoE, on the TensorRT-LLM-gen
    runner SGLang picks for DeepSeek's FP8 on Blackwell, its eager prompt forward counted."""
    from config_explorer.engine.calibration import profile_for, sglang_dispatches_deepep
    from config_explorer.engine.roofline import gathers_tokens
    from config_explorer.recommender import estimate_performance
    from config_explorer.recommender.serve_command import serve_commands

    sglang = profile_for("sglang")
    assert sglang_dispatches_deepep(sglang, ep=8, dp_attention=8, world=8, gpu_family="blackwell")
    assert sglang_dispatches_deepep(sglang, ep=8, dp_attention=2, world=8, gpu_family="hopper")
    assert not sglang_dispatches_deepep(sglang, ep=4, dp_attention=4, world=8, gpu_family="blackwell")
    assert not sglang_dispatches_deepep(sglang, ep=8, dp_attention=1, world=8, gpu_family="blackwell")
    assert not sglang_dispatches_deepep(
        sglang, ep=8, dp_attention=8, world=8, gpu_family="cdna3"
    )  # NVIDIA's only
    assert not sglang_dispatches_deepep(
        profile_for("vllm"), ep=8, dp_attention=8, world=8, gpu_family="hopper"
    )
    deepep, standard = (
        _dp_plan("moonshotai/Kimi-K2-Instruct", 8, 8),
        _dp_plan("moonshotai/Kimi-K2-Instruct", 4),
    )
    assert not deepep.rates.moe_fused_path and not gathers_tokens(deepep.costs)
    assert standard.rates.moe_fused_path and gathers_tokens(standard.costs) and standard.costs.eager_launches
    for ep, groups, named in ((8, 8, True), (4, 4, False)):
        est = estimate_performance(
            "moonshotai/Kimi-K2-Instruct", "B200", 8, 8, 1024, 256, 32, engine="sglang", backend="native",
            expert_parallel_size=ep, dp_attention=groups, serving_model="analytic",
        )  # fmt: skip
        assert est.ok, est.error
        assert (
            "--moe-a2a-backend deepep"
            in serve_commands(load_model("moonshotai/Kimi-K2-Instruct"), est)["sglang"]
        ) is named


def test_an_amd_gpu_runs_the_standard_dispatcher_and_its_launch_names_no_deepep() -> None:
    """DeepEP is built on NVSHMEM over NVLink and RDMA: on an MI300X, EP8 beside eight attention groups runs SGLang's
    standard dispatcher (tokens gathered around the MoE), and the printed launch leaves ``--moe-a2a-backend`` at its
    default."""
    from config_explorer.engine.roofline import gathers_tokens
    from config_explorer.recommender import estimate_performance
    from config_explorer.recommender.serve_command import serve_commands

    d = plan_deployment(
        load_model("deepseek-ai/DeepSeek-V3"), get_gpu("MI300X"), num_gpus=8, tp=8, ep=8, dp_attention=8,
        input_length=1024, output_length=256, engine="sglang",
    )  # fmt: skip
    assert gathers_tokens(d.costs)
    est = estimate_performance(
        "deepseek-ai/DeepSeek-V3", "MI300X", 8, 8, 1024, 256, 32, engine="sglang", backend="native",
        expert_parallel_size=8, dp_attention=8, serving_model="analytic",
    )  # fmt: skip
    assert est.ok, est.error
    command = serve_commands(load_model("deepseek-ai/DeepSeek-V3"), est)["sglang"]
    assert "--moe-a2a-backend" not in command and "--ep-size 8" in command
