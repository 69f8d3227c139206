"""DeepSeek sparse attention (DeepSeek-V3.2, GLM-5): the lightning indexer scores every earlier token and the MLA
attends the ``index_topk`` picks only, in its absorbed (MQA) form for prompts as for decodes (TensorRT-LLM tech
blog 15, "Optimizing DeepSeek-V3.2 on NVIDIA Blackwell GPUs": the DSA runs "only in MQA mode for both prefill
and decoding phases"; tensor parallelism "is not applied to the indexer layers")."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.catalogs.models import find_bundled
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.roofline import StepCost
from config_explorer.errors import ModelLoadError


def _plan(model: str, context: int, tp: int = 8, dp: int = 1, engine: str = "sglang") -> Any:
    return plan_deployment(
        load_model(model), get_gpu("H200"), num_gpus=tp, tp=tp, dp_attention=dp, input_length=context,
        output_length=256, engine=engine,
    )  # fmt: skip


def test_the_indexer_by_hand() -> None:
    """DeepSeek-V3.2's indexer: 64 heads of 128 queried from the 1,536-wide query latent, one 128-wide key from
    the 7,168-wide hidden state with its layer norm, 64 per-head weights: 13.96M weights a layer; its key cache
    128 FP8 values and one FP32 scale a token a layer beside the 576-value latent."""
    v32, v3 = load_model("deepseek-ai/DeepSeek-V3.2"), load_model("deepseek-ai/DeepSeek-V3")
    assert v32.sparse_attention and not v3.sparse_attention
    assert (v32.index_topk, v32.index_num_heads, v32.index_head_dim) == (2048, 64, 128)
    assert v32.indexer_params_per_layer == 1536 * 64 * 128 + 7168 * 128 + 2 * 128 + 7168 * 64
    assert v32.total_params - v3.total_params == 61 * v32.indexer_params_per_layer
    assert v32.kv_bytes_per_token_per_layer() == 576 * 2 + 128 + 4
    assert v3.kv_bytes_per_token_per_layer() == 576 * 2
    glm = load_model("zai-org/GLM-5-FP8")
    assert glm.sparse_attention and glm.index_num_heads == 32 and glm.weight_block_scaled


def test_a_decode_reads_every_index_key_and_the_topk_latents() -> None:
    """Per GPU at TP8 (the latent and the indexer keys replicated on every GPU): a decoding sequence stores both
    for every token, reads the indexer keys of its whole context and the latent of 2,048 tokens at most."""
    costs = _plan("deepseek-ai/DeepSeek-V3.2", 8192).costs
    layers = 61
    assert costs.kv_bytes_per_token_full == pytest.approx((576 * 2 + 132) * layers)
    assert costs.kv_bytes_per_token_windowed == 0 and costs.window == 2048
    assert costs.kv_read_bytes_per_token_full == pytest.approx(132 * layers)
    assert costs.kv_read_bytes_per_token_windowed == pytest.approx(576 * 2 * layers)
    # every index head on every GPU, FP8 logits at twice the 16-bit rate; the MLA's 16 heads a GPU, absorbed
    assert costs.attention_flops_per_pair_decode == pytest.approx(2 * 64 * 128 / 2 * layers)
    assert costs.attention_flops_per_pair_windowed == pytest.approx(2 * 16 * (2 * 512 + 64) * layers)
    dense = _plan("deepseek-ai/DeepSeek-V3", 8192).costs
    assert dense.kv_read_bytes_per_token_full is None and dense.window == 0


def test_long_contexts_decode_far_cheaper_than_dense_mla() -> None:
    """At 64 sequences on eight H200s: within the top-k the sparse model's step costs a little more than
    DeepSeek-V3's (it reads the indexer keys and launches the indexer too), at 64k tokens far less."""
    short_sparse = _plan("deepseek-ai/DeepSeek-V3.2", 1024).step_s(64, 0, 0)
    short_dense = _plan("deepseek-ai/DeepSeek-V3", 1024).step_s(64, 0, 0)
    assert short_dense < short_sparse < 1.3 * short_dense
    long_sparse = _plan("deepseek-ai/DeepSeek-V3.2", 65536).step_s(64, 0, 0)
    long_dense = _plan("deepseek-ai/DeepSeek-V3", 65536).step_s(64, 0, 0)
    assert long_sparse < 0.6 * long_dense


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=256, max_value=100_000), st.integers(min_value=1, max_value=20_000))
def test_a_longer_context_never_shortens_a_sparse_decode_step(context: int, more: int) -> None:
    short = _plan("deepseek-ai/DeepSeek-V3.2", 1024)
    step = short.step_cost
    base = step.time(32, 32 * context, 32 * min(context, 2048), 0, 0, 0, 32)
    longer = step.time(32, 32 * (context + more), 32 * min(context + more, 2048), 0, 0, 0, 32)
    assert longer >= base


