"""Prefill attention in the kernel's tiles (config_explorer.engine.attention)."""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.attention import ROW_TILES, TAIL, TILE, chunk_tiles, effective_pairs, exact_pairs
from config_explorer.engine.calibration import (
    BLACKWELL_ULTRA_ATTENTION_SHARE,
    ENGINE_PROFILES,
    HOPPER_DECODE_ATTENTION_BANDWIDTH,
    PREFILL_ATTENTION_TILES,
    decode_attention_bandwidth,
    efficiency_for,
    prefill_attention_tiles,
    profile_for,
)
from config_explorer.engine.deployment import Deployment, plan_deployment

lengths = st.integers(min_value=1, max_value=40_000)


def _llama8(gpu: str) -> Deployment:
    """Llama-3.1-8B on one ``gpu``."""
    model = load_model("meta-llama/Llama-3.1-8B-Instruct")
    return plan_deployment(model, get_gpu(gpu), num_gpus=1, tp=1, input_length=1000, output_length=100)


def test_a_prompt_is_its_row_blocks_of_visible_tiles() -> None:
    # 300 tokens: row blocks of 128, 128 and 44 see 1, 2 and 3 key blocks
    assert chunk_tiles(300, 0) == (6, 3, 3.0)
    # the same rows after 1,000 earlier tokens (8 key blocks before the first diagonal)
    assert chunk_tiles(300, 1000) == (8 * 2 + 1 + 2 + 11, 3, 11.0)
    # a sliding window of 128: a row block sees its own block and the one before, at most
    assert chunk_tiles(1024, 0, window=128) == (1 + 2 * 7, 8, 2.0)
    assert chunk_tiles(0, 500) == (0.0, 0, 0.0)


@settings(max_examples=60, deadline=None)
@given(lengths, st.integers(min_value=0, max_value=40_000), st.sampled_from([0, 128, 4096]))
def test_tiles_cover_the_visible_pairs(new: int, before: int, window: int) -> None:
    tiles, _, _ = chunk_tiles(new, before, window)
    assert tiles * TILE * TILE >= exact_pairs(new, before, window)


@settings(max_examples=60, deadline=None)
@given(lengths, st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=40_000))
def test_a_chunk_split_at_row_blocks_costs_its_whole(blocks: int, split: int, before: int) -> None:
    """Tiles add up over chunks cut at row-block boundaries: chunked prefill does the same visible work."""
    new = blocks * TILE
    cut = min(split, blocks) * TILE
    whole, _, _ = chunk_tiles(new, before)
    first, _, _ = chunk_tiles(cut, before)
    second, _, _ = chunk_tiles(new - cut, before + cut)
    assert first + second == whole


@settings(max_examples=60, deadline=None)
@given(lengths, lengths, st.sampled_from([1, 4, 8, 32, 128]))
def test_a_longer_prompt_never_costs_less(short: int, extra: int, heads: int) -> None:
    slots = efficiency_for("hopper").attention_slots
    assert effective_pairs([(short + extra, 0)], heads, slots) >= effective_pairs([(short, 0)], heads, slots)
    assert effective_pairs([(short, 0)], heads, slots) >= exact_pairs(short, 0)


def test_few_row_blocks_take_the_longest_ones_time() -> None:
    """A 2,048-token prompt of 4 heads makes 64 row blocks for 132 multiprocessors: its time is that of its
    longest row block, so 8 heads (128 row blocks, each on its own multiprocessor) take no longer for twice
    the work, and 64 heads (1,024 row blocks) are bound by their work."""
    few = effective_pairs([(2048, 0)], 4, 132) * 4
    assert effective_pairs([(2048, 0)], 8, 132) * 8 == pytest.approx(few)
    longest = chunk_tiles(2048, 0)[2] + ROW_TILES
    assert few == pytest.approx(longest * TILE * TILE * 132)
    tiles, rows, _ = chunk_tiles(2048, 0)
    many = effective_pairs([(2048, 0)], 64, 132)
    assert many == pytest.approx((tiles + ROW_TILES * rows + TAIL * longest * 132 / 64) * TILE * TILE)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(lengths, st.integers(0, 20_000)), min_size=1, max_size=6),
    lengths,
    st.sampled_from([2, 8, 64]),
)
def test_more_prompt_work_never_takes_less_time(
    chunks: list[tuple[int, int]], extra: int, heads: int
) -> None:
    """One more chunk in the step, or a longer one, never lowers the charge (the longest unit bounds the
    time from below, so the two regimes meet without a drop)."""
    base = effective_pairs(chunks, heads, 132)
    assert effective_pairs([*chunks, (extra, 0)], heads, 132) >= base * (1 - 1e-12)
    (n, a), *rest = chunks
    assert effective_pairs([(n + extra, a), *rest], heads, 132) >= base * (1 - 1e-12)


