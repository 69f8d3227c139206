"""Prefill attention in tiles: fit the tile model's constants on measured kernels and read the rest held out.

Run: ``PYTHONPATH=src python benchmarks/fit_prefill_attention.py``.

The data is ``data/prefill_attention_times.csv``: causal prefill attention timed on an H200 SXM by
``tools/profile_prefill_attention.py`` (PyTorch's ``scaled_dot_product_attention`` on cuDNN's fused attention
and on FlashAttention-2, bf16), for the per-GPU heads of Llama-3.1-8B, Llama-3.1-70B and Qwen3-14B at several
tensor-parallel sizes, gpt-oss (head size 64) and DeepSeek-V3's MLA prefill (192-wide query-key heads, 128-wide
values), as one prompt, as packed prompts and as the context part of a chunk.

The engine charges prefill attention in the kernel's tiles (:mod:`config_explorer.engine.attention`): the
visible 128 x 128 tiles plus a fixed part per row block, spread over the GPU's multiprocessors with a tail, never
less than the longest row block (which sets the time where there are few row blocks). One kernel's time is
``launch + effective pairs x FLOPs per pair / (peak x rate)``. Four constants, fitted by least squares on the
logarithm of time:

* **Fit** (:data:`FIT`): cuDNN's rows for 32 and 64 query heads of size 128 (Llama-3.1-8B and Llama-3.1-70B on
  one GPU), every case.
* **Held out**: cuDNN's other rows: 4, 8 and 40 heads (tensor-parallel shards, Qwen3-14B), head size 64, MLA's
  192/128 heads. Head size 64 reads slow on cuDNN: the FlashAttention-3 paper measures cuDNN about 30% below
  FlashAttention-3 there on an H100 and within a few per cent of it at head size 128, so the engine (which
  models FlashAttention-3) is expected to read those rows fast.
* Not scored: cuDNN's causal chunks against a longer context (``chunk of a long prompt``): PyTorch hands the
  lower-right causal mask to cuDNN as a dense bias, which runs at half the rate of the same work without it
  (``context of a chunk``); FlashAttention-2 runs both at one rate.

It also scores the flat rate the engine used before (every causal pair at 0.45 of peak) and the best flat rate
fitted on the same rows.

**Each engine's own kernels.** ``data/context_attention_times.csv`` holds one layer's prompt attention as vLLM,
SGLang and TensorRT-LLM run it (their attention op, the key-value cache written and read through their own
layout), timed by NVIDIA aiconfigurator on an A100, an H100, an H200, a B200 and an L40S
(``tools/extract_context_attention_times.py``). The same tile model fits them with two constants per engine and
GPU family, the tile rate and a row block's fixed part (the tail stays 0.31 and each kernel's fixed cost the
family's ``attention_kernel_us``, as the engine charges it): ``calibration.PREFILL_ATTENTION_TILES``.

* **Fit** (:data:`ENGINE_FIT_GPUS`, :data:`FIT`): each family's fit GPU (H200, B200, A100, L40S), the 32- and
  64-head rows.
* **Held out**: the other head counts on that GPU (4-48 heads: tensor-parallel shards), and every row of the
  H100, a second Hopper GPU.

**Blackwell Ultra.** The B300's and GB300's 16-bit datasheet peaks equal the B200's and GB200's, but their prompt
attention runs faster (NVIDIA credits Blackwell Ultra with twice the attention-layer rate of its special-function
units, which compute the softmax's exponentials). One factor scales the family's tile rate on them,
``calibration.BLACKWELL_ULTRA_ATTENTION_SHARE``:

* **Fit** (:data:`ULTRA_FIT`): SGLang's B300 rows of 32 and 64 heads, on SGLang's Blackwell constants, by least
  squares on the logarithm of time.
* **Held out**: SGLang's other heads on the B300; TensorRT-LLM's and vLLM's B300 rows on their own Blackwell
  constants; every engine's GB300 rows; and, as a control that takes no factor, every engine's GB200 rows.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.attention import ROW_TILES, TAIL, TILE, chunk_tiles, unit_pairs
from config_explorer.engine.calibration import BLACKWELL_ULTRA_ATTENTION_SHARE, efficiency_for

DATA = Path(__file__).resolve().parent / "data" / "prefill_attention_times.csv"
ENGINE_DATA = Path(__file__).resolve().parent / "data" / "context_attention_times.csv"
#: the GPU each family's per-engine constants are fitted on, and the engines' kernels on it (SGLang on
#: Blackwell: FlashInfer, its default for these models; it picks TensorRT-LLM's kernels for gpt-oss and Gemma)
ENGINE_FIT_GPUS = {"hopper": "H200-SXM", "blackwell": "B200-SXM", "ampere": "A100-SXM", "ada": "L40S"}
ENGINE_KERNELS = {
    "vllm": {
        "vllm_flash_attn_fa3",
        "vllm_flashinfer_trtllmprefill",
        "vllm_flash_attn",
        "vllm_flash_attn_fa2",
    },
    "sglang": {"fa3", "flashinfer", "flash_attention"},
    "trtllm": {"torch_flow"},
}
ENGINE_NAMES = {"vLLM": "vllm", "SGLang": "sglang", "TensorRT-LLM": "trtllm"}
#: the fitted subset: (query heads, query-key head size) of the rows the constants are fitted on
FIT = {(32, 128), (64, 128)}
#: the engine and GPU Blackwell Ultra's attention factor is fitted on (its 32- and 64-head rows)
ULTRA_FIT = ("sglang", "B300-SXM")
#: the Blackwell Ultra GPUs, and the Blackwell GPU read without the factor beside them
ULTRA_GPUS, ULTRA_CONTROL = ("B300-SXM", "GB300"), "GB200"


class Point(NamedTuple):
    case: str
    batch: int
    heads: int
    d_qk: int
    d_v: int
    q_len: int
    kv_len: int
    pairs: int
    time_us: float


def points(backend: str = "cudnn") -> list[Point]:
    with DATA.open() as f:
        return [
            Point(
                r["case"],
                int(r["batch"]),
                int(r["q_heads"]),
                int(r["d_qk"]),
                int(r["d_v"]),
                int(r["q_len"]),
                int(r["kv_len"]),
                int(r["pairs"]),
                float(r["time_us"]),
            )
            for r in csv.DictReader(f)
            if r["backend"] == backend and r["time_us"] and r["case"] != "chunk of a long prompt"
        ]


PEAK = get_gpu("H200").gemm_tflops("bf16")[0] * 1e12
SLOTS = efficiency_for("hopper").attention_slots


def tile_us(p: Point, rate: float, row_tiles: float, tail: float, launch_us: float) -> float:
    """The tile model's time of one measured kernel, microseconds."""
    if p.case == "context of a chunk":  # no mask: every row block sees every earlier key's block
        blocks = math.ceil(p.q_len / TILE)
        span = math.ceil(p.kv_len / TILE)
        tiles, rows, longest = float(blocks * span), blocks, float(span)
    else:
        one = chunk_tiles(p.q_len, p.kv_len - p.q_len)
        tiles, rows, longest = one[0] * p.batch, one[1] * p.batch, one[2]
    pairs = unit_pairs(tiles, rows, longest, p.heads, SLOTS, row_tiles=row_tiles, tail=tail)
    return launch_us + pairs * 2 * (p.d_qk + p.d_v) * p.heads / (PEAK * rate) * 1e6