def test_a_malformed_indexer_is_named() -> None:
    config = json.loads(json.dumps(find_bundled("deepseek-ai/DeepSeek-V3.2").config))  # type: ignore[union-attr]
    config["index_n_heads"] = 0
    with pytest.raises(ModelLoadError, match=r"index_n_heads"):
        ModelArchitecture.from_config(config, "v32-copy")
    config["index_n_heads"] = "64"
    with pytest.raises(ModelLoadError, match=r"index_n_heads"):
        ModelArchitecture.from_config(config, "v32-copy")


def test_data_parallel_attention_keeps_a_whole_group_on_one_gpu() -> None:
    """With DP attention (SGLang's default for DeepSeek-V3.2) each GPU runs all 128 heads and the whole indexer
    for an eighth of the sequences: the per-GPU costs are the TP8 figures' eighth share of a group of eight."""
    dp = _plan("deepseek-ai/DeepSeek-V3.2", 8192, dp=8).costs
    assert dp.kv_read_bytes_per_token_full == pytest.approx(132 * 61 / 8)
    assert dp.attention_flops_per_pair_windowed == pytest.approx(2 * 128 * (2 * 512 + 64) * 61 / 8)


def _prompt_chunk_s(model: str, prompt: int, dp: int, engine: str = "sglang") -> float:
    """An 8,192-token chunk of ``prompt``-token prompts on eight H200s, seconds."""
    return float(_plan(model, prompt, dp=dp, engine=engine).step_s(0, 8192, 8192 / prompt))


def test_prompts_cost_by_layout_as_the_docs_say() -> None:
    """PERFORMANCE_ESTIMATION's figures: with DP attention about DeepSeek-V3's at 1,024-token prompts and a sixth
    of it at 128k (SGLang); with TP8 up to a quarter more until about 128k on TensorRT-LLM's kernels, and up to
    three quarters more on SGLang's, whose FlashMLA sparse kernel computes 64 heads where a GPU holds 16 (from 0.5.6
    past ``index_topk`` only: shorter prompts are attended densely), and about twice on vLLM's, whose module adds its
    passes' time per prompt token (VLLM_DSA_PROMPT_GLUE_US)."""
    v3, v32 = "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3.2"
    assert _prompt_chunk_s(v32, 1024, 8) == pytest.approx(_prompt_chunk_s(v3, 1024, 8), rel=0.05)
    assert _prompt_chunk_s(v32, 131072, 8) < _prompt_chunk_s(v3, 131072, 8) / 5
    for prompt in (1024, 8192, 32768):
        ratio = _prompt_chunk_s(v32, prompt, 1, "trtllm") / _prompt_chunk_s(v3, prompt, 1, "trtllm")
        assert 1.0 < ratio <= 1.26, (prompt, ratio)
        for engine in ("sglang==0.5.5", "sglang", "vllm"):
            if engine == "sglang" and prompt <= 2048:
                continue
            padded = _prompt_chunk_s(v32, prompt, 1, engine) / _prompt_chunk_s(v3, prompt, 1, engine)
            assert ratio < padded <= (2.2 if engine == "vllm" else 1.8), (engine, prompt, padded)
    trtllm = _prompt_chunk_s(v32, 131072, 1, "trtllm") / _prompt_chunk_s(v3, 131072, 1, "trtllm")
    assert trtllm == pytest.approx(1.0, abs=0.05)