def test_the_mean_prompt_grows_smoothly_with_its_length() -> None:
    """The analytic screen counts fractional blocks: its mean prompt's charge per token never falls as the
    prompt grows, where whole blocks would make a 172-token prompt's tokens cheaper than a 171-token one's."""
    cost = _llama8("A100").step_cost
    per_token = [cost.share_pairs(cost.prompt_work(n, 0), 2048 / n)[0] / 2048 for n in range(100, 600, 7)]
    assert all(b >= a * (1 - 1e-12) for a, b in itertools.pairwise(per_token))


def test_unknown_shape_or_gpu_falls_back_to_exact_pairs() -> None:
    assert effective_pairs([(1000, 24), (8, 0)], 0, 132) == exact_pairs(1000, 24) + exact_pairs(8, 0)
    assert effective_pairs([(1000, 24)], 8, 0, window=256) == exact_pairs(1000, 24, 256)


def test_short_prompts_cost_more_per_pair_than_long_ones() -> None:
    """The diagonal tiles, the row blocks' fixed part and the tail weigh on a short prompt."""
    deployment = _llama8("H100")
    per_pair = [
        deployment.step_cost.prefill_pairs([(n, 0)])[0] / exact_pairs(n, 0) for n in (512, 4096, 32_768)
    ]
    assert per_pair[0] > per_pair[1] > per_pair[2] > 1.0
    assert per_pair[2] < 1.1


def test_constants_are_the_fit_and_read_held_out_rows_closely() -> None:
    """ROW_TILES, TAIL and Hopper's tile rate are benchmarks/fit_prefill_attention.py's fit on the 32- and
    64-head rows timed on an H200; the 4-, 8- and 40-head shards and MLA's heads, held out, read within 10%
    (median) on the engine's constants, where the flat rate the engine used before read 20-35% off."""
    fit = load_benchmark("fit_prefill_attention")
    data = fit.points()
    rate, row_tiles, tail, launch = fit.fitted(data)
    assert efficiency_for("hopper").attention_compute == pytest.approx(rate, abs=0.005)
    assert row_tiles == pytest.approx(ROW_TILES, abs=0.005)
    assert tail == pytest.approx(TAIL, abs=0.005)
    held = [p for p in data if (p.heads, p.d_qk) not in fit.FIT and p.d_qk != 64]
    engine = [
        abs(
            fit.tile_us(p, efficiency_for("hopper").attention_compute, ROW_TILES, TAIL, launch) / p.time_us
            - 1
        )
        for p in held
    ]
    before = [abs((launch + fit.flat_us(p, 0.45)) / p.time_us - 1) for p in held]
    assert statistics.median(engine) < 0.10
    assert statistics.median(before) > 2 * statistics.median(engine)


def test_each_engines_prompt_attention_is_its_own_kernels_fit() -> None:
    """PREFILL_ATTENTION_TILES is benchmarks/fit_prefill_attention.py's fit on each engine's own kernels (the
    32- and 64-head rows of aiconfigurator's H200, B200, A100 and L40S tables), and reads the other head counts
    and the H100 within 13% (median), where the family's own constants read them 14-75% off."""
    fit = load_benchmark("fit_prefill_attention")
    data = fit.engine_points()
    for key, (rate, row_tiles) in fit.engine_fitted(data).items():
        assert PREFILL_ATTENTION_TILES[key] == pytest.approx((rate, row_tiles), abs=0.006)
        engine, family = key
        held = [
            p
            for p in data
            if p.engine == engine
            and get_gpu(p.gpu).family == family
            and (
                p.gpu == "H100-SXM"
                or (p.gpu == fit.ENGINE_FIT_GPUS[family] and (p.heads, 128) not in fit.FIT)
            )
        ]
        err = [abs(fit.engine_tile_us(p, *PREFILL_ATTENTION_TILES[key]) / p.time_us - 1) for p in held]
        plain = efficiency_for(family).attention_compute
        before = [abs(fit.engine_tile_us(p, plain, ROW_TILES) / p.time_us - 1) for p in held]
        assert statistics.median(err) < 0.13, key
        assert statistics.median(before) > statistics.median(err), key


