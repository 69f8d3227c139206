"""Prefill attention on FlashAttention-class kernels, counted in the tiles the kernel works in.

A prompt chunk's attention is not a flat number of FLOPs at one rate. The kernels vLLM, SGLang and
TensorRT-LLM run (FlashAttention-3 and TensorRT-LLM's FMHA on Hopper, FlashAttention-2 on Ampere) split each
sequence's queries into row blocks of :data:`TILE` tokens, one block of one head per work unit on one
streaming multiprocessor, and step each unit through the key blocks its causal mask leaves visible. So:

* the work is the visible tiles, not the visible pairs: the diagonal tiles are computed whole, which adds
  about half a tile per row block, a large share of a short prompt's work and none of a long one's;
* each unit pays a fixed part (loading its queries, writing its output), :data:`ROW_TILES` tiles' worth;
* the units run on the GPU's multiprocessors (``slots``): the work spread over all of them plus a tail of
  :data:`TAIL` longest units, where the last wave runs unevenly, but never less than the longest unit:
  a chunk with few units (few heads on a tensor-parallel shard, a short prompt) takes that unit's time,
  however little its total work.

:func:`effective_pairs` turns a step's chunks into the pairs a kernel running every tile at its full rate
would need for the same time, so the roofline charges them at a tile rate: the engine's own where its kernels
were measured (``calibration.PREFILL_ATTENTION_TILES``, with its own row-block part), else the family's
(``FamilyEfficiency.attention_compute``).

The family defaults are fitted by ``benchmarks/fit_prefill_attention.py`` on causal prefill attention timed on an
H200 (``benchmarks/data/prefill_attention_times.csv``: cuDNN's fused attention, which the FlashAttention-3
paper puts within a few per cent of FlashAttention-3 at head size 128): fitted on the 32- and 64-head
shapes, read held out on 4-, 8- and 40-head shards, DeepSeek's 192/128-wide MLA heads and packed prompts.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable

from config_explorer.engine.layout import windowed_pairs

__all__ = ["ROW_TILES", "TAIL", "TILE", "chunk_tiles", "effective_pairs", "exact_pairs", "unit_pairs"]

#: query and key block of the kernel's tiles (FlashAttention-3's for head size 128), tokens
TILE = 128
#: fixed part of one work unit (a row block of one head), in tiles (benchmarks/fit_prefill_attention.py)
ROW_TILES = 1.04
#: the last wave's unevenness, in longest units (benchmarks/fit_prefill_attention.py)
TAIL = 0.31


@functools.lru_cache(maxsize=4096)  # (a simulated run's steps hold the same few chunk shapes over and over)
def chunk_tiles(
    new: float, before: float, window: int = 0, *, whole: bool = True
) -> tuple[float, float, float]:
    """(tiles, row blocks, tiles of its last row block) of one chunk of ``new`` prompt tokens attending
    causally to themselves and to ``before`` earlier tokens; with a sliding ``window``, a row block sees
    at most the window before its first query and its own rows. ``whole=False`` counts fractional blocks
    (the analytic screen's mean prompt, whose cost then grows smoothly with its length)."""
    if new <= 0:
        return 0.0, 0.0, 0.0
    blocks: Callable[[float], float] = math.ceil if whole else float
    rows = blocks(new / TILE)
    first = blocks(before / TILE)  # key blocks every row block sees before its own diagonal
    last = blocks((before + new) / TILE)
    if window <= 0:
        return (rows - 1) * first + (rows - 1) * rows / 2 + last, rows, last
    cap = blocks((window + TILE) / TILE)
    # row block r < rows - 1 sees first + r + 1 blocks, at most cap
    uncapped = min(max(cap - first - 1, 0), rows - 1)
    tiles = uncapped * first + uncapped * (uncapped + 1) / 2 + (rows - 1 - uncapped) * cap
    last = min(last, cap)
    return tiles + last, rows, last


def effective_pairs(
    chunks: Iterable[tuple[float, float]],
    heads: float,
    slots: int,
    window: int = 0,
    *,
    row_tiles: float = ROW_TILES,
    tail: float = TAIL,
) -> float:
    """Query-key pairs, per head, that a kernel running every tile at its full rate would need for the time
    one attention layer takes over a step's prompt ``chunks`` (``(new tokens, tokens before)`` each), on a GPU
    with ``heads`` query heads of the layer and ``slots`` multiprocessors; the exact causal pairs when
    either is unknown (0)."""
    if heads <= 0 or slots <= 0:
        return sum(exact_pairs(n, a, window) for n, a in chunks)
    tiles = rows = longest = 0.0
    for n, a in chunks:
        chunk, blocks, last = chunk_tiles(n, a, window)
        tiles, rows, longest = tiles + chunk, rows + blocks, max(longest, last)
    return unit_pairs(tiles, rows, longest, heads, slots, row_tiles=row_tiles, tail=tail)


def unit_pairs(
    tiles: float,
    rows: float,
    longest: float,
    heads: float,
    slots: int,
    *,
    row_tiles: float = ROW_TILES,
    tail: float = TAIL,
) -> float:
    """:func:`effective_pairs` of one kernel call from its work per head: ``tiles`` visible tiles over
    ``rows`` row blocks, the longest of which has ``longest`` tiles. The time is the longest unit's, or the
    work spread over every multiprocessor plus the tail, whichever is longer (so more work never takes
    less time)."""
    if rows <= 0:
        return 0.0
    unit = (longest + row_tiles) * slots / heads  # one unit's time, as tiles spread over the GPU
    return max(unit, tiles + row_tiles * rows + tail * unit) * TILE * TILE


def exact_pairs(new: float, before: float, window: int = 0) -> float:
    """The causal query-key pairs of ``new`` tokens after ``before`` earlier ones (within ``window``)."""
    if window <= 0:
        return new * before + new * (new + 1) / 2
    return windowed_pairs(before + new, window) - windowed_pairs(before, window)
