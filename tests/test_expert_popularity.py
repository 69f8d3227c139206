"""Skewed routing over a MoE layer's experts: how many distinct experts a step's tokens touch when the experts'
popularity spreads at a coefficient of variation (``calibration.EXPERT_POPULARITY_CV`` by default; 0 is uniform
routing), and how it reaches plans, estimates and the command line."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.cli import main
from config_explorer.engine.calibration import EXPERT_POPULARITY_CV, MAX_EXPERT_POPULARITY_CV
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.roofline import POPULARITY_BINS, expected_distinct_experts, expert_popularity
from config_explorer.engine.serving import estimate
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import estimate_performance

#: (experts, experts per token) of bundled MoE models: DeepSeek-V3, Qwen3-30B-A3B, Qwen3-Next, gpt-oss, Mixtral
SHAPES = [(256, 8), (128, 8), (512, 10), (32, 4), (8, 2)]


def _plan(model: str = "Qwen/Qwen3-30B-A3B", **kw: object) -> object:
    return plan_deployment(
        load_model(model), get_gpu("H100"), num_gpus=1, tp=1, input_length=1000, output_length=500, **kw
    )


def test_the_default_is_the_published_mixed_traffic_skew() -> None:
    # SGLang PR #5524's 16 DeepSeek experts' counts on mixed traffic read CV 0.70 (moe_routing_skew_evidence.md, 1.C)
    counts = [162554, 147879, 102827, 108924, 46123, 505540, 98864, 184719, 322237, 128708]
    counts += [117722, 118096, 73528, 245469, 119943, 69937]
    mean = sum(counts) / len(counts)
    cv = math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts)) / mean
    assert round(cv, 2) == EXPERT_POPULARITY_CV == 0.7


@pytest.mark.parametrize(("experts", "top_k"), SHAPES)
def test_the_groups_chances_add_up_to_the_experts_a_token_picks(experts: int, top_k: int) -> None:
    chances = expert_popularity(experts, top_k, EXPERT_POPULARITY_CV)
    assert len(chances) == POPULARITY_BINS
    assert experts / POPULARITY_BINS * sum(chances) == pytest.approx(top_k, rel=1e-9)
    assert list(chances) == sorted(chances)  # groups ranked from the least popular up
    # one token touches exactly its k experts, skewed or not
    assert expected_distinct_experts(1, experts, top_k, EXPERT_POPULARITY_CV) == pytest.approx(top_k)


def test_the_uniform_formula_is_kept_at_zero() -> None:
    assert expected_distinct_experts(16, 256, 8, 0.0) == pytest.approx(256 * (1 - (1 - 8 / 256) ** 16))
    assert expected_distinct_experts(0, 256, 8, 0.7) == 0.0
    assert expected_distinct_experts(16, 0, 8, 0.7) == 0.0


def test_deepseek_v3_reads_the_evidence_tables_band() -> None:
    """moe_routing_skew_evidence.md, section 3, computes DeepSeek-V3's distinct experts at CV 0.7 (gamma-distributed
    popularity) at 0.95 / 0.92 / 0.88 / 0.87 / 0.91 / 0.96 of uniform routing's for 8-256 tokens; the log-normal
    popularity reads within 0.03 of each."""
    for tokens, table in zip((8, 16, 32, 64, 128, 256), (0.95, 0.92, 0.88, 0.87, 0.91, 0.96), strict=True):
        ratio = expected_distinct_experts(tokens, 256, 8, 0.7) / expected_distinct_experts(tokens, 256, 8)
        assert ratio == pytest.approx(table, abs=0.03)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.sampled_from(SHAPES),
    tokens=st.floats(1.0, 20_000.0),
    cv=st.floats(0.0, MAX_EXPERT_POPULARITY_CV),
    more=st.floats(0.0, 1.0),
)
def test_more_skew_never_touches_more_experts(
    shape: tuple[int, int], tokens: float, cv: float, more: float
) -> None:
    experts, top_k = shape
    touched = expected_distinct_experts(tokens, experts, top_k, cv)
    assert expected_distinct_experts(tokens, experts, top_k, cv + more) <= touched * (1 + 1e-9)
    assert expected_distinct_experts(tokens, experts, top_k) >= touched * (1 - 1e-9)
    assert touched <= experts * (1 + 1e-9)
    # and more tokens never touch fewer
    assert expected_distinct_experts(tokens + 1, experts, top_k, cv) >= touched * (1 - 1e-12)


@settings(max_examples=25, deadline=None)
@given(batch=st.sampled_from([1, 4, 16, 64, 256]), cv=st.floats(0.0, 2.0), more=st.floats(0.0, 1.0))
def test_more_skew_never_slows_a_decode_step(batch: int, cv: float, more: float) -> None:
    even, skewed = _plan(expert_popularity_cv=cv), _plan(expert_popularity_cv=cv + more)
    args = (float(batch), batch * 1250.0, 0.0, 0.0, 0.0, 0.0, float(batch))
    assert skewed.step_cost.time(*args) <= even.step_cost.time(*args) * (1 + 1e-12)


def test_plans_take_the_default_and_dense_models_are_untouched() -> None:
    assert _plan().rates.expert_popularity_cv == EXPERT_POPULARITY_CV
    assert _plan(expert_popularity_cv=0).rates.expert_popularity_cv == 0.0
    dense = "meta-llama/Llama-3.1-8B"
    assert _plan(dense).rates.expert_popularity_cv == 0.0
    args = (32.0, 32 * 1250.0, 0.0, 0.0, 0.0, 0.0, 32.0)
    assert _plan(dense).step_cost.time(*args) == _plan(dense, expert_popularity_cv=2.0).step_cost.time(*args)


def test_a_decode_batch_of_a_many_expert_model_reads_fewer_experts() -> None:
    """Qwen3-30B-A3B (128 experts, 8 a token) at 32 decodes: the skewed step streams fewer expert bytes, a single
    decode the same."""
    uniform, skewed = _plan(expert_popularity_cv=0.0), _plan()
    for batch, fewer in ((1, False), (32, True)):
        args = (float(batch), batch * 1250.0, 0.0, 0.0, 0.0, 0.0, float(batch))
        a, b = uniform.step_cost.breakdown(*args), skewed.step_cost.breakdown(*args)
        assert (b.bytes < a.bytes * 0.99) is fewer
        assert b.bytes <= a.bytes * (1 + 1e-12)


@pytest.mark.parametrize("bad", [-0.1, MAX_EXPERT_POPULARITY_CV + 1, float("nan"), "0.7", True])
def test_a_bad_spread_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="expert_popularity_cv"):
        _plan(expert_popularity_cv=bad)
    with pytest.raises(InvalidArgumentError, match="expert_popularity_cv"):
        estimate_performance(
            "Qwen/Qwen3-30B-A3B", "H100", 1, 1, 1000, 500, backend="native", expert_popularity_cv=bad
        )


def test_estimates_follow_the_spread() -> None:
    arch, gpu = load_model("Qwen/Qwen3-30B-A3B"), get_gpu("H100")
    kw = {"num_gpus": 1, "tp": 1, "input_length": 1000, "output_length": 500, "concurrency": 32}
    uniform = estimate(arch, gpu, **kw, serving_model="analytic", expert_popularity_cv=0.0)
    skewed = estimate(arch, gpu, **kw, serving_model="analytic")
    assert uniform.itl_ms and skewed.itl_ms and skewed.itl_ms < uniform.itl_ms
    public = estimate_performance(
        "Qwen/Qwen3-30B-A3B",
        "H100",
        1,
        1,
        1000,
        500,
        backend="native",
        concurrency=32,
        serving_model="analytic",
    )
    assert public.itl_ms == pytest.approx(skewed.itl_ms)


def test_the_command_line_takes_the_spread(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["estimate", "--model", "Qwen/Qwen3-30B-A3B", "--gpu", "H100", "--input-len", "1000"]
    base += ["--output-len", "500", "--concurrency", "32", "--backend", "native", "--json"]
    itl = {}
    for cv in ("0", "0.7"):
        assert main([*base, "--expert-popularity-cv", cv]) == 0
        itl[cv] = json.loads(capsys.readouterr().out)["itl_ms"]
    assert itl["0.7"] < itl["0"]
    assert main([*base, "--expert-popularity-cv", "-1"]) != 0
    err = capsys.readouterr().err
    assert "expert_popularity_cv" in err and "-1" in err


def test_recommendations_take_the_spread(capsys: pytest.CaptureFixture[str]) -> None:
    """recommend_gpus judges every MoE layout at the spread it is given (uniform routing reads more experts a step,
    so a step is slower and a layout carries fewer output tokens a second), and refuses a bad one up front."""
    from config_explorer.recommender import recommend_gpus

    kw = {"gpus": ["H100"], "max_gpus": 1, "backend": "native", "concurrency": 32}
    skewed = recommend_gpus("Qwen/Qwen3-30B-A3B", 1000, 500, **kw)
    uniform = recommend_gpus("Qwen/Qwen3-30B-A3B", 1000, 500, expert_popularity_cv=0.0, **kw)
    a, b = skewed.ranked[0].estimate, uniform.ranked[0].estimate
    assert a is not None and b is not None and a.itl_ms and b.itl_ms
    assert a.itl_ms < b.itl_ms
    with pytest.raises(InvalidArgumentError, match="expert_popularity_cv"):
        recommend_gpus("Qwen/Qwen3-30B-A3B", 1000, 500, expert_popularity_cv=-1, **kw)
    base = ["recommend", "--model", "Qwen/Qwen3-30B-A3B", "--input-len", "1000", "--output-len", "500"]
    base += ["--gpus", "H100", "--max-gpus", "1", "--backend", "native", "--quiet", "--concurrency", "32"]
    assert main([*base, "--expert-popularity-cv", "0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc
    assert main([*base, "--expert-popularity-cv", "9"]) != 0
    assert "expert_popularity_cv" in capsys.readouterr().err