def test_blackwell_ultra_prompt_attention_is_the_fit_and_reads_its_held_out_rows_closer() -> None:
    """BLACKWELL_ULTRA_ATTENTION_SHARE is fit_prefill_attention.py's fit on SGLang's B300 32- and 64-head rows;
    held out, every engine's B300 and GB300 rows read closer with it than on the family's rate alone, and the
    GB200 (Blackwell, no factor) reads as the B200's constants say."""
    fit = load_benchmark("fit_prefill_attention")
    data = fit.engine_points()
    fitted = fit.engine_fitted(data)
    assert fit.ultra_fitted(data, fitted) == BLACKWELL_ULTRA_ATTENTION_SHARE
    for engine in fit.ENGINE_KERNELS:
        rate, row_tiles = fitted[(engine, "blackwell")]
        for gpu in ("B300-SXM", "GB300"):
            rows = [p for p in data if p.engine == engine and p.gpu == gpu and (p.heads, 128) not in fit.FIT]
            with_share = [
                abs(fit.engine_tile_us(p, rate * BLACKWELL_ULTRA_ATTENTION_SHARE, row_tiles) / p.time_us - 1)
                for p in rows
            ]
            without = [abs(fit.engine_tile_us(p, rate, row_tiles) / p.time_us - 1) for p in rows]
            assert statistics.median(with_share) < statistics.median(without), (engine, gpu)
        control = [p for p in data if p.engine == engine and p.gpu == "GB200"]
        err = [abs(fit.engine_tile_us(p, rate, row_tiles) / p.time_us - 1) for p in control]
        assert statistics.median(err) < 0.13, engine


def test_blackwell_ultra_speeds_prompt_attention_only() -> None:
    """On a B300 the prompt attention rate is the B200's times the share; decode attention keeps the B200's."""
    from config_explorer.engine.roofline import rates_for

    b200, b300 = get_gpu("B200"), get_gpu("B300")
    tiles = PREFILL_ATTENTION_TILES[("vllm", "blackwell")]
    r200, _ = rates_for(b200, efficiency_for("blackwell"), "bf16", tp=1, prefill_tiles=tiles)
    r300, _ = rates_for(b300, efficiency_for("blackwell"), "bf16", tp=1, prefill_tiles=tiles)
    assert r300.prefill_attention_flops == pytest.approx(
        r200.prefill_attention_flops * BLACKWELL_ULTRA_ATTENTION_SHARE
    )
    assert r300.attention_decode_flops == r200.attention_decode_flops
    assert r300.attention_flops == r200.attention_flops


def test_the_engines_prompt_kernels_set_the_prompt_step() -> None:
    """On an H200, TensorRT-LLM's prompt attention (rate 0.57, 3.4 tiles a row block) costs more per pair than
    vLLM's FlashAttention-3 (0.67, 2.8), and an engine without a measured table keeps the family's constants."""
    model = load_model("meta-llama/Llama-3.1-8B-Instruct")
    steps = {}
    for engine in ("vllm", "trtllm"):
        d = plan_deployment(
            model, get_gpu("H200"), num_gpus=1, tp=1, input_length=8192, output_length=16, engine=engine
        )
        pairs = d.step_cost.prefill_pairs([(8192, 0)])[0]
        steps[engine] = pairs / exact_pairs(8192, 0)
        rate, rows = PREFILL_ATTENTION_TILES[(engine, "hopper")]
        assert d.rates.prefill_attention_flops == pytest.approx(
            get_gpu("H200").gemm_tflops("bf16")[0] * 1e12 * rate
        )
        assert d.rates.attention_row_tiles == rows
    assert steps["trtllm"] > steps["vllm"] > 1.0
    assert prefill_attention_tiles(ENGINE_PROFILES["vllm"], "cdna3") is None