def test_sglang_runs_its_sparse_attention_kernels_on_the_fp8_cache_as_stored() -> None:
    """SGLang serves a DeepSeek-sparse-attention model on its ``nsa`` backend, whose FlashMLA kernels read an FP8
    cache directly, so none of the whole-pool 16-bit conversion its FA3 MLA backend does on Hopper for other MLA
    models (DeepSeek-V3.1 here); and it stores that cache in FP8 on Blackwell unless told otherwise from 0.5.5
    (bf16 on Hopper, and in 0.5.4)."""
    b200 = get_gpu("B200")

    def plan(model: str, engine: str, kv: str | None = None, gpu: Any = b200) -> Any:
        return plan_deployment(
            load_model(model), gpu, num_gpus=8, tp=8, input_length=1024, output_length=256, engine=engine,
            kv_precision=kv,
        )  # fmt: skip

    h200 = get_gpu("H200")
    sparse = plan("deepseek-ai/DeepSeek-V3.2", "sglang==0.5.6", kv="fp8", gpu=h200)
    assert sparse.rates.kv_pool_conversion_s == 0.0
    assert not any("converting each layer's whole pool" in w for w in sparse.warnings)
    dense = plan("deepseek-ai/DeepSeek-V3.1", "sglang==0.5.6", kv="fp8", gpu=h200)
    assert dense.rates.kv_pool_conversion_s > 0.0
    assert plan("deepseek-ai/DeepSeek-V3.2", "sglang==0.5.6").kv_precision == "fp8"
    assert plan("deepseek-ai/DeepSeek-V3.2", "sglang==0.5.4").kv_precision == "bf16"
    assert plan("deepseek-ai/DeepSeek-V3.2", "sglang", gpu=h200).kv_precision == "bf16"
    assert plan("deepseek-ai/DeepSeek-V3.2", "vllm").kv_precision == "bf16"
    assert plan("deepseek-ai/DeepSeek-V3.2", "sglang", kv="bf16").kv_precision == "bf16"


@pytest.mark.parametrize(
    ("engine", "gpu", "kv", "dp", "expected"),
    [
        ("vllm", "H200", "bf16", 1, (4.0, 4.0)),  # 16 heads a GPU padded to 64, prompts and decodes alike
        ("vllm", "H200", "fp8", 1, (4.0, 1.0)),  # an FP8 cache decodes on FlashMLA's unpadded FP8 kernel
        ("vllm", "B200", "bf16", 1, (8.0, 8.0)),  # Blackwell's kernels take 128 heads
        ("sglang", "H200", "bf16", 1, (4.0, 1.0)),  # flashmla_sparse prompts, FA3 decodes
        ("sglang", "B200", "bf16", 1, (8.0, 8.0)),  # flashmla_sparse both
        ("sglang", "B200", "fp8", 1, (1.0, 1.0)),  # its FP8 default runs other kernels
        ("vllm", "H200", "bf16", 8, (1.0, 1.0)),  # data-parallel attention: all 128 heads on each GPU
        ("trtllm", "H200", "bf16", 1, (1.0, 1.0)),  # kernels of its own
    ],
)
def test_flashmla_sparse_kernels_pad_a_ranks_heads(
    engine: str, gpu: str, kv: str, dp: int, expected: tuple[float, float]
) -> None:
    """FlashMLA's sparse kernels compute heads in multiples of 64 on Hopper and 128 on Blackwell; vLLM and SGLang
    pad a tensor-parallel rank's 16 DeepSeek-V3.2 heads with zero heads up to that and compute them all, where
    their default kernel for the cache is that one (vLLM's FlashMLASparseImpl, SGLang's nsa backend)."""
    arch = load_model("deepseek-ai/DeepSeek-V3.2")
    plan = plan_deployment(
        arch, get_gpu(gpu), num_gpus=8, tp=8, dp_attention=dp, kv_precision=kv, input_length=2000,
        output_length=100, engine=engine,
    )  # fmt: skip
    unpadded = plan_deployment(
        arch, get_gpu(gpu), num_gpus=8, tp=8, dp_attention=dp, kv_precision=kv, input_length=2000,
        output_length=100, engine="trtllm",
    ).costs.attention_flops_per_pair_windowed  # fmt: skip
    costs = plan.costs
    prompt = costs.attention_flops_per_pair_prompt_windowed or costs.attention_flops_per_pair_windowed
    decode = costs.attention_flops_per_pair_windowed
    if costs.attention_flops_per_token:  # every index_topk slot computed: a fixed cost per token instead
        prompt = decode = costs.attention_flops_per_token / costs.window
    assert (prompt / unpadded, decode / unpadded) == pytest.approx(expected)
    assert any("padded" in w for w in plan.warnings) == (expected != (1.0, 1.0))


