"""Notebook display: a short one-line ``repr`` and a compact, escaped HTML table for results and records.

A notebook cell used to show attrs' full repr (64,000 characters for one recommendation).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer.backends import EstimateRequest, get_backend, sweep_with
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.records import PerformanceEstimate, SweepResult
from config_explorer.recommender import recommend_gpus
from config_explorer.recommender.performance import estimate_performance, resolve_model
from config_explorer.recommender.recommend import Candidate, RecommendationResult

REPR_LIMIT = 300


@pytest.fixture(scope="module")
def estimate() -> PerformanceEstimate:
    return estimate_performance(
        "meta-llama/Llama-3.1-70B", "H100", 4, None, 4096, 512, concurrency=32, backend="native"
    )


@pytest.fixture(scope="module")
def unfit() -> PerformanceEstimate:
    return estimate_performance("meta-llama/Llama-3.1-70B", "L4", 1, None, 4096, 512, backend="native")


@pytest.fixture(scope="module")
def sweep() -> SweepResult:
    arch = resolve_model("Qwen/Qwen3-8B")
    request = EstimateRequest(
        arch=arch, gpu=get_gpu("L40S"), num_gpus=1, tp=1, input_length=1024, output_length=256
    )
    return sweep_with(get_backend("native", arch), request)


@pytest.fixture(scope="module")
def result() -> RecommendationResult:
    return recommend_gpus(
        "Qwen/Qwen3-8B", workload="chat", gpus=["H100", "L40S", "L4"], max_gpus=2, backend="native"
    )


def _one_line(text: str, name: str) -> None:
    assert "\n" not in text and len(text) < REPR_LIMIT, (len(text), text)
    assert text.startswith(f"{name}(") and text.endswith(")")


class _Tags(HTMLParser):
    """The tags of an HTML fragment, and whether every opened one closed."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, (tag, self.open)


def _tags(fragment: str) -> list[str]:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    assert not parser.open, parser.open
    return parser.tags


def _compact_table(fragment: str, limit: int = 12_000) -> None:
    assert fragment.startswith("<table") and len(fragment) < limit
    tags = set(_tags(fragment))
    assert "table" in tags and "tr" in tags
    assert not tags - {"table", "caption", "tr", "th", "td", "code", "p", "small"}


# -- repr ----------------------------------------------------------------------------------------------
def test_estimate_repr_is_one_short_line(estimate: PerformanceEstimate) -> None:
    text = repr(estimate)
    _one_line(text, "PerformanceEstimate")
    assert "'meta-llama/Llama-3.1-70B'" in text and "tp=4" in text and "concurrency=32" in text
    assert "output_throughput_tok_s=" in text and len(text) < len(estimate.to_json()) / 10


def test_an_unfit_estimate_says_why(unfit: PerformanceEstimate) -> None:
    text = repr(unfit)
    _one_line(text, "PerformanceEstimate")
    assert "fits=False" in text and "does not fit" in text


def test_sweep_repr_is_one_short_line(sweep: SweepResult) -> None:
    text = repr(sweep)
    _one_line(text, "SweepResult")
    assert (
        f"points={len(sweep.points)}" in text and f"optimal_concurrency={sweep.optimal_concurrency}" in text
    )
    assert repr(SweepResult((), None, None, None, ())) == "SweepResult(points=0)"


def test_recommendation_reprs_are_short(result: RecommendationResult) -> None:
    text = repr(result)
    _one_line(text, "RecommendationResult")
    assert f"ranked={len(result.ranked)}" in text and "'Qwen/Qwen3-8B'" in text
    assert result.best is not None and result.best.gpu in text
    assert len(text) < len(result.to_json()) / 50  # the attrs repr it replaces was the whole document
    for candidate in (*result.ranked, *result.rejected):
        _one_line(repr(candidate), "Candidate")
    assert "rejected_reason=" in repr(attrs.evolve(result.ranked[0], rejected_reason="misses SLO: x"))


@settings(max_examples=40, deadline=None)
@given(
    model_id=st.text(min_size=1, max_size=300),
    gpu=st.text(min_size=1, max_size=100),
    error=st.one_of(st.none(), st.text(max_size=2000)),
)
def test_any_text_keeps_the_repr_short(model_id: str, gpu: str, error: str | None) -> None:
    est = PerformanceEstimate(
        model_id=model_id,
        gpu=gpu,
        num_gpus=8,
        tp=8,
        precision="bf16",
        kv_precision="bf16",
        input_length=100_000,
        output_length=100_000,
        concurrency=100_000,
        fits=error is None,
        error=error,
        output_throughput_tok_s=1e12,
    )
    _one_line(repr(est), "PerformanceEstimate")
    candidate = Candidate(model_id=model_id, gpu=gpu, num_gpus=8, tp=8, rejected_reason=error, estimate=est)
    _one_line(repr(candidate), "Candidate")
    _compact_table(est._repr_html_())
    _compact_table(candidate._repr_html_())


# -- HTML ----------------------------------------------------------------------------------------------
def test_estimate_html_is_a_compact_table(estimate: PerformanceEstimate, unfit: PerformanceEstimate) -> None:
    fragment = estimate._repr_html_()
    _compact_table(fragment)
    assert "meta-llama/Llama-3.1-70B" in fragment and "4 x H100 SXM, TP4" in fragment and "TTFT" in fragment
    assert "does not fit" in unfit._repr_html_()


def test_sweep_html_has_a_row_per_point(sweep: SweepResult) -> None:
    fragment = sweep._repr_html_()
    _compact_table(fragment)
    assert fragment.count("<tr>") == len(sweep.points) + 1
    assert "best throughput" in fragment and "knee" in fragment


def test_recommendation_html_shows_the_top_rows(result: RecommendationResult) -> None:
    fragment = result._repr_html_()
    _compact_table(fragment.split("<p>")[0])
    assert fragment.count("<tr>") == min(10, len(result.ranked)) + 1
    assert f"{len(result.rejected)} rejected" in fragment and "$/M tok" in html.unescape(fragment)
    best = result.best
    assert best is not None
    card = best._repr_html_()
    _compact_table(card)
    assert "vllm serve Qwen/Qwen3-8B" in card  # the launch command of the best row


def test_html_escapes_what_it_shows(estimate: PerformanceEstimate, result: RecommendationResult) -> None:
    hostile = "<script>alert('x')</script>&"
    est = attrs.evolve(estimate, model_id=hostile, gpu=hostile, warnings=(hostile,))
    bad = attrs.evolve(estimate, fits=False, error=hostile)
    assert result.best is not None
    candidate = attrs.evolve(
        result.best, model_id=hostile, gpu=hostile, estimate=est, serve_commands={"vllm": hostile}
    )
    rejected = attrs.evolve(candidate, rejected_reason=hostile)
    whole = attrs.evolve(result, model_id=hostile, ranked=(candidate,), rejected=(rejected,))
    for fragment in (
        est._repr_html_(),
        bad._repr_html_(),
        candidate._repr_html_(),
        rejected._repr_html_(),
        whole._repr_html_(),
    ):
        assert "<script>" not in fragment and "&lt;script&gt;" in fragment
        assert not re.search(r"&(?!(lt|gt|amp|quot|#x27);)", fragment)  # every & is an escape
        assert "script" not in _tags(fragment)
