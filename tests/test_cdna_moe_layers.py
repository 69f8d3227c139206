"""The engine's MoE layer term on AMD Instinct GPUs, read against AITER's measured fused-MoE layers (held out).

``benchmarks/data/aiter_fmoe_times.csv`` holds the times AMD's AITER tuner measured for its two-stage fused-MoE
kernels on the MI300X and MI355X; nothing in the engine is fitted on them. These tests keep the engine's term
(SGLang's ROCm profile, ``StepCost.moe_layer_terms``) near them where a decode or a prompt chunk runs the layer,
and check how the benchmark script picks the rows it can express.
"""

from __future__ import annotations

import csv
import math
import statistics

import pytest
from tests.benchmark_scripts import load_benchmark

MOE = load_benchmark("moe_layers")


@pytest.fixture(scope="module")
def layers() -> list:  # type: ignore[type-arg]
    return MOE.aiter_rows()


def _median_log(members: list) -> float:  # type: ignore[type-arg]
    return statistics.median(abs(math.log(m.measured_s / m.seconds)) for m in members)


def test_every_row_the_script_estimates_is_a_whole_layer_of_a_bundled_model(layers: list) -> None:  # type: ignore[type-arg]
    with MOE.AITER.open() as fh:
        rows = list(csv.DictReader(fh))
    # expert-parallel shards (fewer experts than the model) and fused shared experts (one more) are left out
    expected = sum(
        1
        for r in rows
        if (known := MOE.AITER_MODELS.get((r["hidden"], r["experts"], r["topk"])))
        and known[1] % int(r["intermediate"]) == 0
    )
    assert len(layers) == expected > 100
    assert {layer.group[0] for layer in layers} == {"MI300X", "MI355X"}
    assert all(layer.measured_s > 0 and layer.seconds > 0 for layer in layers)


def test_decode_and_chunk_sized_layers_stay_near_the_measured_kernels(layers: list) -> None:  # type: ignore[type-arg]
    # 16-1,024 tokens: a decode batch to a prompt chunk, where the layer streams most of its experts
    mid = [layer for layer in layers if 16 <= layer.tokens <= 1024]
    assert len(mid) > 60
    assert _median_log(mid) < 0.12
    assert 0.9 < statistics.median(m.measured_s / m.seconds for m in mid) < 1.2
    # on each GPU alike, not one making up for the other
    for gpu in ("MI300X", "MI355X"):
        assert _median_log([layer for layer in mid if layer.group[0] == gpu]) < 0.15


def test_prompt_sized_layers_read_at_most_mildly_fast(layers: list) -> None:  # type: ignore[type-arg]
    big = [layer for layer in layers if layer.tokens >= 2048]
    assert len(big) > 30
    ratios = [layer.measured_s / layer.seconds for layer in big]
    # the engine is at most mildly fast on prompt-sized layers (median 1.19 when this test was written)
    assert 0.8 < statistics.median(ratios) < 1.35
    assert max(ratios) < 1.7