def flat_us(p: Point, rate: float) -> float:
    return p.pairs * p.batch * 2 * (p.d_qk + p.d_v) * p.heads / (PEAK * rate) * 1e6


def nelder_mead(f: Callable[[list[float]], float], x0: list[float], steps: list[float]) -> list[float]:
    """Minimise ``f`` from ``x0`` (a few hundred evaluations; enough for four smooth parameters)."""
    simplex = [list(x0)] + [
        [x + (s if j == i else 0.0) for j, (x, s) in enumerate(zip(x0, steps))] for i in range(len(x0))
    ]
    values = [f(x) for x in simplex]
    for _ in range(2000):
        order = sorted(range(len(simplex)), key=values.__getitem__)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        if values[-1] - values[0] < 1e-12 * max(abs(values[0]), 1e-12):  # converged: every vertex alike
            break
        centre = [sum(x[j] for x in simplex[:-1]) / (len(simplex) - 1) for j in range(len(x0))]
        worst = simplex[-1]
        reflected = [c + (c - w) for c, w in zip(centre, worst)]
        fr = f(reflected)
        if fr < values[0]:
            expanded = [c + 2 * (c - w) for c, w in zip(centre, worst)]
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = [c + 0.5 * (w - c) for c, w in zip(centre, worst)]
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (x - b) for b, x in zip(best, s)] for s in simplex[1:]]
                values = [values[0]] + [f(s) for s in simplex[1:]]
    return simplex[min(range(len(simplex)), key=values.__getitem__)]


