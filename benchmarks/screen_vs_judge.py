"""The recommender's screen against its judge: the analytic model at random arrivals against the simulator at
Poisson arrivals of the same rate.

``recommend_gpus`` screens every layout and concurrency with the analytic model taking arrivals at random
(``lockstep=False``), then judges the leading points with the simulator running Poisson arrivals at the rate the
screen gives for that concurrency (a steady-state run: ``Traffic.num_requests`` left to the simulator). Where the
two disagree the judge searches again by simulation, which is slow, and where the screen is pessimistic a layout
is rejected that would have met its SLOs. This prints, for a grid of engines, models, GPUs, lengths and
concurrencies, the signed difference (screen vs judge) of the figures SLOs are set on (mean and p99 TTFT, p99
TPOT, p95 ITL) and the judge's completions per second over the rate it was offered, then the median |difference|
per engine and figure. Nothing is fitted.

    PYTHONPATH=src python benchmarks/screen_vs_judge.py
"""

from __future__ import annotations

import statistics

from analytic_vs_simulated import CASES, ENGINES  # the same grid of engines, models and GPUs

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Lengths, Traffic

LENGTHS = [(512, 256), (2000, 256)]
CONCURRENCY = [4, 16, 64]
FIGURES = {
    "TTFT": lambda e: e.ttft_ms,
    "TTFT p99": lambda e: e.ttft_p99_ms,
    "TPOT p99": lambda e: e.tpot_p99_ms,
    "ITL p95": lambda e: e.itl_p95_ms,
}


def pair(
    model: str, gpu: str, tp: int, engine: str, isl: int, osl: int, c: int
) -> tuple[PerformanceEstimate, PerformanceEstimate] | None:
    """(screen at ``c`` in flight, judge at the screen's rate), or None where either has no figures."""
    arch, spec = load_model(model), get_gpu(gpu)
    common = {"num_gpus": tp, "tp": tp, "engine": engine}
    screen = estimate(
        arch,
        spec,
        input_length=isl,
        output_length=osl,
        concurrency=c,
        serving_model="analytic",
        lockstep=False,
        **common,  # type: ignore[arg-type]
    )
    if not screen.ok or not screen.requests_per_s:
        return None
    poisson = Traffic(
        input_lengths=Lengths.fixed(isl),
        output_lengths=Lengths.fixed(osl),
        arrival="poisson",
        request_rate=screen.requests_per_s,
    )
    judge = estimate(arch, spec, traffic=poisson, **common)  # type: ignore[arg-type]
    return (screen, judge) if judge.ok else None


def main() -> None:
    diffs: dict[tuple[str, str], list[float]] = {}
    kept: dict[str, list[float]] = {}
    names = "".join(f"{name:>10s}" for name in FIGURES)
    print(f"{'engine':7s} {'model':36s} {'gpu':5s} tp {'isl/osl':>9s} {'c':>4s} |{names} {'kept up':>8s}")
    for engine in ENGINES:
        for model, gpu, tp in CASES:
            for isl, osl in LENGTHS:
                for c in CONCURRENCY:
                    got = pair(model, gpu, tp, engine, isl, osl, c)
                    if got is None:
                        continue
                    screen, judge = got
                    row = []
                    for name, read in FIGURES.items():
                        a, s = read(screen), read(judge)
                        d = (a - s) / s * 100 if a is not None and s else float("nan")
                        diffs.setdefault((engine, name), []).append(abs(d))
                        row.append(d)
                    share = (judge.requests_per_s or 0.0) / (screen.requests_per_s or 1.0)
                    kept.setdefault(engine, []).append(share)
                    cells = "".join(f"{d:+10.1f}" for d in row)
                    print(
                        f"{engine:7s} {model[:36]:36s} {gpu:5s} {tp:2d} {isl:>4}/{osl:<4} {c:4d} |{cells} {share:8.2f}"
                    )
    print(
        "\nmedian |screen - judge| / judge, %, and the judge's completions over the rate offered (median, least):"
    )
    for engine in ENGINES:
        cells = "  ".join(f"{name} {statistics.median(diffs[(engine, name)]):5.1f}" for name in FIGURES)
        shares = kept[engine]
        print(f"  {engine:7s} {cells}  kept up {statistics.median(shares):.2f} (least {min(shares):.2f})")


if __name__ == "__main__":
    main()