def test_each_engines_decode_attention_share_is_its_own_kernels_fit() -> None:
    """The decode-attention constants are benchmarks/fit_decode_attention.py's fit on aiconfigurator's B200 and
    H200 tables (the H100 SXM's on its own); held out, the B300's and GB200's grouped-query tables read within 2%,
    the Hopper MLA rows at 16-64 heads within 20%, and the MLA kernel tables of all five GPUs within 10%."""
    from config_explorer.engine.calibration import (
        BLACKWELL_MLA_DECODE_BANDWIDTH,
        DECODE_ATTENTION_BANDWIDTH,
        H100_DECODE_ATTENTION,
        HOPPER_DECODE_ATTENTION_BANDWIDTH,
        HOPPER_FP8_DECODE_VALUES_S,
        HOPPER_FP8_MLA_DECODE_VALUES_S,
        HOPPER_MLA_DECODE_BANDWIDTH,
        SGLANG_FLASHINFER_DECODE_BANDWIDTH,
    )

    fit = load_benchmark("fit_decode_attention")
    share = fit.shares()
    h200 = fit.bandwidth("H200-SXM")
    for engine in fit.ENGINE_NAMES:
        kernel = fit.DEFAULT_KERNEL[(engine, "blackwell")]
        measured = tuple(share[("B200-SXM", engine, kernel, kv)] for kv in fit.KV)
        assert DECODE_ATTENTION_BANDWIDTH[(engine, "blackwell")] == pytest.approx(measured, abs=0.002)
        for gpu in ("B300-SXM", "GB200"):
            for kv in fit.KV:
                held = share[(gpu, engine, kernel, kv)] / fit.modelled(engine, gpu, kv, mla=False)
                assert abs(held - 1.0) < 0.02, (gpu, engine, kv)
        hopper = fit.DEFAULT_KERNEL[(engine, "hopper")]
        assert HOPPER_DECODE_ATTENTION_BANDWIDTH[engine] == pytest.approx(
            share[("H200-SXM", engine, hopper, "bfloat16")], abs=0.002
        )
        values = share[("H200-SXM", engine, hopper, "fp8")] * h200
        assert HOPPER_FP8_DECODE_VALUES_S[engine] == pytest.approx(values, rel=0.002)
        own = (share[("H100-SXM", engine, hopper, "bfloat16")], share[("H100-SXM", engine, hopper, "fp8")])
        assert H100_DECODE_ATTENTION[engine][0] == pytest.approx(own[0], abs=0.002)
        assert H100_DECODE_ATTENTION[engine][1] == pytest.approx(
            own[1] * fit.bandwidth("H100-SXM"), rel=0.002
        )
    # heads of 64 values: the FP8 factor is the H200's and the B200's fit; held out, the H100's, B300's and GB200's
    # tables within 8%
    from config_explorer.engine.calibration import FP8_DECODE_HEAD_64_FACTOR

    small = fit.shares(64)
    for family, fit_gpu in fit.FIT_GPU.items():
        for engine in fit.ENGINE_NAMES:
            kernel = fit.DEFAULT_KERNEL[(engine, family)]
            factor = small[(fit_gpu, engine, kernel, "fp8")] / share[(fit_gpu, engine, kernel, "fp8")]
            assert FP8_DECODE_HEAD_64_FACTOR[family][engine] == pytest.approx(factor, abs=0.002)
    for gpu in ("H100-SXM", "B300-SXM", "GB200"):
        for engine in fit.ENGINE_NAMES:
            kernel = fit.DEFAULT_KERNEL[(engine, get_gpu(gpu).family)]
            for kv in fit.KV:
                held = small[(gpu, engine, kernel, kv)] / fit.modelled(
                    engine, gpu, kv, mla=False, head_dim=64
                )
                assert abs(held - 1.0) < 0.08, (gpu, engine, kv)
    flashinfer = tuple(share[("B200-SXM", "sglang", "flashinfer", kv)] for kv in fit.KV)
    held_constant = SGLANG_FLASHINFER_DECODE_BANDWIDTH
    assert held_constant == pytest.approx(flashinfer, abs=0.002)

    mla = fit.mla_shares()
    sixteen = statistics.median(
        mla[("H200-SXM", e, fit.MLA_KERNELS[(e, "16-bit")], "bfloat16", 16)] for e in ("trtllm", "vllm")
    )
    assert sixteen == pytest.approx(HOPPER_MLA_DECODE_BANDWIDTH, abs=0.002)
    for engine in ("trtllm", "vllm"):
        values = mla[("H200-SXM", engine, fit.MLA_KERNELS[(engine, "fp8")], "fp8", 16)] * h200
        assert HOPPER_FP8_MLA_DECODE_VALUES_S[engine] == pytest.approx(values, rel=0.002)
        for gpu, heads in (("H100-SXM", 16), ("H100-SXM", 32), ("H200-SXM", 32), ("H200-SXM", 64)):
            for kv, label in (("bfloat16", "16-bit"), ("fp8", "fp8")):
                measured = mla[(gpu, engine, fit.MLA_KERNELS[(engine, label)], kv, heads)]
                ratio = measured / fit.modelled(
                    engine, gpu, kv, mla=True, model_class="DeepseekV3ForCausalLM"
                )
                assert abs(ratio - 1.0) < 0.20, (gpu, engine, kv, heads)
    assert BLACKWELL_MLA_DECODE_BANDWIDTH["trtllm"] == pytest.approx(
        tuple(mla[("B200-SXM", "trtllm", "default", kv, 16)] for kv in fit.KV), abs=0.002
    )
    # the MLA attention kernel alone, SGLang's and TensorRT-LLM's, on every GPU timed: within 10% at 16 heads
    kernels = fit.mla_kernel_shares()
    checked = 0
    for (gpu, engine, _kernel, kv, heads), measured in kernels.items():
        hopper = get_gpu(gpu).family == "hopper"
        if heads != 16 or (
            engine == "sglang" and kv == "fp8" and hopper
        ):  # its pool conversion, charged apart
            continue
        ratio = measured / fit.modelled(engine, gpu, kv, mla=True, model_class="DeepseekV3ForCausalLM")
        assert abs(ratio - 1.0) < 0.10, (gpu, engine, kv)
        checked += 1
    assert checked == 18
    # the 32-head factor: the B200's median, and the B300's and GB200's 32-head rows within 12%
    from config_explorer.engine.calibration import BLACKWELL_MLA_32_HEAD_FACTOR

    fitted_factor = statistics.median(fit.thirty_two_head_ratios(mla, kernels))
    assert fitted_factor == pytest.approx(BLACKWELL_MLA_32_HEAD_FACTOR, abs=0.002)
    for (gpu, engine, _kernel, kv, heads), measured in kernels.items():
        if heads == 32 and gpu in ("B300-SXM", "GB200"):
            model = fit.modelled(engine, gpu, kv, mla=True, model_class="DeepseekV3ForCausalLM", heads=32)
            assert abs(measured / model - 1.0) < 0.12, (gpu, engine, kv)


