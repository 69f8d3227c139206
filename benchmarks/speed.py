"""Time the native engine: simulated and analytic estimates, a sweep, a whole-catalog search.

Run: ``python benchmarks/speed.py``. Prints the median and the best of repeated runs (on a shared machine the
best is the steadier figure: other work only ever adds to a run's time). Budgets (issue #10): one
simulated closed-loop point for Llama-3.3-70B chat at concurrency 64 <= 20 ms; one analytic estimate
<= 100 us; ``recommend_gpus`` over the whole catalog <= 1 s in-process.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu, list_gpus
from config_explorer.engine.layout import valid_tp_degrees
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import estimate, plan_deployment
from config_explorer.engine.sweep import sweep
from config_explorer.errors import ConfigExplorerError
from config_explorer.recommender import recommend_gpus


def timed(
    fn: Callable[[], object], repeat: int, *, reset: Callable[[], object] | None = None
) -> tuple[float, float]:
    """(median, best) seconds of ``repeat`` runs of ``fn``, after one to warm its caches; ``reset`` runs, untimed,
    before each run (to drop what an earlier run kept that would answer the next one outright)."""
    fn()  # warm caches
    times = []
    for _ in range(repeat):
        if reset is not None:
            reset()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _shown(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:8.2f} ms"


def main() -> None:
    arch = load_model("meta-llama/Llama-3.1-70B")
    h100 = get_gpu("H100")

    def at(concurrency: int, serving_model: str) -> PerformanceEstimate:
        """70B on 4 x H100 at tp=4, 2048 in / 512 out."""
        return estimate(
            arch,
            h100,
            num_gpus=4,
            tp=4,
            input_length=2048,
            output_length=512,
            concurrency=concurrency,
            serving_model=serving_model,
        )

    def one() -> object:
        return at(64, "analytic")

    cold = plan_deployment.cache_clear

    def forget_steady_states() -> None:
        """A fresh plan for ``one``, warmed at another concurrency: ``one`` then works out its steady state anew."""
        cold()
        at(63, "analytic")

    llama33 = load_model("meta-llama/Llama-3.3-70B-Instruct")

    def simulated_chat() -> object:
        return estimate(llama33, h100, num_gpus=4, tp=4, input_length=512, output_length=256, concurrency=64)

    def simulated_long() -> object:
        return estimate(arch, h100, num_gpus=8, tp=4, input_length=8000, output_length=1000, concurrency=256)

    def a_sweep() -> object:
        return sweep(lambda c: at(c, "analytic"))

    def a_simulated_sweep() -> object:
        return sweep(lambda c: at(c, "simulated"))

    layouts = [(g, n, tp) for g in list_gpus() for n in range(1, 9) for tp in valid_tp_degrees(arch, n)]

    def catalog() -> object:
        out = []
        for gpu, n, tp in layouts:
            with contextlib.suppress(ConfigExplorerError):
                out.append(
                    estimate(
                        arch,
                        gpu,
                        num_gpus=n,
                        tp=tp,
                        input_length=2048,
                        output_length=512,
                        concurrency=64,
                        serving_model="analytic",
                    )
                )
        return out

    def cold_plan() -> object:
        cold()
        return plan_deployment(arch, h100, num_gpus=4, tp=4, input_length=2048, output_length=512)

    def recommend() -> object:
        return recommend_gpus(llama33, 512, 256, backend="native", metric="throughput")

    def recommend_chat() -> object:
        return recommend_gpus(llama33, workload="chat", target_requests_per_s=20, backend="native")

    rows = [
        ("simulated: Llama-3.3-70B chat 512/256, 4 x H100 tp4, c=64", timed(simulated_chat, 30)),
        ("simulated: 70B 8000/1000, 8 x H100 tp4, c=256", timed(simulated_long, 5)),
        ("simulated: concurrency sweep (1..1024 + KV limit)", timed(a_simulated_sweep, 3)),
        ("analytic: one estimate (70B, 4 x H100, tp=4, c=64)", timed(one, 2000, reset=forget_steady_states)),
        ("one deployment plan, uncached", timed(cold_plan, 500)),
        # (the rows below start each run with no plan cached, as a first call does: plans keep the analytic
        # steady states worked out on them, which would answer a repeated run's screens outright)
        ("analytic: one concurrency sweep (1..1024 + KV limit), cold", timed(a_sweep, 200, reset=cold)),
        (
            f"analytic: whole catalog, one estimate per layout ({len(layouts)}), cold",
            timed(catalog, 20, reset=cold),
        ),
        ("recommend_gpus Llama-3.3-70B, whole catalog, cold", timed(recommend, 5, reset=cold)),
        (
            "recommend_gpus, chat SLOs at 20 req/s (searched operating points), cold",
            timed(recommend_chat, 3, reset=cold),
        ),
    ]
    print(f"{'':62s} {'median':>11s}   {'best':>11s}")
    for label, (median, best) in rows:
        print(f"{label:62s} {_shown(median)}   {_shown(best)}")


if __name__ == "__main__":
    main()