def log_error(model: Callable[[Point], float], data: Sequence[Point]) -> float:
    return sum(math.log(model(p) / p.time_us) ** 2 for p in data)


def errors(model: Callable[[Any], float], data: Sequence[Any], *, rows: bool = True) -> str:
    """Median and largest |error| of ``model`` over ``data`` (points with a ``time_us``), after the row count
    unless ``rows`` is False."""
    if not data:
        return "-"
    e = [abs(model(p) / p.time_us - 1) * 100 for p in data]
    text = f"median |err| {statistics.median(e):5.1f}%  max {max(e):5.1f}%"
    return f"{len(e):3d} rows  {text}" if rows else text


def fitted(data: Sequence[Point]) -> tuple[float, float, float, float]:
    """(tile rate, fixed part of a row block in tiles, tail, launch us) fitted on the :data:`FIT` rows."""
    fit = [p for p in data if (p.heads, p.d_qk) in FIT]

    def tiles_error(x: list[float]) -> float:
        if min(x) <= 0:
            return math.inf
        return log_error(lambda p: tile_us(p, *x), fit)

    rate, row_tiles, tail, launch = nelder_mead(tiles_error, [0.7, 1.0, 0.3, 10.0], [0.1, 0.5, 0.2, 3.0])
    return rate, row_tiles, tail, launch


class EnginePoint(NamedTuple):
    engine: str
    gpu: str
    kernel: str
    heads: int
    kv_heads: int
    batch: int
    isl: int
    time_us: float
    #: what the tile model needs of the layer and its GPU: (tiles, row blocks, longest row block) of the batch,
    #: multiprocessors, 16-bit peak FLOP/s and the family's fixed cost per attention kernel (us)
    tiles: tuple[float, float, float]
    slots: int
    peak: float
    launch_us: float


def engine_points() -> list[EnginePoint]:
    """The engines' own prompt-attention layers (:data:`ENGINE_DATA`) that :data:`ENGINE_KERNELS` names."""
    points = []
    with ENGINE_DATA.open() as f:
        for r in csv.DictReader(f):
            engine = ENGINE_NAMES[r["framework"].split()[0]]
            if r["kernel_source"] not in ENGINE_KERNELS[engine]:
                continue
            gpu = get_gpu(r["gpu"])
            eff = efficiency_for(gpu.family)
            batch, isl = int(r["batch_size"]), int(r["isl"])
            tiles, rows, longest = chunk_tiles(isl, 0)
            points.append(
                EnginePoint(
                    engine,
                    r["gpu"],
                    r["kernel_source"],
                    int(r["num_heads"]),
                    int(r["num_kv_heads"]),
                    batch,
                    isl,
                    float(r["time_us"]),
                    (tiles * batch, rows * batch, longest),
                    eff.attention_slots,
                    gpu.gemm_tflops("bf16")[0] * 1e12,
                    eff.attention_kernel_us,
                )
            )
    return points


def engine_tile_us(p: EnginePoint, rate: float, row_tiles: float) -> float:
    """The tile model's time of one engine's prompt-attention layer: ``p.batch`` prompts of ``p.isl`` tokens at
    head size 128, with the family's fixed cost per attention kernel, microseconds."""
    pairs = unit_pairs(*p.tiles, p.heads, p.slots, row_tiles=row_tiles)
    return p.launch_us + pairs * 2 * 256 * p.heads / (p.peak * rate) * 1e6


