"""The engine's invariants over random configurations of the bundled models and catalog GPUs.

Each point draws a model, a GPU, an engine, a tensor-parallel size, a concurrency and fixed lengths, and
estimates it with the default (simulated) serving model; then it checks, against the same point changed in
one way:

* a prompt twice as long never shortens the mean TTFT;
* 1.5x the GPU's memory bandwidth never lengthens the mean ITL;
* twice the GPUs (tensor-parallel) never lower the KV-cache concurrency limit.

It prints how many points each check held on, and the points where it did not, worst first. The tests check
the same invariants on chosen models with hypothesis; this script looks wider. A fixed-length closed loop
whose requests move in lockstep groups can read a lower mean TTFT at a longer prompt (the groups re-form
differently), and its record says so (``serving._lockstep_note``): the TTFT rows below say whether it did.

    PYTHONPATH=src python benchmarks/invariant_sweep.py [--points N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from typing import Any

import attrs

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.catalogs.models import bundled_models
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import estimate
from config_explorer.errors import ConfigExplorerError

GPUS = ("H100 SXM", "H200 SXM", "B200", "GB200", "A100 SXM 80GB", "L40S", "MI300X", "MI355X")
ENGINES = ("vllm", "sglang", "trtllm")
#: relative slack: a figure within this of the other counts as equal
SLACK = 1e-3


def _estimate(arch: Any, gpu: Any, **kw: Any) -> PerformanceEstimate | None:
    try:
        e = estimate(arch, gpu, **kw)
    except ConfigExplorerError:
        return None
    return e if e.ok else None


def _lockstep(e: PerformanceEstimate) -> str:
    return (
        "lockstep warned" if any("were sent in groups of" in w for w in e.warnings) else "no lockstep warning"
    )


Check = tuple[float, float, str]  # (the figure that must not be higher, the one that must not be lower, text)


def longer_prompt(arch: Any, gpu: Any, point: dict[str, Any], base: PerformanceEstimate) -> Check | None:
    e = _estimate(arch, gpu, **{**point, "input_length": 2 * point["input_length"]})
    if e is None or e.ttft_ms is None or base.ttft_ms is None:
        return None
    return base.ttft_ms, e.ttft_ms, f"TTFT {base.ttft_ms:,.1f} -> {e.ttft_ms:,.1f} ms ({_lockstep(base)})"


def more_bandwidth(arch: Any, gpu: Any, point: dict[str, Any], base: PerformanceEstimate) -> Check | None:
    fast = attrs.evolve(
        gpu,
        name=f"{gpu.name} +50% bandwidth",
        aliases=(),
        builtin=False,
        memory_bandwidth_tb_s=1.5 * gpu.memory_bandwidth_tb_s,
    )
    e = _estimate(arch, fast, **point)
    if e is None or e.itl_ms is None or base.itl_ms is None:
        return None
    return e.itl_ms, base.itl_ms, f"ITL {base.itl_ms:.3f} -> {e.itl_ms:.3f} ms"


def more_gpus(arch: Any, gpu: Any, point: dict[str, Any], base: PerformanceEstimate) -> Check | None:
    tp = 2 * point["tp"]
    if tp > 8:
        return None
    e = _estimate(arch, gpu, **{**point, "num_gpus": tp, "tp": tp})
    if e is None or not e.max_concurrency_kv or not base.max_concurrency_kv:
        return None
    text = f"KV limit {base.max_concurrency_kv:,} -> {e.max_concurrency_kv:,} at TP{tp}"
    return base.max_concurrency_kv, e.max_concurrency_kv, text


CHECKS: dict[str, tuple[str, Callable[..., Check | None]]] = {
    "ttft": ("a prompt twice as long never shortens the mean TTFT", longer_prompt),
    "itl": ("1.5x the memory bandwidth never lengthens the mean ITL", more_bandwidth),
    "capacity": ("twice the GPUs never lower the KV-cache concurrency limit", more_gpus),
}


def sweep(points: int, seed: int) -> dict[str, tuple[int, list[tuple[float, str]]]]:
    """Per invariant: the points checked, and those that broke it (relative change, description), worst first."""
    rng = random.Random(seed)
    models = sorted(entry.model_id for entry in bundled_models())
    out: dict[str, tuple[int, list[tuple[float, str]]]] = {name: (0, []) for name in CHECKS}
    for _ in range(points):
        model, gpu_name = rng.choice(models), rng.choice(GPUS)
        engine, tp = rng.choice(ENGINES), rng.choice((1, 2, 4, 8))
        c, isl, osl = (
            rng.choice((1, 4, 16, 64)),
            rng.choice((128, 512, 2000, 8000)),
            rng.choice((64, 256, 1024)),
        )
        try:
            arch, gpu = load_model(model), get_gpu(gpu_name)
        except ConfigExplorerError:
            continue
        point = {
            "num_gpus": tp,
            "tp": tp,
            "engine": engine,
            "concurrency": c,
            "input_length": isl,
            "output_length": osl,
        }
        base = _estimate(arch, gpu, **point)
        if base is None:
            continue
        where = f"{model} on {tp} x {gpu_name}, {engine}, c={c}, {isl}/{osl}"
        for name, (_, check) in CHECKS.items():
            got = check(arch, gpu, point, base)
            if got is None:
                continue
            low, high, text = got  # the invariant: high >= low
            checked, broken = out[name]
            if high < low * (1 - SLACK):
                broken.append((high / low - 1, f"{where}: {text}"))
            out[name] = (checked + 1, broken)
    return {name: (checked, sorted(broken)) for name, (checked, broken) in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--points", type=int, default=4000, help="random configurations to draw (default 4000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for name, (checked, broken) in sweep(args.points, args.seed).items():
        print(f"{CHECKS[name][0]}: held on {checked - len(broken)} of {checked} points")
        for change, text in broken[:10]:
            print(f"  {change:+6.1%}  {text}")
        if len(broken) > 10:
            print(f"  ... and {len(broken) - 10} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
