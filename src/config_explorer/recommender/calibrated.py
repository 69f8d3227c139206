"""A backend whose every estimate is rescaled by the user's calibration profiles.

Why wrap the backend rather than the final records: ``recommend_gpus`` screens, sweeps and judges
each layout against the SLOs through the backend, so a calibration applied there moves every one of
those decisions consistently (a layout whose calibrated ITL misses the SLO is rejected, not shown).
"""

from __future__ import annotations

from collections.abc import Sequence

from config_explorer.backends.base import Backend, EstimateRequest
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.user_calibration import CalibrationProfile, apply_calibration

__all__ = ["CalibratedBackend", "calibrated"]


class CalibratedBackend:
    """``inner``'s estimates with :func:`apply_calibration` applied (same ``name``)."""

    def __init__(self, inner: Backend, profiles: Sequence[CalibrationProfile]) -> None:
        self.inner = inner
        self.profiles = tuple(profiles)
        self.name = inner.name

    def __repr__(self) -> str:
        return f"CalibratedBackend({self.inner!r}, {len(self.profiles)} profile(s))"

    def estimate(self, request: EstimateRequest) -> PerformanceEstimate:
        return apply_calibration(self.inner.estimate(request), self.profiles)

    def describe(self) -> dict[str, object]:
        return {**self.inner.describe(), "calibration": [p.source or p.gpu for p in self.profiles]}


def calibrated(backend: Backend, profiles: Sequence[CalibrationProfile] | None) -> Backend:
    """``backend`` itself without profiles, else wrapped."""
    return backend if not profiles else CalibratedBackend(backend, tuple(profiles))
