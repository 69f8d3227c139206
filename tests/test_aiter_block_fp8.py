"""Block-scaled FP8 linear layers on AMD Instinct GPUs run on AITER's blockscale GEMM at its measured rates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import AITER_BLOCK_FP8, ENGINE_PROFILES, runs_aiter_block_fp8
from config_explorer.engine.deployment import plan_deployment

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _plan(model: str, gpu: str, engine: str, precision: str | None = None) -> Any:
    return plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=8, tp=8, input_length=1024, output_length=256, engine=engine,
        precision=precision,
    )  # fmt: skip


def _gemm_ms(dep: Any, prompt: int) -> float:
    """A prompt step of ``prompt`` tokens without decodes, in ms."""
    pairs, windowed = dep.step_cost.prefill_pairs([(prompt, 0)])
    return 1e3 * float(dep.step_cost.time(0, 0, 0, prompt, pairs, windowed, 1))


def test_the_constants_are_the_fit_on_deepseeks_table() -> None:
    """``AITER_BLOCK_FP8`` is benchmarks/fit_cdna_block_fp8.py's fit on the DeepSeek-V3 table; held out, the other
    models' tables read within a median |log| of 0.25 on each GPU (0.15 on the MI300X, 0.22 on the MI355X), where
    the family's per-tensor factors read 0.3 or more."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import fit_cdna_block_fp8 as fit
    finally:
        sys.path.remove(str(BENCHMARKS))
    tables = fit.load()
    for gpu in ("MI300X", "MI355X"):
        spec = get_gpu(gpu)
        fixed, bandwidth, rate, floor = fit.fit(tables[(gpu, fit.FIT_TABLE)])
        fixed_us, gb_s, share, rows = AITER_BLOCK_FP8[spec.family]
        assert fixed_us == pytest.approx(fixed * 1e6, abs=0.005)
        assert gb_s == pytest.approx(bandwidth / 1e9, abs=0.5)
        assert share == pytest.approx(rate / (spec.gemm_tflops("fp8")[0] * 1e12), abs=0.0005)
        assert rows == floor
        held = [
            e
            for (g, table), rows_ in tables.items()
            if g == gpu and table != fit.FIT_TABLE
            for e in fit.errors(fit.engine_model(gpu), rows_)
        ]
        before = [
            e
            for (g, table), rows_ in tables.items()
            if g == gpu and table != fit.FIT_TABLE
            for e in fit.errors(fit.family_model(gpu), rows_)
        ]
        assert sorted(held)[len(held) // 2] < 0.25 < 0.3 < sorted(before)[len(before) // 2]


@pytest.mark.parametrize(
    ("engine", "family", "precision", "block_scaled", "expected"),
    [
        ("vllm", "cdna3", "fp8", True, True),
        ("sglang", "cdna3", "fp8", True, True),
        ("sglang", "cdna4", "fp8", True, True),
        ("trtllm", "cdna3", "fp8", True, False),  # no ROCm build
        ("vllm", "hopper", "fp8", True, False),  # DeepGEMM / CUTLASS
        ("vllm", "cdna3", "fp8", False, False),  # per-tensor FP8 (hipBLASLt)
        ("sglang", "cdna3", "bf16", False, False),
        ("vllm", "cdna4", "mxfp4", False, False),
    ],
)
def test_which_deployments_take_aiters_blockscale_gemm(
    engine: str, family: str, precision: str, block_scaled: bool, expected: bool
) -> None:
    profile = ENGINE_PROFILES[engine]
    assert (
        runs_aiter_block_fp8(
            profile, weight_precision=precision, gpu_family=family, block_scaled=block_scaled
        )
        is expected
    )


def test_a_block_scaled_checkpoint_prefills_slower_on_an_mi300x_and_decodes_about_the_same() -> None:
    """DeepSeek-R1's block-FP8 linears at 0.276 of the FP8 peak (and a floor of 112 rows) where the family's
    per-tensor factor gives 0.42: a long prompt step takes longer (by a few per cent: its experts, most of its
    FLOPs, keep the family's rates), a decode step of a few sequences about the same; a per-tensor FP8
    checkpoint, and the same checkpoint on Hopper, keep the family's rates."""
    r1 = _plan("deepseek-ai/DeepSeek-R1", "MI300X", "sglang")
    assert r1.rates.quantized_linear_rows == AITER_BLOCK_FP8["cdna3"][3]
    assert r1.rates.quantized_linear_flops == pytest.approx(0.276 * 2614.9e12)
    family = plan_deployment(
        load_model("deepseek-ai/DeepSeek-R1"), get_gpu("MI300X"), num_gpus=8, tp=8, input_length=1024,
        output_length=256, engine="trtllm",
    )  # fmt: skip
    assert family.rates.quantized_linear_flops == 0.0
    # the same plan without the rule: the GEMM rates of the family
    import attrs

    from config_explorer.engine.roofline import StepCost

    plain = StepCost(
        r1.costs,
        attrs.evolve(r1.rates, quantized_linear_s=0.0, quantized_linear_bandwidth=0.0, quantized_linear_flops=0.0,
                     quantized_linear_rows=0.0),
        r1.profile,
    )  # fmt: skip
    pairs, windowed = r1.step_cost.prefill_pairs([(8192, 0)])
    slow = float(r1.step_cost.time(0, 0, 0, 8192, pairs, windowed, 1))
    fast = float(plain.time(0, 0, 0, 8192, pairs, windowed, 1))
    assert slow > 1.02 * fast
    decode, decode_plain = (
        float(r1.step_cost.time(4, 4800, 0, 0, 0, 0, 4)),
        float(plain.time(4, 4800, 0, 0, 0, 0, 4)),
    )
    assert decode == pytest.approx(decode_plain, rel=0.1)
    per_tensor = _plan("meta-llama/Llama-3.1-70B-Instruct", "MI300X", "vllm", precision="fp8")
    assert (
        per_tensor.rates.quantized_linear_rows != AITER_BLOCK_FP8["cdna3"][3]
    )  # AITER_ROWWISE_FP8's instead
    assert _plan("deepseek-ai/DeepSeek-R1", "H200", "sglang").rates.quantized_linear_rows == 0.0


@pytest.mark.parametrize(
    ("model", "engine", "precision"),
    [
        ("deepseek-ai/DeepSeek-R1", "sglang", None),  # block-scaled FP8: AITER_BLOCK_FP8
        ("meta-llama/Llama-3.1-70B-Instruct", "vllm", "fp8"),  # per-tensor FP8: AITER_ROWWISE_FP8
    ],
)
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 512), st.integers(0, 4096), st.integers(1, 64), st.integers(1, 512))
def test_more_tokens_never_make_an_aiter_step_faster(
    model: str, engine: str, precision: str | None, decodes: int, prompt: int, more: int, more_prompt: int
) -> None:
    """With the row floor (block-scaled or per-tensor FP8 on an MI300X), a step's quantized GEMMs still take longer
    the more tokens it carries."""
    dep = _plan(model, "MI300X", engine, precision=precision)

    def step_s(seqs: int, tokens: int) -> float:
        pairs, windowed = dep.step_cost.prefill_pairs([(tokens, 0)] if tokens else [])
        return float(
            dep.step_cost.time(seqs, seqs * 1200, 0, tokens, pairs, windowed, seqs + (1 if tokens else 0))
        )

    base = step_s(decodes, prompt)
    assert step_s(decodes + more, prompt) >= base * (1 - 1e-12)
    assert step_s(decodes, prompt + more_prompt) >= base * (1 - 1e-12)