@pytest.mark.parametrize(
    ("engine", "kv", "full"),
    [
        ("vllm==0.13.0", "bf16", True),  # FlashMLA's sparse prefill kernel, no per-query length
        ("vllm==0.23.0", "bf16", True),
        ("vllm==0.24.0", "bf16", False),  # topk_length bounds the kernel at the context
        ("vllm==0.13.0", "fp8", False),  # FlashMLA's FP8 decode kernel: not read, left bounded
        ("sglang==0.5.6", "bf16", False),  # FA3 decodes over the context's picks
    ],
)
def test_vllm_sparse_mla_computes_every_top_k_slot_until_0_24(engine: str, kv: str, *, full: bool) -> None:
    """vLLM 0.11 to 0.23 attend a 16-bit cache's DeepSeek-V3.2 queries with FlashMLA's sparse prefill kernel, which
    computes all index_topk (2,048) slots of every query whatever its context: each token, prompt or decode, costs
    the top-k's FLOPs (heads padded) in place of its context's pairs; 0.24 passes topk_length and stops at the
    context."""
    arch = load_model("deepseek-ai/DeepSeek-V3.2")
    plan = plan_deployment(
        arch, get_gpu("H200"), num_gpus=8, tp=8, kv_precision=kv, input_length=200, output_length=200,
        engine=engine,
    )  # fmt: skip
    costs = plan.costs
    assert (costs.attention_flops_per_token > 0.0) == full
    assert (costs.attention_flops_per_pair_windowed == 0.0) == full
    if full:  # the padded pair's FLOPs times the 2,048 slots, per token
        bounded = plan_deployment(
            arch, get_gpu("H200"), num_gpus=8, tp=8, kv_precision=kv, input_length=200, output_length=200,
            engine="vllm==0.24.0",
        ).costs  # fmt: skip
        assert costs.window == arch.index_topk
        assert costs.attention_flops_per_token == pytest.approx(
            costs.window * bounded.attention_flops_per_pair_windowed
        )


@pytest.mark.parametrize(
    ("engine", "cleans"),
    [
        ("vllm==0.11.0", True),
        ("vllm==0.13.0", True),
        ("vllm==0.15.1", True),
        ("vllm==0.16.0", False),  # clean_logits=False from here on
        ("sglang==0.5.6", False),  # its top-k transform reads each row's context only
    ],
)
def test_vllm_0_11_to_0_15_write_the_indexer_logits_max_model_len_wide(engine: str, *, cleans: bool) -> None:
    """vLLM 0.11-0.15 have DeepGEMM clean the indexer's FP32 logits: a decode's row is max_model_len wide (rounded
    up to 256) and written whole in every sparse layer, and a prompt step writes its whole [prompt tokens, their
    prompts' context tokens] matrix; later releases and SGLang write only the scored cells."""
    arch = load_model("deepseek-ai/DeepSeek-V3.2")
    plan = plan_deployment(
        arch, get_gpu("H200"), num_gpus=8, tp=8, input_length=2000, output_length=100, max_model_len=100_000,
        engine=engine,
    )  # fmt: skip
    costs = plan.costs
    if not cleans:
        assert costs.decode_read_bytes_per_sequence == 0.0 and costs.prefill_logits_bytes_per_cell == 0.0
        assert plan.step_cost.prefill_logits_seconds([(8192.0, 0.0)]) == 0.0
        return
    width = 100_096  # 100,000 rounded up to 4 x 64 columns
    assert costs.decode_read_bytes_per_sequence == pytest.approx(4 * width * 61)
    assert costs.prefill_logits_bytes_per_cell == pytest.approx(4 * 61)
    # two whole 2,000-token prompts and a 500-token chunk of a third 1,000 tokens in: 4,500 rows, 5,500 columns
    seconds = plan.step_cost.prefill_logits_seconds([(2000.0, 0.0), (2000.0, 0.0), (500.0, 1000.0)])
    assert seconds == pytest.approx(4 * 61 * 4500 * 5500 / plan.rates.attention_bandwidth)
    dp = plan_deployment(
        arch, get_gpu("H200"), num_gpus=8, tp=8, dp_attention=8, input_length=2000, output_length=100,
        max_model_len=100_000, engine=engine,
    ).costs  # fmt: skip
    assert dp.decode_read_bytes_per_sequence == pytest.approx(4 * width * 61 / 8)  # a group's share a GPU


