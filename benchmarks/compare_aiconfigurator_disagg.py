"""Disaggregated prefill/decode side by side with NVIDIA's aiconfigurator, for the cases both can express.

aiconfigurator (a separate environment, never a dependency; see ``compare_aiconfigurator.py``) estimates a
disaggregated deployment from static batch sizes: ``--estimate-mode disagg`` with a prefill worker's and a
decode worker's layout (tensor, attention data-parallel and expert-parallel sizes) and batch per rank.
config-explorer's disaggregated engine (``engine/disaggregated.py``) costs the same pools with its own step
model. For each case this script prints, from both:

* **TPOT**: a decode step of the decode worker at its batch (``bs`` per attention rank) and mean context;
* **TTFT**: aiconfigurator's figure against ours for the same prefill batch (``bs`` prompts per attention
  rank in one step) plus the KV transfer and one decode step, with no queueing (aiconfigurator's static
  figure has none either);
* **requests/s** one prefill worker and one decode worker carry: the smaller of the prefill worker's
  prompt rate and the decode worker's completion rate.

Neither is ground truth (section 9's table compares config-explorer with measured pools).

    python3 -m venv /tmp/aic-venv && /tmp/aic-venv/bin/pip install aiconfigurator
    PYTHONPATH=src python benchmarks/compare_aiconfigurator_disagg.py --aic /tmp/aic-venv/bin/aiconfigurator
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from compare_aiconfigurator import aic_figures

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.disaggregated import PoolLayout, kv_transfer_s, pool_deployment

#: aiconfigurator system -> config-explorer GPU
SYSTEMS = {"h200_sxm": "H200 SXM", "b200_sxm": "B200"}
#: (model, system, prefill (tp, attention dp, moe ep), prefill bs, decode (tp, attention dp, moe ep),
#: decode bs per attention rank, isl, osl)
CASES = [
    ("deepseek-ai/DeepSeek-V3", "h200_sxm", (1, 8, 8), 1, (1, 8, 8), 16, 2000, 400),
    ("deepseek-ai/DeepSeek-V3", "h200_sxm", (1, 8, 8), 1, (1, 8, 8), 64, 2000, 400),
    ("deepseek-ai/DeepSeek-V3", "h200_sxm", (8, 1, 8), 1, (1, 8, 8), 64, 4000, 1000),
    ("deepseek-ai/DeepSeek-V3", "b200_sxm", (1, 8, 8), 1, (1, 8, 8), 64, 2000, 400),
    ("deepseek-ai/DeepSeek-V3", "b200_sxm", (1, 8, 8), 2, (1, 8, 8), 128, 2000, 400),
    ("Qwen/Qwen3-235B-A22B", "h200_sxm", (8, 1, 8), 1, (8, 1, 8), 32, 2000, 400),
    ("Qwen/Qwen3-235B-A22B", "h200_sxm", (8, 1, 1), 1, (8, 1, 8), 128, 2000, 400),
]
_FIELDS = {
    "ttft_ms": r"TTFT:\s+([\d.,]+)\s*ms",
    "tpot_ms": r"TPOT:\s+([\d.,]+)\s*ms",
    "seq_s": r"seq/s:\s+([\d.,]+)",
}


def _pool(layout: tuple[int, int, int]) -> PoolLayout:
    """aiconfigurator's (tp, attention dp, moe ep) as this library's stage of tp x dp GPUs."""
    tp, groups, ep = layout
    return PoolLayout(tp * groups, ep, groups)


def run_aic(aic: str, case: tuple) -> dict[str, float]:  # type: ignore[type-arg]
    model, system, (ptp, pdp, pep), pbs, (dtp, ddp, dep), dbs, isl, osl = case
    argv = [aic, "cli", "estimate", "--model-path", model, "--system", system, "--backend", "sglang"]
    argv += [
        "--estimate-mode",
        "disagg",
        "--isl",
        str(isl),
        "--osl",
        str(osl),
        "--kvcache-quant-mode",
        "bfloat16",
    ]
    for side, (tp, groups, ep), bs in (("prefill", (ptp, pdp, pep), pbs), ("decode", (dtp, ddp, dep), dbs)):
        moe_tp = tp * groups // ep
        argv += [f"--{side}-tp-size", str(tp), f"--{side}-attention-dp-size", str(groups)]
        argv += [f"--{side}-moe-tp-size", str(moe_tp), f"--{side}-moe-ep-size", str(ep)]
        argv += [f"--{side}-batch-size", str(bs), f"--{side}-num-workers", "1"]
    return aic_figures(argv, _FIELDS, timeout_s=600)


def ours(case: tuple) -> dict[str, float]:  # type: ignore[type-arg]
    model, system, p_layout, pbs, d_layout, dbs, isl, osl = case
    arch, gpu = load_model(model), get_gpu(SYSTEMS[system])
    prefill, decode = _pool(p_layout), _pool(d_layout)
    p = pool_deployment(
        arch,
        gpu,
        prefill,
        input_length=isl,
        output_length=1,
        engine="sglang",
        max_num_batched_tokens=pbs * isl,
    )
    d = pool_deployment(
        arch, gpu, decode, input_length=isl, output_length=osl, engine="sglang", max_num_seqs=dbs
    )
    prompts = pbs * prefill.dp_attention
    prefill_s = p.step_s(0.0, prompts * isl, prompts)
    batch = dbs * decode.dp_attention
    step = d.step_s(batch, 0.0, 0.0)
    transfer = kv_transfer_s(arch, gpu, prefill, decode, isl, "bf16")
    return {
        "ttft_ms": (prefill_s + transfer + step) * 1e3,
        "tpot_ms": step * 1e3,
        "seq_s": min(prompts / prefill_s, batch / ((osl - 1) * step)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aic", required=True, help="path of the aiconfigurator command line")
    args = parser.parse_args(argv)
    if not Path(args.aic).exists():
        print(f"no aiconfigurator at {args.aic}", file=sys.stderr)
        return 2
    diffs: dict[str, list[float]] = {k: [] for k in _FIELDS}
    print(
        f"{'model':16s} {'gpu':9s} {'prefill (bs/rank)':28s} {'decode (bs/rank)':28s} {'isl/osl':9s} | "
        f"{'TTFT ms ours/aic':>18s} {'TPOT ms ours/aic':>18s} {'req/s ours/aic':>16s}"
    )
    for case in CASES:
        model, system, p_layout, pbs, d_layout, dbs, isl, osl = case
        theirs = run_aic(args.aic, case)
        prefill, decode = f"{_pool(p_layout)!s} ({pbs})", f"{_pool(d_layout)!s} ({dbs})"
        label = f"{model.split('/')[-1][:16]:16s} {SYSTEMS[system]:9s} {prefill:28s} {decode:28s} {isl:>4}/{osl:<4}"
        if len(theirs) < len(_FIELDS):
            print(f"{label} | aiconfigurator: no estimate")
            continue
        mine = ours(case)
        cells = []
        for key in _FIELDS:
            a, b = mine[key], theirs[key]
            diffs[key].append((a - b) / b * 100)
            cells.append(f"{a:8.1f}/{b:<8.1f}" if key != "seq_s" else f"{a:7.2f}/{b:<7.2f}")
        print(f"{label} | " + " ".join(cells))
    print("\nours vs aiconfigurator, signed % difference: median (median of |diff|)")
    for key, values in diffs.items():
        if values:
            print(
                f"  {key:8s} n={len(values):2d}  median {statistics.median(values):+6.1f}%  "
                f"(|diff| median {statistics.median(abs(v) for v in values):5.1f}%)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
