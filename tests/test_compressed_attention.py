"""DeepSeek-V4's compressed attention: every layer keeps its last 128 tokens' latents, a ratio-4 layer (CSA) also
compresses each 4 tokens into an entry its lightning indexer picks ``index_topk`` of, a ratio-128 layer (HCA) each
128 tokens into an entry it attends whole; one 512-value latent (448 FP8 values, 64 16-bit rotary ones, 7 scales)
serves keys and values (vLLM 0.20's ``DeepseekV4Attention``, SGLang 0.5.12's ``deepseek_v4`` backend;
benchmarks/data/dsv4_engine_evidence.md)."""

from __future__ import annotations

import copy
import json
import re
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.catalogs.models import find_bundled
from config_explorer.engine.deployment import plan_deployment
from config_explorer.errors import InvalidArgumentError, InvalidModelConfigError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import serve_command

PRO, FLASH = "deepseek-ai/DeepSeek-V4-Pro", "deepseek-ai/DeepSeek-V4-Flash"
GIB = 2**30


def _config(model: str = FLASH) -> dict[str, Any]:
    entry = find_bundled(model)
    assert entry is not None
    return copy.deepcopy(dict(entry.config))


def _plan(model: str = FLASH, gpu: str = "B200", tp: int = 4, context: int = 8192, **knobs: Any) -> Any:
    return plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=tp, tp=tp, input_length=context, output_length=1024, **knobs
    )


def test_the_layers_by_hand() -> None:
    """V4-Flash: 43 layers (the config's 44th ratio is its prediction layer's), 2 window-only, 21 at ratio 4 and 20
    at 128; its attention projections, compressors and indexers by hand; 284B and 13B as its card states."""
    flash = load_model(FLASH)
    assert flash.compressed_attention and not flash.sparse_attention and not flash.is_mla
    ratios = flash.compress_ratios
    assert len(ratios) == 43 and ratios[:2] == (0, 0)
    assert (ratios.count(4), ratios.count(128)) == (21, 20)
    h, nh, hd, ql = 4096, 64, 512, 1024
    assert flash.attention_params_per_layer == (
        h * ql + ql + ql * nh * hd + h * hd + hd + nh * hd * 1024 + 8 * 1024 * h + nh
    )
    assert flash.compressor_params(0) == 0
    assert flash.compressor_params(128) == 2 * h * hd + 128 * hd + hd
    indexer = ql * 64 * 128 + h * 64 + 2 * h * 2 * 128 + 4 * 2 * 128 + 128
    assert flash.compressor_params(4) == 2 * h * 2 * hd + 4 * 2 * hd + hd + indexer
    assert flash.total_params == pytest.approx(284e9, rel=0.005)
    assert flash.active_params == pytest.approx(13e9, rel=0.03)
    pro = load_model(PRO)
    assert pro.total_params == pytest.approx(1.6e12, rel=0.02)
    assert pro.active_params == pytest.approx(49e9, rel=0.01)
    assert pro.expert_precision == "mxfp4" and pro.native_precision == "fp8" and pro.trust_remote_code