def test_decode_attention_follows_the_engines_kernel_and_the_kv_format() -> None:
    """A grouped-query cache is read at the engine kernel's measured share: on a B200 above the family's 0.66
    for a 16-bit cache, lower for an FP8 one (half the bytes still take less time on TensorRT-LLM's kernel, not
    on SGLang 0.5.6's flashinfer one, which gpt-oss and Llama 4 did not use); on Hopper the 16-bit share is the
    engine kernel's too (the family's for TensorRT-LLM before XQA, a per-query-head kernel) and an FP8 cache reads at
    FlashAttention-3's capped values a second, a smaller share of the H200's bandwidth than of the H100's; MLA
    layers read at their own kernels' shares."""

    def share(model: str, gpu: str, engine: str, kv: str) -> float:
        d = plan_deployment(
            load_model(model), get_gpu(gpu), num_gpus=1 if "DeepSeek" not in model else 8,
            tp=1 if "DeepSeek" not in model else 8, input_length=1000, output_length=100,
            engine=engine, kv_precision=kv,
        )  # fmt: skip
        return d.rates.attention_bandwidth / get_gpu(gpu).memory_bandwidth_bytes_s

    llama, gpt_oss = "meta-llama/Llama-3.1-8B-Instruct", "openai/gpt-oss-20b"
    blackwell = efficiency_for("blackwell").attention_bandwidth
    for engine in ("trtllm", "vllm", "sglang"):
        sixteen, fp8 = share(llama, "B200", engine, "bf16"), share(llama, "B200", engine, "fp8")
        assert sixteen > blackwell > 0.0
        assert fp8 < sixteen
        assert 1.0 / fp8 < 2.0 / sixteen  # an FP8 value still reads faster than a 16-bit one
    old_sixteen, old_fp8 = (
        share(llama, "B200", "sglang==0.5.6", "bf16"),
        share(llama, "B200", "sglang==0.5.6", "fp8"),
    )
    assert old_sixteen < share(llama, "B200", "sglang", "bf16")
    assert 1.0 / old_fp8 > 0.95 * 2.0 / old_sixteen  # no faster than a 16-bit cache
    assert share(gpt_oss, "B200", "sglang==0.5.6", "bf16") == share(gpt_oss, "B200", "sglang", "bf16")
    hopper = efficiency_for("hopper").attention_bandwidth
    for engine in ("trtllm", "vllm", "sglang"):
        assert share(llama, "H200", engine, "bf16") == pytest.approx(
            HOPPER_DECODE_ATTENTION_BANDWIDTH[engine]
        )
    assert share(llama, "H200", "trtllm==0.6.1", "bf16") == pytest.approx(hopper)  # before XQA: the family's
    trtllm = HOPPER_DECODE_ATTENTION_BANDWIDTH["trtllm"]
    assert share(llama, "H200", "trtllm", "fp8") == pytest.approx(trtllm, abs=0.005)  # XQA reads FP8 alike
    for engine in ("vllm", "sglang"):
        # the FP8 path caps the values a second, which the H200's extra bandwidth does not raise
        sixteen = HOPPER_DECODE_ATTENTION_BANDWIDTH[engine]
        assert share(llama, "H200", engine, "fp8") < share(llama, "H100", engine, "fp8") <= sixteen
    # MLA: its own kernels' shares, a 16-bit latent cache faster than grouped-query heads on Hopper
    deepseek = "deepseek-ai/DeepSeek-R1"
    assert share(deepseek, "H200", "trtllm", "bf16") > hopper
    assert share(deepseek, "H200", "trtllm", "fp8") < share(deepseek, "H200", "trtllm", "bf16")
    assert share(deepseek, "B200", "trtllm", "fp8") > share(deepseek, "B200", "trtllm", "bf16")
    # 32 heads a GPU (attention TP4) reads slower on Blackwell's MLA kernels, not on Hopper's
    tp4 = plan_deployment(
        load_model(deepseek), get_gpu("B200"), num_gpus=4, tp=4, input_length=1000, output_length=100,
        engine="trtllm", kv_precision="fp8",
    )  # fmt: skip
    assert tp4.rates.attention_bandwidth / get_gpu("B200").memory_bandwidth_bytes_s == pytest.approx(
        share(deepseek, "B200", "trtllm", "fp8") * 0.673, rel=1e-9
    )