def engine_fitted(data: Sequence[EnginePoint]) -> dict[tuple[str, str], tuple[float, float]]:
    """(tile rate, fixed part of a row block) per (engine, family), fitted on each family's fit GPU's 32- and
    64-head rows."""
    fitted: dict[tuple[str, str], tuple[float, float]] = {}
    for family, gpu in ENGINE_FIT_GPUS.items():
        for engine in ENGINE_KERNELS:
            fit = [p for p in data if p.engine == engine and p.gpu == gpu and (p.heads, 128) in FIT]

            def error(x: list[float], fit: list[EnginePoint] = fit) -> float:
                if min(x) <= 0:
                    return math.inf
                return sum(math.log(engine_tile_us(p, x[0], x[1]) / p.time_us) ** 2 for p in fit)

            rate, row_tiles = nelder_mead(error, [0.6, 2.0], [0.1, 1.0])
            fitted[(engine, family)] = (rate, row_tiles)
    return fitted


def engine_report() -> None:
    data = engine_points()
    fitted = engine_fitted(data)
    print(
        "each engine's own prompt-attention layers (aiconfigurator's tables), fitted per engine and family;"
    )
    print("'without': the same rows on the family's cuDNN-fitted or published tile rate and ROW_TILES")
    for (engine, family), (rate, row_tiles) in fitted.items():
        gpu = ENGINE_FIT_GPUS[family]
        mine = [p for p in data if p.engine == engine]
        default = efficiency_for(family).attention_compute
        print(
            f"  {engine} on {family} ({gpu}): tile rate {rate:.2f}, a row block's fixed part {row_tiles:.2f} tiles"
        )
        on_gpu = [p for p in mine if p.gpu == gpu]
        groups = [
            ("fit rows (32 and 64 heads)", [p for p in on_gpu if (p.heads, 128) in FIT]),
            ("held out: other heads", [p for p in on_gpu if (p.heads, 128) not in FIT]),
            ("held out: the H100", [p for p in mine if p.gpu == "H100-SXM"] if family == "hopper" else []),
        ]
        for label, group in groups:
            if not group:
                continue
            fitted_err = errors(lambda p, x=rate, c=row_tiles: engine_tile_us(p, x, c), group)
            without = errors(lambda p, x=default: engine_tile_us(p, x, ROW_TILES), group, rows=False)
            print(f"    {label:<28} {fitted_err}   without: {without}")


def ultra_fitted(data: Sequence[EnginePoint], fitted: dict[tuple[str, str], tuple[float, float]]) -> float:
    """Blackwell Ultra's factor on the family's tile rate: least squares on :data:`ULTRA_FIT`'s 32- and 64-head
    rows with that engine's Blackwell constants, 2 decimals."""
    engine, gpu = ULTRA_FIT
    rate, row_tiles = fitted[(engine, "blackwell")]
    fit = [p for p in data if p.engine == engine and p.gpu == gpu and (p.heads, 128) in FIT]

    def error(x: list[float]) -> float:
        if x[0] <= 0:
            return math.inf
        return sum(math.log(engine_tile_us(p, rate * x[0], row_tiles) / p.time_us) ** 2 for p in fit)

    (share,) = nelder_mead(error, [1.0], [0.1])
    return round(share, 2)


def ultra_report() -> None:
    data = engine_points()
    fitted = engine_fitted(data)
    share = ultra_fitted(data, fitted)
    print(
        f"Blackwell Ultra: the family's tile rate times {share:.2f} (fitted on {ULTRA_FIT[0]}'s {ULTRA_FIT[1]} "
        f"32- and 64-head rows; the engine holds {BLACKWELL_ULTRA_ATTENTION_SHARE:.2f}); 'without': the family's rate"
    )
    for engine in ENGINE_KERNELS:
        rate, row_tiles = fitted[(engine, "blackwell")]
        for gpu in (*ULTRA_GPUS, ULTRA_CONTROL):
            rows = [p for p in data if p.engine == engine and p.gpu == gpu]
            if (engine, gpu) == ULTRA_FIT:
                rows = [p for p in rows if (p.heads, 128) not in FIT]
            if not rows:
                continue
            scale = 1.0 if gpu == ULTRA_CONTROL else share
            label = f"{engine} {gpu}" + (" (no factor)" if gpu == ULTRA_CONTROL else "")
            label += " other heads" if (engine, gpu) == ULTRA_FIT else ""
            with_share = errors(lambda p, x=rate * scale, c=row_tiles: engine_tile_us(p, x, c), rows)
            without = errors(lambda p, x=rate, c=row_tiles: engine_tile_us(p, x, c), rows, rows=False)
            print(f"  {label:<36} {with_share}   without: {without}")


