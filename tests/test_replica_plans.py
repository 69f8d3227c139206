"""Plans that differ only in their copies or front-end processes are one replica's plan, and the analytic
screen's steady state is worked out once per replica and load, whatever deployment asks for it.

``plan_deployment`` builds the one-replica plan and copies it for ``num_gpus`` over several replicas and for a
stated ``api_server_count``; ``serving._steady_state`` keeps each replica's solved steady states on that plan.
These tests hold the copies to what a plan built outright gives, and the kept states to fresh solves.
"""

from __future__ import annotations

import random

import attrs
from hypothesis import given
from hypothesis import strategies as st

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine import analytic, serving
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.metrics import PERCENTILES, weighted_percentile
from config_explorer.engine.serving import estimate
from config_explorer.errors import InvalidArgumentError

LLAMA = load_model("meta-llama/Llama-3.1-8B-Instruct")
QWEN_MOE = load_model("Qwen/Qwen3-30B-A3B")
H100 = get_gpu("H100")

#: what may differ between a deployment of several replicas and its one replica
COPY_FIELDS = ("num_gpus", "replicas")


def _fields(dep: Deployment, *, leave: tuple[str, ...] = ()) -> dict[str, object]:
    return {f.name: getattr(dep, f.name) for f in attrs.fields(Deployment) if f.eq and f.name not in leave}


def test_a_deployment_of_replicas_is_its_replica_counted_several_times() -> None:
    plan_deployment.cache_clear()
    one = plan_deployment(QWEN_MOE, H100, num_gpus=2, tp=2, input_length=1000, output_length=200)
    four = plan_deployment(QWEN_MOE, H100, num_gpus=8, tp=2, input_length=1000, output_length=200)
    two = plan_deployment(QWEN_MOE, H100, num_gpus=4, tp=2, input_length=1000, output_length=200)
    assert (four.num_gpus, four.replicas, two.replicas, one.replicas) == (8, 4, 2, 1)
    # the copies share one replica's plan (and with it the steady states worked out on it), equal to one built
    # outright for a single replica
    assert four.memo["replica"] is two.memo["replica"]
    assert four.memo["replica"] == one and four.step_cost is two.step_cost
    assert _fields(four, leave=COPY_FIELDS) == _fields(one, leave=COPY_FIELDS)
    # the copy's own figures are its own: the KV limit of the whole deployment is four replicas'
    assert serving._deployment_figures(four)[0][0] == 4 * serving._deployment_figures(one)[0][0]


def test_a_stated_front_end_count_changes_only_that_count() -> None:
    stated = plan_deployment(
        LLAMA, H100, num_gpus=1, tp=1, input_length=500, output_length=100, api_server_count=3
    )
    default = plan_deployment(LLAMA, H100, num_gpus=1, tp=1, input_length=500, output_length=100)
    assert stated.api_server_count == 3 and default.api_server_count is None
    assert _fields(stated, leave=("api_server_count",)) == _fields(default, leave=("api_server_count",))
    # (the count is no replica of the default: its front end streams at another rate, so it keeps its own states)
    assert "replica" not in stated.memo
    assert stated.frontend_token_s != default.frontend_token_s


def test_a_bad_layout_is_refused_with_the_deployment_it_was_asked_for() -> None:
    # the copies are planned from one replica only once the layout itself was checked at the stated count
    try:
        plan_deployment(LLAMA, H100, num_gpus=6, tp=4, input_length=500, output_length=100)
    except InvalidArgumentError as exc:
        assert "does not divide num_gpus = 6" in str(exc)
    else:
        raise AssertionError("tp=4 over 6 GPUs was accepted")