def test_sglang_0_5_4_and_0_5_5_force_data_parallel_attention_on_sparse_attention_models() -> None:
    """SGLang 0.5.4 and 0.5.5 run DeepSeek-V3.2 with one attention group per rank whatever the launch says
    (server_args.py sets enable_dp_attention and dp_size = tp_size); a plan with fewer groups is warned, one that
    matches is not, and neither later releases nor a dense MLA model are."""
    v32 = load_model("deepseek-ai/DeepSeek-V3.2")
    kw = {"num_gpus": 8, "tp": 8, "input_length": 1024, "output_length": 256}

    def warned(engine: str, arch: Any = v32, **more: Any) -> bool:
        plan = plan_deployment(arch, get_gpu("H200"), engine=engine, **{**kw, **more})
        return any("whatever the launch states" in w for w in plan.warnings)

    assert warned("sglang==0.5.4") and warned("sglang==0.5.5")
    assert not warned("sglang==0.5.5", dp_attention=8)
    assert not warned("sglang==0.5.6") and not warned("sglang") and not warned("vllm==0.13.0")
    assert not warned("sglang==0.5.5", arch=load_model("deepseek-ai/DeepSeek-R1"))


@pytest.mark.parametrize("dp", [1, 8])
def test_sglang_0_5_6_attends_prompts_within_index_topk_densely(dp: int) -> None:
    """SGLang from 0.5.6 (``set_nsa_prefill_impl``'s ``use_mha``, ``skip_logits_computation``): a prompt step whose
    longest sequence is at most 2,048 tokens runs dense MHA with no indexer logits, so a chunk of 1,024-token
    prompts costs about what DeepSeek-V3's does and less than 0.5.5 charged; past 2,048 nothing changes."""
    v3, v32 = "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3.2"
    short = _prompt_chunk_s(v32, 1024, dp, "sglang==0.5.6")
    assert short == pytest.approx(_prompt_chunk_s(v3, 1024, dp, "sglang==0.5.6"), rel=0.15)
    assert short < _prompt_chunk_s(v32, 1024, dp, "sglang==0.5.5")
    plan = _plan(v32, 4096, dp=dp, engine="sglang==0.5.6")
    sparse = StepCost(attrs.evolve(plan.costs, dense_prompt_context=0), plan.rates, plan.profile)
    for chunks in ([(1024.0, 3072.0)], [(4096.0, 0.0)], [(2048.0, 0.0), (2048.0, 2048.0)]):
        assert plan.step_cost.prefill_pairs(chunks) == sparse.prefill_pairs(chunks)
    for engine in ("vllm", "trtllm"):
        assert _plan(v32, 1024, dp=dp, engine=engine).costs.dense_prompt_context == 0


def test_the_dense_prompt_rule_follows_each_steps_longest_sequence() -> None:
    """Decided per step from its own chunks (``seq_lens_cpu.max()``: cached and new tokens): the first 2,048
    tokens of a long prompt are a dense step, its later chunks sparse, and one long sequence makes a whole step
    sparse; the rule needs Hopper or Blackwell and a BF16 or FP8 cache."""
    step = _plan("deepseek-ai/DeepSeek-V3.2", 8192, engine="sglang==0.5.6").step_cost
    dense_full, dense_windowed = step.prefill_pairs([(2048.0, 0.0)])
    assert dense_full == 0.0 and dense_windowed > 0.0
    full, windowed = step.prefill_pairs([(1024.0, 1536.0)])
    assert full > 0.0 and windowed > 0.0
    mixed_full, _ = step.prefill_pairs([(512.0, 0.0), (512.0, 4096.0)])
    assert mixed_full > 0.0
    from config_explorer.engine.calibration import ENGINE_PROFILES, sparse_attention_dense_prompts

    sglang = ENGINE_PROFILES["sglang"]
    assert sparse_attention_dense_prompts(sglang, gpu_family="blackwell", kv_precision="fp8")
    assert not sparse_attention_dense_prompts(sglang, gpu_family="hopper", kv_precision="fp4")
    assert not sparse_attention_dense_prompts(sglang, gpu_family="cdna3", kv_precision="bf16")
    assert not sparse_attention_dense_prompts(
        ENGINE_PROFILES["vllm"], gpu_family="hopper", kv_precision="bf16"
    )


