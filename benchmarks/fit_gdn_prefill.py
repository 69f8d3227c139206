"""The time a Gated DeltaNet layer's prompt tokens take on each engine's chunked-scan kernel, fitted on measured
layers and read held out.

Run: ``PYTHONPATH=src python benchmarks/fit_gdn_prefill.py``.

Qwen3-Next's and Qwen3.5's linear-attention layers (Gated DeltaNet) run a prompt through a short causal
convolution and a chunked delta-rule scan: chunks of 64 tokens, each with its own small triangular solve, the
key-key and query-key products inside the chunk and a pass of the 128 x 128 state per value head from chunk to
chunk. The engine charged that scan as the recurrence's arithmetic (6 x key dim x value dim per token and value
head) at its attention rate. These kernels run far below that rate: small matrices, an fp32 state, and a chain
from chunk to chunk that no number of heads shortens. So the engine now charges a layer's prompt step, by the
engine's kernel (``calibration.GDN_PREFILL``): a fixed time beyond the launches it already charges
(``layout.PREFILL_SCAN_KERNELS``), a time per token of a prompt chunk (the chain: the chunks of one prompt run in
turn, the prompts of a step side by side) and a time per token and value head on the GPU (the work). The kernels
are flash-linear-attention's Triton ``chunk_gated_delta_rule`` (SGLang's default, and vLLM's until it picked
FlashInfer's), FlashInfer's (vLLM 0.24) and TensorRT-LLM's own.

The measurements are ``data/gdn_prefill_times.csv``: NVIDIA aiconfigurator's ``gdn_perf`` tables (SGLang 0.5.14,
vLLM 0.24.0, TensorRT-LLM 1.3.0rc20; ``tools/extract_gdn_times.py``): one layer's convolution and scan, summed,
for Qwen3.5-27B's, Qwen3.5-35B-A3B's and Qwen3.5-397B-A17B's shapes at every tensor-parallel shard, one and four
prompts.

* **Fit** (:data:`FIT_GPU`, :data:`FIT_TOKENS`): per kernel, weighted least squares (each row by its own time,
  so relative error) of time on (1, prompt length, prompt tokens x value heads) over the B200's rows of one prompt
  of at least 1,024 tokens.
* **Held out**: the B200's rows of four prompts, the H100's, H200's and B300's rows, and every GPU's shorter
  prompts (16-512 tokens), printed beside the former charge.
* GPUs before Blackwell run these scans slower: one factor on the three terms
  (``calibration.SCAN_PREFILL_SLOWDOWN``), the median measured / estimated over the H200's layers of at least 1,024
  tokens (every kernel); the H100's held out.

Kimi Delta Attention (Kimi Linear, Kimi K3) runs the same kind of chunked scan with a gate per key channel:
``data/kda_prefill_times.csv`` times flash-linear-attention's ``chunk_kda`` (SGLang 0.5.16) and FlashKDA (a vLLM
development build) for Kimi-K3's shape on the B200, B300, GB200 and GB300. The Triton kernel's three terms are fitted
the same way on the B200 (``calibration.KDA_PREFILL``) and charged to every engine (the release that first runs
FlashKDA is not known); the other GPUs, four prompts, shorter prompts and FlashKDA are held out.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import GDN_PREFILL, KDA_PREFILL, SCAN_PREFILL_SLOWDOWN, efficiency_for
from config_explorer.engine.layout import PREFILL_SCAN_KERNELS

DATA = Path(__file__).resolve().parent / "data" / "gdn_prefill_times.csv"
KDA_DATA = Path(__file__).resolve().parent / "data" / "kda_prefill_times.csv"
#: each table's framework -> the engine's kernel it times
KERNELS = {"SGLang": "triton", "vLLM": "flashinfer", "TensorRT-LLM": "trtllm"}
#: the same for Kimi Delta Attention's tables: flash-linear-attention's ``chunk_kda`` (SGLang 0.5.16), FlashKDA (a
#: vLLM development build, read for comparison only)
KDA_KERNELS = {"SGLang": "triton_kda", "vLLM": "flashkda"}
FIT_GPU = "B200-SXM"
#: the GPU earlier families' factor is fitted on
SLOWDOWN_FIT_GPU = "H200-SXM"
FIT_TOKENS = 1024
#: the causal convolution beside the scan's launches
CONV_KERNELS = 1


class Layer(NamedTuple):
    gpu: str
    kernel: str
    model: str
    heads: int  # value heads on the GPU
    key_dim: int
    value_dim: int
    batch: int
    length: int  # each prompt's tokens
    time_us: float

    @property
    def tokens(self) -> int:
        return self.batch * self.length


def layers(path: Path = DATA, kernels: dict[str, str] = KERNELS) -> list[Layer]:
    """One row per measured layer: the convolution and the scan of one (GPU, engine, shape, batch, length)."""
    summed: dict[tuple[str, str, str, int, int, int, int, int], float] = defaultdict(float)
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            key = (
                r["gpu"],
                kernels[r["framework"].split()[0]],
                r["model"],
                int(r["num_v_heads"]),
                int(r["head_k_dim"]),
                int(r["head_v_dim"]),
                int(r["batch_size"]),
                int(r["seq_len"]),
            )
            summed[key] += float(r["time_us"])
    return [
        Layer(gpu, kernel, model, heads, dk, dv, batch, seq, t)
        for (gpu, kernel, model, heads, dk, dv, batch, seq), t in sorted(summed.items())
    ]


def _solve3(a: list[list[float]], b: list[float]) -> list[float]:
    """The solution of a 3 x 3 linear system (Cramer's rule)."""

    def det(m: list[list[float]]) -> float:
        return (
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        )

    d = det(a)
    out = []
    for col in range(3):
        m = [row[:] for row in a]
        for i in range(3):
            m[i][col] = b[i]
        out.append(det(m) / d)
    return out


def fitted_terms(rows: list[Layer]) -> tuple[float, float, float]:
    """(intercept us, us per token of a prompt, us per prompt token and value head): least squares of time on
    (1, prompt length, tokens x heads), each row weighted by 1 / time (relative error)."""
    features = [(1.0, float(r.length), float(r.tokens * r.heads)) for r in rows]
    w = [1.0 / r.time_us**2 for r in rows]
    a = [[sum(wi * f[i] * f[j] for wi, f in zip(w, features)) for j in range(3)] for i in range(3)]
    b = [sum(wi * f[i] * r.time_us for wi, f, r in zip(w, features, rows)) for i in range(3)]
    fixed, chain, work = _solve3(a, b)
    return fixed, chain, work


def fit_rows(data: list[Layer], kernel: str) -> list[Layer]:
    return [
        r for r in data if r.kernel == kernel and r.gpu == FIT_GPU and r.batch == 1 and r.tokens >= FIT_TOKENS
    ]


def _terms(rows: list[Layer]) -> tuple[float, float, float]:
    fixed, chain, work = fitted_terms(rows)
    return (
        float(f"{fixed - launches_us(FIT_GPU):.3g}"),
        float(f"{chain * 1e3:.3g}"),
        float(f"{work * 1e3:.3g}"),
    )


def fitted_kda() -> tuple[float, float, float]:
    """Kimi Delta Attention's Triton ``chunk_kda`` (fixed us beyond the launches, ns a prompt token, ns a prompt
    token and value head), on the B200's single prompts of at least :data:`FIT_TOKENS`."""
    return _terms(fit_rows(layers(KDA_DATA, KDA_KERNELS), "triton_kda"))


def fitted() -> dict[str, tuple[float, float, float]]:
    """Each kernel's (fixed us beyond the engine's launches, ns per token of a prompt, ns per prompt token and value
    head), 3 significant digits."""
    data = layers()
    return {kernel: _terms(fit_rows(data, kernel)) for kernel in KERNELS.values()}


def launches_us(gpu: str) -> float:
    """What the engine charges a linear layer's prompt launches on ``gpu`` (the scan's and the convolution's)."""
    eff = efficiency_for(get_gpu(gpu).family)
    return (PREFILL_SCAN_KERNELS["linear"] + CONV_KERNELS) * eff.small_kernel_us


def estimated_us(r: Layer) -> float:
    """The engine's charge now: the launches, the fixed time beyond them, the chain and the work (every engine's
    Kimi Delta Attention on the Triton ``chunk_kda``'s)."""
    terms = KDA_PREFILL if r.kernel in KDA_KERNELS.values() else GDN_PREFILL[r.kernel]
    return _charge_us(r, terms, 1.0 if get_gpu(r.gpu).family == "blackwell" else SCAN_PREFILL_SLOWDOWN)


def _charge_us(r: Layer, terms: tuple[float, float, float], slowdown: float) -> float:
    """The launches plus ``terms`` (fixed us, ns a prompt token, ns a prompt token and value head) times
    ``slowdown``."""
    fixed, chain, work = terms
    return launches_us(r.gpu) + slowdown * (fixed + (r.length * chain + r.tokens * r.heads * work) * 1e-3)


def fitted_slowdown() -> float:
    """Earlier families' scans over the Blackwell terms: the median measured / estimated (with the Blackwell terms)
    over the H200's layers of at least :data:`FIT_TOKENS` prompt tokens, every kernel, 2 decimals."""
    rows = [r for r in layers() if r.gpu == SLOWDOWN_FIT_GPU and r.tokens >= FIT_TOKENS]
    return round(statistics.median(r.time_us / _charge_us(r, GDN_PREFILL[r.kernel], 1.0) for r in rows), 2)


def former_us(r: Layer) -> float:
    """The engine's former charge: the launches plus the recurrence's arithmetic at the attention rate."""
    spec = get_gpu(r.gpu)
    rate = spec.gemm_tflops("bf16")[0] * 1e12 * efficiency_for(spec.family).attention_compute
    return launches_us(r.gpu) + r.tokens * r.heads * 6.0 * r.key_dim * r.value_dim / rate * 1e6


def _median_log(rows: list[Layer], model: object) -> float:
    return statistics.median(abs(math.log(model(r) / r.time_us)) for r in rows)  # type: ignore[operator]


#: the groups each GPU's rows are read in
GROUPS = (
    ("one prompt", lambda r: r.batch == 1 and r.tokens >= FIT_TOKENS),
    ("four prompts", lambda r: r.batch == 4 and r.tokens >= FIT_TOKENS),
    ("shorter prompts", lambda r: r.tokens < FIT_TOKENS),
)


def report(
    data: list[Layer], kernels: tuple[str, ...], gpus: tuple[str, ...], fitted_kernels: tuple[str, ...]
) -> None:
    """Median |log(measured / estimated)| now and with the former charge, by kernel, GPU and group."""
    for kernel in kernels:
        for gpu in gpus:
            for label, keep in GROUPS:
                rows = [r for r in data if r.kernel == kernel and r.gpu == gpu and keep(r)]
                if not rows:
                    continue
                fit = kernel in fitted_kernels and (
                    (gpu == FIT_GPU and label == "one prompt")
                    or (gpu == SLOWDOWN_FIT_GPU and label != "shorter prompts")
                )
                ratio = statistics.median(r.time_us / former_us(r) for r in rows)
                print(
                    f"  {kernel:10s} {gpu:9s} {label:15s} {'fit' if fit else 'held out':8s} n={len(rows):3d}  now "
                    f"{_median_log(rows, estimated_us):.3f}  former {_median_log(rows, former_us):.3f} "
                    f"({ratio:.1f}x)"
                )


def main() -> None:
    data = layers()
    fit = fitted()
    print(
        f"{len(data)} layers of data/gdn_prefill_times.csv; fitted on the {FIT_GPU}'s single prompts of "
        f">= {FIT_TOKENS} tokens"
    )
    for kernel, (fixed, chain, work) in fit.items():
        print(
            f"  {kernel:10s} fixed {fixed:.3g} us beyond the launches, {chain:.3g} ns a prompt token (the chain), "
            f"{work:.3g} ns a prompt token and value head; the engine holds {GDN_PREFILL[kernel]}"
        )
    print(
        "median |log(measured / estimated)|, now and with the former charge (measured / former in brackets):"
    )
    print(
        f"  earlier families: the terms times {fitted_slowdown():.2f} (the median over the {SLOWDOWN_FIT_GPU}'s layers of "
        f">= {FIT_TOKENS} tokens; the engine holds {SCAN_PREFILL_SLOWDOWN}); the H100 held out"
    )
    kernels = tuple(KERNELS.values())
    report(data, kernels, ("B200-SXM", "B300-SXM", "H200-SXM", "H100-SXM"), kernels)
    kda = layers(KDA_DATA, KDA_KERNELS)
    print()
    print(
        f"Kimi Delta Attention ({len(kda)} layers of data/kda_prefill_times.csv, Kimi-K3's shape): chunk_kda fitted "
        f"as above, {fitted_kda()} (the engine holds {KDA_PREFILL}, for every engine); FlashKDA held out beside it"
    )
    report(kda, tuple(KDA_KERNELS.values()), ("B200-SXM", "B300-SXM", "GB200", "GB300"), ("triton_kda",))


if __name__ == "__main__":
    main()