def test_a_sequence_holds_its_windows_its_entries_and_its_compressors_state() -> None:
    """A cached latent: 448 + 2 x 64 + 7 scale bytes, padded to 584 in FP8, 1,024 bytes in 16-bit; an index key
    128 + 4; the compressors' 32-bit state 80 KiB per ratio-4 layer, 512 KiB per ratio-128 layer."""
    flash = load_model(FLASH)
    assert flash.latent_entry_bytes("fp8") == 584 and flash.latent_entry_bytes("bf16") == 1024
    assert flash.index_key_bytes() == 132
    assert flash.compressed_state_bytes() == 21 * (64 + 16) * 1024 + 20 * 512 * 1024
    tokens = 10_000
    by_hand = 43 * 128 * 584 + 21 * (tokens // 4) * (584 + 132) + 20 * (tokens // 128) * 584
    assert flash.kv_cache_bytes(tokens) == by_hand + flash.compressed_state_bytes()
    with pytest.raises(InvalidArgumentError, match="FP8 or 16-bit"):
        flash.latent_entry_bytes("fp4")


def test_a_million_tokens_as_deepseek_counts_them() -> None:
    """DeepSeek's V4 report puts a 1M-token V4-Pro sequence at 9.62 GiB in 16-bit (as quoted by AINews,
    news.triggerhive.com, 2026-04-25), 8.7x below V3.2: the count here with the index keys in 16-bit too, the
    same (the engines keep them in FP8 by default, 132 bytes)."""
    pro, v32 = load_model(PRO), load_model("deepseek-ai/DeepSeek-V3.2")
    tokens = 1_048_576
    sixteen_bit_keys = 30 * (tokens // 4) * (2 * 128 - 132)
    assert (pro.kv_cache_bytes(tokens, "bf16") + sixteen_bit_keys) / GIB == pytest.approx(9.62, rel=0.01)
    ratio = v32.kv_cache_bytes(tokens, "bf16") / pro.kv_cache_bytes(tokens, "bf16")
    assert ratio == pytest.approx(8.7, rel=0.02)


def test_the_weights_as_engines_logged_them() -> None:
    """MXFP4 experts (4.25 bits) beside FP8 projections, TP-sharded expert widths padded to 256: vLLM on eight B300s
    at TP8 logged 141.53 GiB a GPU of V4-Pro (prediction layer included), vLLM 0.26 on four MI355X (DP4, EP4)
    224.83 GiB with it, and vLLM on one MI325X loaded V4-Flash's 148.66 GiB checkpoint (InferenceX PRs #2526 and
    #2540, vllm-project/recipes DeepSeek-V4-Flash.yaml; the prediction layer is not loaded here: a few percent)."""
    cases = (
        (PRO, "B300", 8, 1, 1, 141.53),
        (PRO, "MI355X", 4, 4, 4, 224.83),
        (FLASH, "MI325X", 1, 1, 1, 148.66),
    )
    for model, gpu, tp, ep, dp, logged in cases:
        plan = _plan(model, gpu, tp, ep=ep, dp_attention=dp, engine="vllm==0.25.0")
        assert plan.memory.weights_gib == pytest.approx(logged, rel=0.06), (model, gpu)
        assert plan.memory.weights_gib < logged


def test_per_gpu_costs_by_hand() -> None:
    """V4-Flash at TP4 on B200 (vLLM): the latents whole on every GPU; the global terms the ratio-4 entries and
    index keys and the ratio-128 entries; the top-k window 4 x 512 tokens of ratio-4 latents; the windows fixed."""
    costs = _plan(engine="vllm==0.20.0").costs
    layers, c4, c128 = 43, 21, 20
    assert costs.kv_bytes_per_token_full == pytest.approx(c4 * (584 + 132) / 4 + c128 * 584 / 128)
    assert costs.kv_read_bytes_per_token_full == pytest.approx(c4 * 132 / 4 + c128 * 584 / 128)
    assert costs.window == 2048 and costs.kv_bytes_per_token_windowed == 0
    assert costs.kv_read_bytes_per_token_windowed == pytest.approx(c4 * 584 / 4)
    assert costs.decode_read_bytes_per_sequence == pytest.approx(layers * 128 * 584)
    state = load_model(FLASH).compressed_state_bytes()
    assert costs.fixed_kv_bytes_per_sequence == pytest.approx(layers * 128 * 584 + state)
    # 16 heads a GPU, computed as FlashMLA's 64
    assert costs.attention_heads == 16
    assert costs.attention_flops_per_token == pytest.approx(layers * 128 * 4 * 64 * 512)
    trtllm = _plan(engine="trtllm").costs  # its own kernels compute the GPU's heads
    assert trtllm.attention_flops_per_token == pytest.approx(layers * 128 * 4 * 16 * 512)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=200_000), st.integers(min_value=1, max_value=50_000))
def test_a_longer_context_never_shortens_a_decode_step(context: int, more: int) -> None:
    step = _plan(engine="vllm==0.20.0").step_cost
    window = step.costs.window
    base = step.time(16, 16 * context, 16 * min(context, window), 0, 0, 0, 16)
    longer = step.time(16, 16 * (context + more), 16 * min(context + more, window), 0, 0, 0, 16)
    assert longer >= base


def test_engines_that_cannot_serve_it_say_so() -> None:
    with pytest.raises(InvalidArgumentError, match="Blackwell GPUs only"):
        _plan(gpu="H200", engine="trtllm")
    with pytest.raises(InvalidArgumentError, match="fp8_e4m3 only"):
        _plan(engine="sglang", kv_precision="bf16")
    with pytest.raises(
        InvalidArgumentError, match=r"vLLM 0\.19\.0 has no DeepSeek-V4 model; it serves one from 0\.20"
    ):
        _plan(engine="vllm==0.19.0")
    with pytest.raises(InvalidArgumentError, match=r"SGLang 0\.5\.11 has no DeepSeek-V4"):
        _plan(engine="sglang==0.5.11")
    unpinned = _plan(engine="vllm")
    assert any("pin engine='vllm==0.20.0'" in w for w in unpinned.warnings)
    assert not any("DeepSeek-V4" in w for w in _plan(engine="vllm==0.20.0").warnings)
    assert _plan(engine="sglang").kv_precision == "fp8"