def main() -> None:
    data = points()
    fit = [p for p in data if (p.heads, p.d_qk) in FIT]
    held = [p for p in data if (p.heads, p.d_qk) not in FIT]
    rate, row_tiles, tail, launch = fitted(data)
    (flat,) = nelder_mead(
        lambda x: log_error(lambda p: flat_us(p, x[0]), fit) if x[0] > 0 else math.inf, [0.5], [0.1]
    )
    engine_rate = efficiency_for("hopper").attention_compute
    print(
        f"fitted on {len(fit)} cuDNN rows (32 and 64 heads of size 128), H200 SXM, {SLOTS} multiprocessors:"
    )
    print(
        f"  tile rate {rate:.3f} of the 16-bit peak   (engine: calibration attention_compute {engine_rate})"
    )
    print(f"  fixed part of a row block {row_tiles:.2f} tiles   (engine: attention.ROW_TILES {ROW_TILES})")
    print(f"  tail {tail:.2f} longest row blocks   (engine: attention.TAIL {TAIL})")
    print(f"  launch {launch:.1f} us   (the engine charges each attention kernel's fixed cost apart)")
    print(f"  best flat rate {flat:.3f} of peak on every causal pair\n")

    models: dict[str, Callable[[Point], float]] = {
        "tiles, fitted": lambda p: tile_us(p, rate, row_tiles, tail, launch),
        "tiles, engine's constants": lambda p: tile_us(p, engine_rate, ROW_TILES, TAIL, launch),
        "flat 0.45 (before)": lambda p: launch + flat_us(p, 0.45),
        "flat, best fit": lambda p: flat_us(p, flat),
    }
    groups: list[tuple[str, Callable[[Point], bool]]] = [
        ("fit rows", lambda p: (p.heads, p.d_qk) in FIT),
        ("held out: all", lambda p: (p.heads, p.d_qk) not in FIT),
        ("held out: 4 and 8 heads", lambda p: p.heads in (4, 8)),
        ("held out: 40 heads (Qwen3-14B)", lambda p: p.heads == 40),
        ("held out: MLA 192/128", lambda p: p.d_qk == 192),
        ("held out: head size 64 (cuDNN's weak case)", lambda p: p.d_qk == 64),
        ("held out: packed prompts", lambda p: p.case == "packed prompts" and (p.heads, p.d_qk) not in FIT),
        (
            "held out: context of a chunk",
            lambda p: p.case == "context of a chunk" and (p.heads, p.d_qk) not in FIT,
        ),
    ]
    for name, model in models.items():
        print(name)
        for label, keep in groups:
            print(f"  {label:<44} {errors(model, [p for p in data if keep(p)])}")
        print()

    fa2 = {(p.case, p.batch, p.heads, p.d_qk, p.q_len, p.kv_len): p.time_us for p in points("flash")}
    ratios = [
        fa2[k] / p.time_us
        for p in data
        if (k := (p.case, p.batch, p.heads, p.d_qk, p.q_len, p.kv_len)) in fa2
    ]
    long = [
        fa2[k] / p.time_us
        for p in data
        if p.q_len >= 8192 and (k := (p.case, p.batch, p.heads, p.d_qk, p.q_len, p.kv_len)) in fa2
    ]
    print(
        f"FlashAttention-2 over cuDNN on the same shapes: median {statistics.median(ratios):.2f}x the time "
        f"({statistics.median(long):.2f}x at 8,192 query tokens and more); {len(held)} held-out rows in all\n"
    )
    engine_report()
    print()
    ultra_report()


if __name__ == "__main__":
    main()