def test_replicated_estimates_scale_one_replicas_exactly() -> None:
    """An analytic estimate of r replicas at r x c reads the one replica's latencies at c and r times its rate,
    whichever of the two was estimated first (the second reads the state the first kept)."""
    for first in ("one", "many"):
        plan_deployment.cache_clear()
        runs = {}
        for which in (first, "many" if first == "one" else "one"):
            n = 1 if which == "one" else 4
            runs[which] = estimate(
                LLAMA,
                H100,
                num_gpus=n,
                tp=1,
                input_length=1500,
                output_length=300,
                concurrency=48 * n,
                serving_model="analytic",
                lockstep=False,
            )
        one, many = runs["one"], runs["many"]
        assert (
            many.ttft_ms == one.ttft_ms and many.itl_ms == one.itl_ms and many.ttft_p99_ms == one.ttft_p99_ms
        )
        assert many.output_throughput_tok_s == 4 * one.output_throughput_tok_s
        assert many.output_throughput_tok_s_per_gpu == one.output_throughput_tok_s_per_gpu


def test_a_kept_steady_state_is_the_one_a_fresh_solve_gives() -> None:
    plan_deployment.cache_clear()
    dep = plan_deployment(QWEN_MOE, H100, num_gpus=2, tp=1, input_length=800, output_length=150)
    for concurrency in (1.0, 7.0, 64.0, 64.0, 900.0):
        for lockstep in (True, False):
            kept = serving._steady_state(dep, concurrency, lockstep)
            assert kept == analytic.solve(dep.memo["replica"], concurrency, lockstep=lockstep)
            assert kept == analytic.solve(
                dep, concurrency, lockstep=lockstep
            )  # (the copy's own solve agrees)
    assert len(dep.memo["replica"].memo["steady"]) == 8


def test_the_kept_states_are_bounded() -> None:
    plan_deployment.cache_clear()
    dep = plan_deployment(LLAMA, H100, num_gpus=1, tp=1, input_length=300, output_length=60)
    for c in range(1, 3 * serving.STEADY_STATES_KEPT):
        serving._steady_state(dep, float(c), True)
    assert len(dep.memo["steady"]) == serving.STEADY_STATES_KEPT
    # past the bound a state is still solved, just not kept
    assert serving._steady_state(dep, 10_000.0, True) == analytic.solve(dep, 10_000.0)


def _searched(values: list[float], weights: list[float], quantiles: tuple[float, ...]) -> tuple[float, ...]:
    """The weighted percentiles by a search over each value's weight midpoints (what the even path shortcuts)."""
    pairs = sorted(zip(values, weights))
    total = sum(w for _, w in pairs)
    mids, acc = [], 0.0
    for _, w in pairs:
        mids.append((acc + w / 2) / total)
        acc += w
    out = []
    for q in quantiles:
        i = next((j for j, m in enumerate(mids) if m >= q), len(mids))
        if i == 0:
            out.append(pairs[0][0])
        elif i >= len(pairs):
            out.append(pairs[-1][0])
        else:
            frac = (q - mids[i - 1]) / (mids[i] - mids[i - 1])
            out.append(pairs[i - 1][0] + frac * (pairs[i][0] - pairs[i - 1][0]))
    return tuple(out)


@given(
    st.lists(st.floats(min_value=0.0, max_value=1e4, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([1.0, 2.0, 7.0]),
)
def test_percentiles_of_evenly_weighted_samples_match_the_weighted_search(
    values: list[float], weight: float
) -> None:
    quantiles = (*PERCENTILES, 0.0, 0.25, 1.0)
    fast = weighted_percentile(values, [weight] * len(values), quantiles)
    for got, want in zip(fast, _searched(values, [weight] * len(values), quantiles)):
        assert abs(got - want) <= 1e-9 * max(1.0, abs(want))


def test_percentiles_of_unevenly_weighted_samples_take_the_search() -> None:
    rng = random.Random(3)
    values = [rng.random() for _ in range(200)]
    weights = [rng.choice([1.0, 3.0]) for _ in values]
    got = weighted_percentile(values, weights, PERCENTILES)
    want = _searched(values, weights, PERCENTILES)
    assert all(abs(a - b) <= 1e-12 for a, b in zip(got, want))
