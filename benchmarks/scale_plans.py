"""Plan DeepSeek-R1 and Qwen3-235B-A22B for a chat load on H100, H200 and B200, every way the library can.

For each model x GPU type, ``recommend_gpus`` (the chat preset's lengths and SLOs, 20 requests/s, up to
32 GPUs, ``all_layouts=True``, ``disaggregated=True``) ranks every layout; this script prints the best
plan of each kind it found (plain tensor parallelism, tensor x pipeline parallelism, expert parallelism
with data-parallel attention, disaggregated prefill/decode), with the GPUs and the hourly cost of carrying
the load. (Its speed is benchmarks/speed.py's business.)

    PYTHONPATH=src python benchmarks/scale_plans.py
"""

from __future__ import annotations

from collections.abc import Iterable

from config_explorer.engine.records import layout_text, pool_texts
from config_explorer.recommender.recommend import Candidate, recommend_gpus

MODELS = ("deepseek-ai/DeepSeek-R1", "Qwen/Qwen3-235B-A22B")
GPUS = ("H100", "H200", "B200")
RATE = 20.0
MAX_GPUS = 32


def _kind(c: Candidate) -> str:
    if c.estimate is not None and c.estimate.prefill_replicas is not None:
        return "disaggregated"
    if c.ep > 1 and c.dp_attention > 1:
        return "EP + DP attention"
    if c.ep > 1:
        return "EP (attention TP)"
    return "TP x PP" if c.pp > 1 else "TP"


def _describe(c: Candidate) -> str:
    pools = None if c.estimate is None else pool_texts(c.estimate)
    if pools is not None:
        return f"{pools[0]} prefill + {pools[1]} decode"
    replicas = 1 if c.estimate is None else c.estimate.replicas
    layout = layout_text(c.tp, c.pp, c.ep, c.dp_attention)
    inside = layout if replicas == 1 else f"{replicas} replicas of {layout}"
    return f"{c.copies_for_target} x ({c.num_gpus} GPUs, {inside})"


def _cost(c: Candidate) -> tuple[float, int]:
    return (c.cost_per_hour_for_target_usd or float("inf"), c.total_gpus_for_target or c.num_gpus)


def best_by_kind(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """The cheapest candidate (then the fewest GPUs) of each kind."""
    best: dict[str, Candidate] = {}
    for c in candidates:
        key = _kind(c)
        cost = _cost(c)
        held = best.get(key)
        if held is None or cost < (
            held.cost_per_hour_for_target_usd or float("inf"),
            held.total_gpus_for_target or held.num_gpus,
        ):
            best[key] = c
    return best


def main() -> None:
    print(
        f"chat preset (512 in / 256 out, TTFT p99 <= 500 ms, TPOT p99 <= 40 ms), {RATE:g} requests/s, "
        f"up to {MAX_GPUS} GPUs\n"
    )
    for model in MODELS:
        for gpu in GPUS:
            result = recommend_gpus(
                model,
                workload="chat",
                gpus=[gpu],
                target_requests_per_s=RATE,
                max_gpus=MAX_GPUS,
                all_layouts=True,
                disaggregated=True,
                backend="native",
            )
            print(f"{model} on {gpu}")
            found = best_by_kind((*result.ranked, *result.disaggregated))
            if not found:
                print("  nothing meets the SLOs at this load within the GPU limit")
            for kind in ("TP", "TP x PP", "EP (attention TP)", "EP + DP attention", "disaggregated"):
                c = found.get(kind)
                if c is None:
                    print(f"  {kind:19s} -")
                    continue
                cost = c.cost_per_hour_for_target_usd
                price = "-" if cost is None else f"${cost:,.2f}/h"
                print(
                    f"  {kind:19s} {c.total_gpus_for_target or c.num_gpus:3d} GPUs {price:>11s}  {_describe(c)}"
                )
            print()


if __name__ == "__main__":
    main()