def test_an_fp8_cache_of_small_heads_reads_more_slowly() -> None:
    """On Hopper and Blackwell an FP8 cache of heads of 64 values (gpt-oss-20b's) reads at the engine kernel's FP8
    rate times its fitted factor, linear up to heads of 128, where it is 1 (TensorRT-LLM's XQA on Hopper, whose FP8
    rate is above its 16-bit share's, still reads at that share); a 16-bit cache, heads of 128 or more, MLA, SGLang's
    early Blackwell kernel and other families keep their shares."""
    from config_explorer.engine.calibration import FP8_DECODE_HEAD_64_FACTOR, fp8_decode_head_factor

    for family, factors in FP8_DECODE_HEAD_64_FACTOR.items():
        for engine, at_64 in factors.items():
            assert 0.5 < at_64 < 1.0
            assert fp8_decode_head_factor(engine, family, 32) == at_64
            assert fp8_decode_head_factor(engine, family, 64) == at_64
            assert fp8_decode_head_factor(engine, family, 96) == pytest.approx((at_64 + 1.0) / 2)
            assert (
                fp8_decode_head_factor(engine, family, 128)
                == fp8_decode_head_factor(engine, family, 256)
                == 1.0
            )
    assert fp8_decode_head_factor("unknown-engine", "hopper", 64) == 1.0
    assert fp8_decode_head_factor("vllm", "ampere", 64) == 1.0

    def share(gpu: str, engine: str, kv: str, head_dim: int, mla: bool = False) -> float:
        family = get_gpu(gpu).family
        return decode_attention_bandwidth(
            profile_for(engine), gpu_family=family, family_share=efficiency_for(family).attention_bandwidth,
            bandwidth_bytes_s=get_gpu(gpu).memory_bandwidth_bytes_s, kv_value_bytes=1.0 if kv == "fp8" else 2.0,
            mla=mla, model_class="LlamaForCausalLM", gpu_name=get_gpu(gpu).name, head_dim=head_dim,
        )  # fmt: skip

    for engine in ("vllm", "sglang", "trtllm"):
        for gpu in ("H100", "H200", "B200"):
            if (
                engine == "trtllm" and gpu != "B200"
            ):  # XQA's FP8 rate exceeds its 16-bit share's at either size
                assert share(gpu, engine, "fp8", 64) == share(gpu, engine, "bf16", 64)
            else:
                assert share(gpu, engine, "fp8", 64) < share(gpu, engine, "fp8", 128)
            assert share(gpu, engine, "fp8", 256) == share(gpu, engine, "fp8", 128)
            assert share(gpu, engine, "bf16", 64) == share(gpu, engine, "bf16", 128)
            assert share(gpu, engine, "fp8", 64, mla=True) == share(gpu, engine, "fp8", 128, mla=True)
    assert share("B200", "sglang==0.5.6", "fp8", 64) == share(
        "B200", "sglang==0.5.6", "fp8", 128
    )  # flashinfer
    assert share("A100", "vllm", "fp8", 64) == share("A100", "vllm", "fp8", 128)
    # the plan of gpt-oss-20b (heads of 64) reads its FP8 cache at the factor times Llama's (heads of 128)
    for gpu, family in (("H200", "hopper"), ("B200", "blackwell")):
        plans = {
            model: plan_deployment(
                load_model(model), get_gpu(gpu), num_gpus=1, tp=1, input_length=1000, output_length=100,
                engine="vllm", kv_precision="fp8",
            ).rates.attention_bandwidth
            for model in ("openai/gpt-oss-20b", "meta-llama/Llama-3.1-8B-Instruct")
        }  # fmt: skip
        assert plans["openai/gpt-oss-20b"] == pytest.approx(
            plans["meta-llama/Llama-3.1-8B-Instruct"] * FP8_DECODE_HEAD_64_FACTOR[family]["vllm"], rel=1e-9
        )


