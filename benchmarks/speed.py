"""Time the native engine: one estimate, one concurrency sweep, a whole-catalog search for a 70B model.

Run: ``python benchmarks/speed.py``. Prints medians over repeated runs (goals: one estimate
<= 100 us, one sweep <= 2 ms, whole catalog x counts 1-8 x valid TP <= 50 ms for single estimates).
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu, list_gpus
from config_explorer.engine.layout import valid_tp_degrees
from config_explorer.engine.serving import estimate, plan_deployment
from config_explorer.engine.sweep import sweep
from config_explorer.errors import ConfigExplorerError
from config_explorer.recommender import recommend_gpus


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    arch = load_model("meta-llama/Llama-3.1-70B")
    h100 = get_gpu("H100")

    def one() -> object:
        return estimate(arch, h100, num_gpus=4, tp=4, input_length=2048, output_length=512, concurrency=64)

    def a_sweep() -> object:
        return sweep(
            lambda c: estimate(
                arch, h100, num_gpus=4, tp=4, input_length=2048, output_length=512, concurrency=c
            )
        )

    layouts = [(g, n, tp) for g in list_gpus() for n in range(1, 9) for tp in valid_tp_degrees(arch, n)]

    def catalog() -> object:
        out = []
        for gpu, n, tp in layouts:
            with contextlib.suppress(ConfigExplorerError):
                out.append(
                    estimate(
                        arch, gpu, num_gpus=n, tp=tp, input_length=2048, output_length=512, concurrency=64
                    )
                )
        return out

    def cold_plan() -> object:
        plan_deployment.cache_clear()
        return plan_deployment(arch, h100, num_gpus=4, tp=4, input_length=2048, output_length=512)

    llama33 = load_model("meta-llama/Llama-3.3-70B-Instruct")

    def recommend() -> object:
        return recommend_gpus(llama33, 512, 256, backend="native")

    rows = [
        ("one estimate (70B, 4 x H100, tp=4, c=64)", median_seconds(one, 2000)),
        ("one deployment plan, uncached", median_seconds(cold_plan, 500)),
        ("one concurrency sweep (1..1024 + KV limit)", median_seconds(a_sweep, 200)),
        (f"whole catalog, one estimate per layout ({len(layouts)} layouts)", median_seconds(catalog, 20)),
        ("recommend_gpus Llama-3.3-70B, whole catalog, with sweeps", median_seconds(recommend, 5)),
    ]
    for label, seconds in rows:
        value = f"{seconds * 1e6:10.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:10.2f} ms"
        print(f"{label:62s} {value}")


if __name__ == "__main__":
    main()