def test_launch_commands_carry_the_engines_own_switches() -> None:
    """vLLM's recipe (vllm-project/recipes DeepSeek-V4-Pro.yaml): --trust-remote-code --kv-cache-dtype fp8
    --block-size 256; SGLang's cookbook cells: --trust-remote-code, its FP8 cache."""
    arch = load_model(PRO)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vllm = estimate_performance(PRO, "B200", 8, 8, 2048, 256, backend="native", engine="vllm==0.20.0",
                                    expert_parallel_size=8)  # fmt: skip
        sglang = estimate_performance(PRO, "B200", 8, 8, 2048, 256, backend="native", engine="sglang",
                                      expert_parallel_size=8, dp_attention=8)  # fmt: skip
    assert vllm.ok and sglang.ok
    command = serve_command(arch, vllm)
    flags = ("--trust-remote-code", "--kv-cache-dtype fp8", "--block-size 256", "--enable-expert-parallel")
    assert all(flag in command for flag in flags)
    command = serve_command(arch, sglang)
    assert "--trust-remote-code" in command and "--kv-cache-dtype fp8_e4m3" in command


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"compress_ratios": [4, 128]}, "must list a ratio for each of the 43 layers"),
        ({"compress_ratios": [8] * 44}, "may hold 0, 4, 128 only"),
        ({"o_groups": 7}, "dividing the 64 heads"),
        ({"index_topk": 0}, "index_topk"),
        ({"num_key_value_heads": 2}, "num_key_value_heads 1"),
        ({"expert_dtype": "int3"}, "unsupported expert_dtype 'int3'"),
    ],
)
def test_a_bad_config_names_the_field(change: dict[str, Any], message: str) -> None:
    config = {**_config(), **change}
    with pytest.raises(InvalidModelConfigError, match=re.escape(message)):
        ModelArchitecture(config)


def test_the_bundled_configs_are_the_published_ones() -> None:
    """Both entries keep the config as published, its 44 (Flash) and 62 (Pro) ratios included."""
    for model, ratios in ((FLASH, 44), (PRO, 62)):
        config = _config(model)
        assert config["model_type"] == "deepseek_v4" and len(config["compress_ratios"]) == ratios
        assert json.loads(json.dumps(config)) == config


def test_its_prediction_module_drafts() -> None:
    """DeepSeek-V4 ships one multi-token-prediction module (``num_nextn_predict_layers``): speculative='mtp' runs,
    and on SGLang (piecewise prompt graphs on) its verification pass replays one whole graph, without the split
    ops' issue time a prompt step pays (150 of them here, 7.8 ms: charged, drafting read slower than not)."""
    common: dict[str, Any] = {"backend": "native", "engine": "sglang", "concurrency": 4}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = estimate_performance(FLASH, "B200", 4, 4, 2048, 256, **common)
        drafted = estimate_performance(FLASH, "B200", 4, 4, 2048, 256, **common, speculative="mtp")
    assert plain.ok and drafted.ok and drafted.speculative_method == "mtp"
    assert drafted.tpot_ms is not None and plain.tpot_ms is not None
    assert drafted.tpot_ms < plain.tpot_ms


def test_the_query_heads_passes_scale_with_the_heads_a_gpu_holds() -> None:
    """Compressed attention's elementwise passes over its 512-wide query heads: per layer, per head value a GPU holds
    (so a TP4 GPU moves a quarter of a TP1 GPU's), and nothing for a model without compressed attention."""
    from config_explorer.engine.layout import COMPRESSED_HEAD_BYTES, compressed_head_bytes

    flash = load_model("deepseek-ai/DeepSeek-V4-Flash")
    whole = compressed_head_bytes(flash, 1)
    assert whole == pytest.approx(
        len(flash.compress_ratios) * flash.num_attention_heads * flash.head_dim * COMPRESSED_HEAD_BYTES
    )
    assert compressed_head_bytes(flash, 4) == pytest.approx(whole / 4)
    assert compressed_head_bytes(load_model("deepseek-ai/DeepSeek-V3"), 1) == 0.0


def test_the_query_heads_constant_is_the_module_fit() -> None:
    """benchmarks/dsv4_modules.py fits COMPRESSED_HEAD_BYTES on the H200 context modules; the engine carries that fit."""
    from tests.benchmark_scripts import load_benchmark

    from config_explorer.engine.layout import COMPRESSED_HEAD_BYTES

    assert load_benchmark("dsv4_modules").fit_head_bytes() == pytest.approx(COMPRESSED_HEAD_BYTES, abs=0.01)
