"""Measured against estimated, before and after calibration (``validate --plot``, ``calibrate --plot``).

One panel per phase (TTFT, ITL/TPOT, E2E, throughput), log-log, the diagonal where an estimate is
exact: a cloud shifted off the diagonal is the constant ratio a calibration removes; a cloud whose slope
differs from the diagonal's is an error that grows with load, which no constant factor removes.
Needs matplotlib (the ``plot`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config_explorer.errors import InvalidArgumentError
from config_explorer.plots import pyplot, save_figure

if TYPE_CHECKING:
    from config_explorer.calibrate import PointError

__all__ = ["plot_measured_vs_estimated"]

_PANELS = (
    ("ttft", "TTFT (ms)"),
    ("itl", "ITL / TPOT (ms)"),
    ("e2e", "E2E (ms)"),
    ("throughput", "output tok/s"),
)


def plot_measured_vs_estimated(
    rows: Sequence[PointError], path: str | os.PathLike[str], *, calibrated: bool
) -> Path:
    """Write the figure to ``path`` (its suffix picks the format), atomically; returns the path."""
    from config_explorer.calibrate import FAMILY

    plt = pyplot()
    if not rows:
        raise InvalidArgumentError("nothing to plot: no measured point could be estimated")
    fig, axes = plt.subplots(1, len(_PANELS), figsize=(4.2 * len(_PANELS), 4.2), squeeze=False)
    for ax, (family, title) in zip(axes[0], _PANELS, strict=True):
        picked = [r for r in rows if FAMILY[r.metric] == family]
        ax.set_title(title)
        ax.set_xlabel("measured")
        ax.set_ylabel("estimated")
        if not picked:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
            continue
        measured = [r.measured for r in picked]
        _draw(ax, measured, [r.before for r in picked], [r.after for r in picked], calibrated)
    fig.tight_layout()
    return save_figure(fig, path)


def _draw(ax: Any, measured: list[float], before: list[float], after: list[float], calibrated: bool) -> None:
    values = [v for v in (*measured, *before, *after) if v > 0]
    low, high = min(values) / 1.3, max(values) * 1.3
    ax.plot([low, high], [low, high], color="0.6", linewidth=1, zorder=0)
    ax.scatter(measured, before, facecolors="none", edgecolors="tab:gray", label="uncalibrated")
    if calibrated:
        ax.scatter(measured, after, color="tab:blue", label="calibrated")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.legend(loc="upper left", fontsize="small")
