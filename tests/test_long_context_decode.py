"""benchmarks/long_context_decode.py: the engine's one-request ITL against context length, fitted as the vLLM
team fits its measurements."""

from __future__ import annotations

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer.catalogs.gpus import get_gpu

LONG = load_benchmark("long_context_decode")


def test_the_slope_is_the_kv_caches_bytes_a_token_over_the_kernels_read_rate() -> None:
    """Llama-3.1-8B keeps 32 layers x 8 KV heads x 128 x (K, V) x 2 bytes = 131,072 bytes a token: on an H100 a
    16-bit cache's slope is those bytes over a read rate below the catalog bandwidth and above half of it; an FP8
    cache halves the bytes and leaves the intercept (weights, fixed time) where it was."""
    slope, intercept = LONG.engine_fit("meta-llama/Llama-3.1-8B", "H100", "bf16")
    fp8_slope, fp8_intercept = LONG.engine_fit("meta-llama/Llama-3.1-8B", "H100", "fp8")
    rate = 131_072 / (slope * 1e-3)  # bytes a second
    bandwidth = get_gpu("H100").memory_bandwidth_bytes_s
    assert 0.5 * bandwidth < rate < bandwidth
    assert fp8_slope < 0.8 * slope
    assert fp8_intercept == pytest.approx(intercept, rel=0.01)


def test_every_published_fit_is_compared_on_a_bundled_model_and_gpu() -> None:
    for model, gpu, kv, slope, intercept in LONG.PUBLISHED:
        ours_slope, ours_intercept = LONG.engine_fit(model, gpu, kv)
        assert ours_slope > 0 and ours_intercept > 0
        assert slope > 0 and intercept > 0
