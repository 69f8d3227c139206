"""The MoE token exchange between attention groups: its fixed cost per call, fitted and checked on DeepEP.

With data-parallel attention and experts split over ranks, every MoE layer dispatches each token to
its experts' ranks and combines the results back (DeepEP, or the engines' own all-to-all). The engine
costs one exchange as ``EXCHANGE_US`` plus the bytes it moves over the busier of the scale-up link and
the network (``roofline.exchange_seconds_per_token``, ``roofline.exchange_sends``), at the GPU
catalog's link bandwidth and the 400 Gb/s per-GPU NIC, each at the family's link efficiency.

This script

* **fits** ``EXCHANGE_US`` on DeepEP's published low-latency kernel times at EP16 and EP32 (two
  nodes and four nodes of H800, 128 tokens per GPU, hidden 7168, top-8, FP8 dispatch, BF16 combine):
  the median of measured time less the modelled transfer;
* **checks** the model, held out, on the other rows of the same table: EP8 (one node, NVLink) and
  EP64-256;
* and **checks** it on SGLang's own DeepEP low-latency kernels as NVIDIA aiconfigurator measured them
  (``data/deepep_ll_exchange_times.csv``: one node of eight H100, H200, B200 or B300 GPUs, and two to eight H100
  nodes; DeepSeek-V3's hidden size, top-8 of 256 experts, 1-2,048 tokens a GPU), each on its own GPU's catalog links.

The H800 is not in the GPU catalog; it is taken as an H100 SXM with its 400 GB/s NVLink.

    PYTHONPATH=src python benchmarks/ep_exchange.py
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

import attrs

from config_explorer.catalogs.gpus import GPUSpec, get_gpu
from config_explorer.engine.calibration import EXCHANGE_US, efficiency_for
from config_explorer.engine.roofline import exchange_sends, rates_for

DATA = Path(__file__).parent / "data" / "deepep_kernel_times.csv"
FIT_EP = (16, 32)


MEASURED = Path(__file__).parent / "data" / "deepep_ll_exchange_times.csv"
#: the token bands the measured check sums up apart
BANDS = ((1, 16), (24, 128), (160, 2048))


def exchange_us(gpu: GPUSpec, ep: int, top_k: int, tokens: int, payload: float) -> float:
    """The modelled transfer time of one dispatch or combine of ``tokens`` per GPU at ``payload`` bytes a token
    (no fixed cost) on ``gpu``'s catalog links, microseconds."""
    rates, _ = rates_for(gpu, efficiency_for(gpu.family), "fp8", ep)
    inside, across = exchange_sends(ep, gpu.scale_up_domain, top_k, per_expert=True)
    seconds = max(inside / rates.scale_up_bytes_s, across / rates.scale_out_bytes_s if across else 0.0)
    return tokens * payload * seconds * 1e6


def transfer_us(row: dict[str, str]) -> float:
    """The modelled transfer time of one of DeepEP's published dispatches or combines (no fixed cost), microseconds."""
    h800 = attrs.evolve(get_gpu("H100 SXM"), name="H800", interconnect_bandwidth_gb_s=400.0)
    payload = int(row["hidden"]) * (1.0 if row["phase"] == "dispatch" else 2.0)
    return exchange_us(h800, int(row["ep"]), int(row["top_k"]), int(row["tokens_per_gpu"]), payload)


def measured_ratios() -> dict[tuple[str, int, str, int], list[float]]:
    """measured / modelled for SGLang's measured kernels, by (GPU, EP, phase, token band's first size)."""
    out: dict[tuple[str, int, str, int], list[float]] = defaultdict(list)
    for r in csv.DictReader(MEASURED.open()):
        gpu, ep, tokens = get_gpu(r["gpu"]), int(r["ep"]), int(r["tokens_per_gpu"])
        band = next(low for low, high in BANDS if low <= tokens <= high)
        per_value = exchange_us(
            gpu, ep, int(r["top_k"]), tokens, float(r["hidden"])
        )  # a byte per hidden value
        for phase, value_bytes in (("dispatch", 1.0), ("combine", 2.0)):
            model = EXCHANGE_US + per_value * value_bytes
            out[(r["gpu"], ep, phase, band)].append(float(r[f"{phase}_us"]) / model)
    return out


def fitted_latency_us() -> float:
    """The fixed cost per call the fit rows leave once the modelled transfer is taken off (median)."""
    rows = [r for r in csv.DictReader(DATA.open()) if int(r["ep"]) in FIT_EP]
    return statistics.median(float(r["time_us"]) - transfer_us(r) for r in rows)


def main() -> None:
    rows = list(csv.DictReader(DATA.open()))
    fit_rows = [r for r in rows if int(r["ep"]) in FIT_EP]
    fitted = fitted_latency_us()
    print(
        f"fit on DeepEP low-latency EP{'/'.join(map(str, FIT_EP))} ({len(fit_rows)} rows): {fitted:.1f} us per call"
    )
    print(f"engine constant EXCHANGE_US = {EXCHANGE_US:g} us\n")
    print(f"{'EP':>4} {'phase':<9} {'measured us':>12} {'model us':>9} {'error':>7}  set")
    held: list[float] = []
    for r in rows:
        model = EXCHANGE_US + transfer_us(r)
        err = model / float(r["time_us"]) - 1.0
        fit = int(r["ep"]) in FIT_EP
        if not fit:
            held.append(abs(err))
        split = "fit" if fit else "held out"
        print(
            f"{r['ep']:>4} {r['phase']:<9} {float(r['time_us']):>12.0f} {model:>9.0f} {err:>+7.1%}  {split}"
        )
    print(f"\nheld-out median |error|: {statistics.median(held):.1%} over {len(held)} rows")
    ratios = measured_ratios()
    print(
        "\nheld out, SGLang's DeepEP low-latency kernels as aiconfigurator measured them: median measured / model "
        "by tokens per GPU"
    )
    print(f"  {'GPU':6} {'EP':>3} {'phase':9} " + " ".join(f"{f'{lo}-{hi}':>9}" for lo, hi in BANDS))
    for gpu, ep, phase in sorted({key[:3] for key in ratios}):
        cells = [ratios.get((gpu, ep, phase, low)) for low, _ in BANDS]
        print(
            f"  {gpu:6} {ep:>3} {phase:9} "
            + " ".join(f"{statistics.median(c):>9.2f}" if c else f"{'-':>9}" for c in cells)
        )


if __name__ == "__main__":
    main()