def test_a_plan_says_when_an_fp8_cache_saves_little_decode_attention_time() -> None:
    """Where the engine's kernel reads an FP8 cache at so small a share of the bandwidth that its decode attention
    takes more than FP8_KV_DECODE_NOTE_RATIO of a 16-bit cache's time, the plan says so, and only then."""
    from config_explorer.engine.deployment import FP8_KV_DECODE_NOTE_RATIO

    def noted(gpu: str, engine: str, kv: str) -> bool:
        d = plan_deployment(
            load_model("meta-llama/Llama-3.1-8B-Instruct"), get_gpu(gpu), num_gpus=1, tp=1,
            input_length=1000, output_length=100, engine=engine, kv_precision=kv,
        )  # fmt: skip
        return any("FP8 KV cache halves" in w for w in d.warnings)

    assert 0.5 < FP8_KV_DECODE_NOTE_RATIO < 1.0
    assert noted("H200", "sglang", "fp8")  # FlashAttention-3 reads FP8 at 0.46 of the H200's bandwidth
    assert noted("B200", "sglang==0.5.6", "fp8")  # its flashinfer kernel: no faster than 16-bit
    assert not noted("H200", "sglang", "bf16")
    assert not noted("H200", "trtllm", "fp8")
    assert not noted("B200", "sglang", "fp8")  # trtllm_mha from 0.5.7