def test_vllm_charges_its_sparse_attention_modules_passes_per_prompt_token() -> None:
    """vLLM's DeepSeek-sparse-attention module takes VLLM_DSA_PROMPT_GLUE_US a prompt token a layer beyond the charged
    indexer and sparse kernel (benchmarks/fit_dsa_glue.py): an 8,192-token prompt step on eight H200s pays it for all
    61 layers; decode steps and the other engines pay nothing."""
    import attrs as _attrs

    from config_explorer.engine import calibration
    from config_explorer.engine.calibration import VLLM_DSA_PROMPT_GLUE_US, dsa_prompt_glue_us, profile_for

    dep = plan_deployment(
        load_model("deepseek-ai/DeepSeek-V3.2"), get_gpu("H200"), num_gpus=8, tp=8, precision="fp8",
        kv_precision="bf16", engine="vllm==0.13.0", input_length=2000, output_length=100,
    )  # fmt: skip
    assert dep.costs.prompt_glue_s == pytest.approx(VLLM_DSA_PROMPT_GLUE_US * 1e-6 * 61)
    bare = StepCost(_attrs.evolve(dep.costs, prompt_glue_s=0.0), dep.rates, dep.profile)
    tokens = 8192.0
    pairs = dep.step_cost.prefill_pairs([(tokens, 0.0)])
    with_glue = dep.step_cost.breakdown(0.0, 0.0, 0.0, tokens, *pairs, 1.0).total_s
    without = bare.breakdown(0.0, 0.0, 0.0, tokens, *pairs, 1.0).total_s
    assert with_glue - without == pytest.approx(tokens * dep.costs.prompt_glue_s, rel=1e-6)
    decode = (16.0, 16.0 * 2048, 0.0, 0.0, 0.0, 0.0, 16.0)
    assert dep.step_cost.breakdown(*decode).total_s == bare.breakdown(*decode).total_s
    for engine in ("sglang", "trtllm"):
        assert dsa_prompt_glue_us(profile_for(engine), gpu_family="hopper", sparse_attention=True) == 0.0
    vllm = profile_for("vllm")
    assert dsa_prompt_glue_us(vllm, gpu_family="hopper", sparse_attention=False) == 0.0
    assert dsa_prompt_glue_us(vllm, gpu_family="cdna3", sparse_attention=True) == 0.0
    assert calibration.VLLM_DSA_PROMPT_GLUE_US == VLLM_DSA_PROMPT_GLUE_US


def test_the_glue_is_its_fit() -> None:
    from tests.benchmark_scripts import load_benchmark

    from config_explorer.engine.calibration import VLLM_DSA_PROMPT_GLUE_US

    module = load_benchmark("fit_dsa_glue")
    assert module.fitted() == VLLM_DSA_PROMPT_GLUE_US
    held = [
        v for (gpu, framework, _), values in module.residuals().items() if gpu != "B200-SXM" for v in values
    ]
    # Hopper's held-out releases and GPUs read the same per-token time once the engine's own charges are taken off
    assert all(abs(v - VLLM_DSA_PROMPT_GLUE_US) < 0.1 for v in held)


def test_data_parallel_attention_splits_the_glue_over_its_groups() -> None:
    """With eight attention groups each GPU runs its group's eighth of the step's prompt tokens through the module."""
    model = load_model("deepseek-ai/DeepSeek-V3.2")
    kw: dict[str, Any] = {
        "num_gpus": 8,
        "tp": 8,
        "precision": "fp8",
        "kv_precision": "bf16",
        "engine": "vllm==0.13.0",
    }
    tp = plan_deployment(model, get_gpu("H200"), input_length=2000, output_length=100, **kw)
    dp = plan_deployment(
        model, get_gpu("H200"), input_length=2000, output_length=100, ep=8, dp_attention=8, **kw
    )
    assert dp.costs.prompt_glue_s == pytest.approx(tp.costs.prompt_glue_s / 8)
