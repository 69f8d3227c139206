"""Side by side with NVIDIA's aiconfigurator (measured-kernel database) on the GPUs it covers.

aiconfigurator is heavy (about 850 MB installed) and is never a dependency of config-explorer or
of its CI. Install it in a separate environment and point this script at its command line:

    python3 -m venv /tmp/aic && /tmp/aic/bin/pip install aiconfigurator
    python benchmarks/compare_aiconfigurator.py --aic /tmp/aic/bin/aiconfigurator

For every case it runs ``aiconfigurator cli estimate --estimate-mode agg`` (aggregated serving, the
``--backend`` engine's kernel database, ``--batch-size`` requests in flight) and config-explorer's
native engine with the same model, GPU, TP, lengths and concurrency, then prints TTFT, TPOT (ITL) and
output tokens/s from both and the relative difference (ours vs theirs). Neither is ground truth:
where they agree, two independent methods agree; where they differ, look at both.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

from config_explorer.architecture import load_model
from config_explorer.recommender import estimate_performance

#: aiconfigurator model id -> config-explorer model id
MODELS = {
    "meta-llama/Meta-Llama-3.1-8B": "meta-llama/Llama-3.1-8B",
    "meta-llama/Meta-Llama-3.1-70B": "meta-llama/Llama-3.1-70B",
    "Qwen/Qwen3-32B": "Qwen/Qwen3-32B",
    "Qwen/Qwen3-30B-A3B": "Qwen/Qwen3-30B-A3B",
    "mistralai/Mixtral-8x7B-v0.1": "mistralai/Mixtral-8x7B-v0.1",
}
#: aiconfigurator system -> config-explorer GPU
SYSTEMS = {
    "h100_sxm": "H100 SXM",
    "h200_sxm": "H200 SXM",
    "a100_sxm": "A100 SXM 80GB",
    "l40s": "L40S",
    "b200_sxm": "B200",
}
#: (aic model, system, tp)
LAYOUTS = [
    ("meta-llama/Meta-Llama-3.1-8B", "h100_sxm", 1),
    ("meta-llama/Meta-Llama-3.1-8B", "h200_sxm", 1),
    ("meta-llama/Meta-Llama-3.1-8B", "a100_sxm", 1),
    ("meta-llama/Meta-Llama-3.1-8B", "l40s", 1),
    ("meta-llama/Meta-Llama-3.1-70B", "h100_sxm", 4),
    ("meta-llama/Meta-Llama-3.1-70B", "h200_sxm", 2),
    ("Qwen/Qwen3-32B", "h100_sxm", 2),
    ("Qwen/Qwen3-30B-A3B", "h200_sxm", 1),
    ("mistralai/Mixtral-8x7B-v0.1", "h100_sxm", 2),
]
WORKLOADS = [(1024, 256), (4096, 512)]
CONCURRENCY = [1, 16, 64]
_FIELDS = {
    "ttft_ms": r"TTFT:\s+([\d.,]+)\s*ms",
    "itl_ms": r"TPOT:\s+([\d.,]+)\s*ms",
    "tok_s": r"tokens/s:\s+([\d.,]+)",
}


def run_aic(
    aic: str, model: str, system: str, backend: str, tp: int, isl: int, osl: int, c: int
) -> dict[str, float]:
    argv = [
        aic,
        "cli",
        "estimate",
        "--model-path",
        model,
        "--system",
        system,
        "--backend",
        backend,
        "--isl",
        str(isl),
        "--osl",
        str(osl),
        "--batch-size",
        str(c),
        "--tp",
        str(tp),
        "--estimate-mode",
        "agg",
    ]
    if load_model(MODELS[model]).is_moe:  # aiconfigurator asks a MoE model's expert split
        argv += ["--moe-tp-size", str(tp), "--moe-ep-size", "1"]
    return aic_figures(argv, _FIELDS)


def aic_figures(argv: list[str], fields: dict[str, str], timeout_s: int = 300) -> dict[str, float]:
    """Run one aiconfigurator command and read the figures its summary prints (``fields``: name -> regex
    with the number as group 1); a figure it does not print is absent."""
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    out = proc.stdout + proc.stderr
    values = {}
    for key, pattern in fields.items():
        match = re.search(pattern, out)
        if match:
            values[key] = float(match.group(1).replace(",", ""))
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aic", required=True, help="path of the aiconfigurator command line")
    parser.add_argument("--backend", default="vllm", choices=["vllm", "sglang", "trtllm"])
    args = parser.parse_args(argv)
    if not Path(args.aic).exists():
        print(f"no aiconfigurator at {args.aic}", file=sys.stderr)
        return 2
    diffs: dict[str, list[float]] = {k: [] for k in _FIELDS}
    print(
        f"{'model':30s} {'gpu':14s} tp {'isl/osl':>9s} {'c':>3s} | {'TTFT ms ours/aic':>18s} "
        f"{'ITL ms ours/aic':>16s} {'tok/s ours/aic':>18s}"
    )
    for model, system, tp in LAYOUTS:
        for isl, osl in WORKLOADS:
            for c in CONCURRENCY:
                theirs = run_aic(args.aic, model, system, args.backend, tp, isl, osl, c)
                if len(theirs) < len(_FIELDS):
                    print(
                        f"{model[:30]:30s} {system:14s} {tp:2d} {isl:>4}/{osl:<4} {c:3d} | aiconfigurator: no estimate"
                    )
                    continue
                ours = estimate_performance(
                    MODELS[model],
                    SYSTEMS[system],
                    tp,
                    tp,
                    isl,
                    osl,
                    c,
                    "native",
                    engine=args.backend if args.backend != "trtllm" else "trtllm",
                )
                mine = {"ttft_ms": ours.ttft_ms, "itl_ms": ours.itl_ms, "tok_s": ours.output_throughput_tok_s}
                cells = []
                for key in _FIELDS:
                    a, b = mine[key], theirs[key]
                    if a is None or not b:
                        cells.append(f"{'-':>18s}")
                        continue
                    diffs[key].append((a - b) / b * 100)
                    cells.append(f"{a:8.1f}/{b:<8.1f}")
                print(
                    f"{MODELS[model][:30]:30s} {SYSTEMS[system]:14s} {tp:2d} {isl:>4}/{osl:<4} {c:3d} | "
                    + " ".join(cells)
                )
    print("\nours vs aiconfigurator, signed % difference: median (median of |diff|)")
    for key, values in diffs.items():
        if values:
            print(
                f"  {key:8s} n={len(values):3d}  median {statistics.median(values):+6.1f}%  "
                f"(|diff| median {statistics.median(abs(v) for v in values):5.1f}%)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
