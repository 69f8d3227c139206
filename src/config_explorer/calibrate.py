"""Fit a calibration profile to the user's own benchmark results, and validate estimates against them.

Why a few multiplicative factors and not a re-fit of the engine: a handful of points (a concurrency
sweep of one model on one layout) can identify how much slower or faster each phase runs than the
roofline model says, not the dozens of constants inside it. Four factors are fitted (see
:mod:`config_explorer.engine.user_calibration` for how they apply): ``decode_factor`` (ITL/TPOT, and
through them E2E and throughput), ``decode_ms_per_seq`` (a time per running sequence added to each
decode step: the part of the error that grows with load), ``prefill_factor`` (TTFT) and ``frontend_ms``
(a fixed per-request time added to TTFT).

Which of them the points can identify: ``decode_ms_per_seq`` needs decode times measured at mean decode
batches at least 2x apart; ``frontend_ms`` needs one TTFT; ``prefill_factor`` needs TTFT at points whose
estimated TTFT differ 2x or more (several prompt lengths), because one prompt length cannot tell a scale
from an offset. With a single prompt length the TTFT residual is read as a front-end time (the usual
cause at low load: HTTP, tokenizer, detokenizer), unless the model overestimates TTFT, which a
front-end time cannot mend; then the scale is fitted instead.

The fit minimises a robust loss (soft-L1, in log space, so a 10% miss weighs the same at 10 ms and at
10 s, and one wild point cannot drag the fit) over the measured figures of every point, by coordinate
descent with golden-section search inside the physical bounds. Each point contributes its TTFT and one
decode-time figure: the median ITL where the file gives it (the gap of a plain decode step, the step the
decode factors scale; a mean adds the stalls of prompts prefilled in between), else the mean ITL, else
TPOT. E2E and throughput enter only for points that measured no decode time (they would otherwise add the
scheduler's error, not the step's, to the decode factor). Where no point measured TTFT, a throughput or
E2E error cannot say which phase is slow, so the prefill factor follows the decode factor: the whole
engine is read as that much slower or faster (an offline run of long prompts is mostly prefill). Other
than the ITL, a point's median is compared with the estimate's median only where the file gives no mean.
Each factor is estimated only when the points can identify it (the report says which were not, and
why, and they stay at their prior); uncertainties are jackknife standard errors over leave-one-point-out
fits, which also give the leave-one-out error. numpy and scipy are not needed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from config_explorer import __version__
from config_explorer._files import SPEC_LIMIT_BYTES, read_json, write_text
from config_explorer.bench_results import MeasuredPoint, read_results
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.traffic import MAX_SIMULATED_REQUESTS, Lengths, Traffic
from config_explorer.engine.user_calibration import (
    DECODE_FACTOR_RANGE,
    DECODE_MS_PER_SEQ_RANGE,
    FRONTEND_MS_RANGE,
    PREFILL_FACTOR_RANGE,
    CalibrationProfile,
    apply_calibration,
    decode_batch,
)
from config_explorer.errors import InvalidArgumentError, ParseError

__all__ = [
    "FAMILY",
    "METRICS",
    "PROFILE_SCHEMA",
    "PROFILE_SCHEMA_VERSION",
    "CalibrationFit",
    "CalibrationProfile",
    "FactorFit",
    "PointError",
    "apply_calibration",
    "estimate_point",
    "fit_calibration",
    "fit_points",
    "load_profile",
    "profile_to_json",
    "validate_points",
    "write_profile",
]

PROFILE_SCHEMA: Final = "config-explorer/calibration-profile"
PROFILE_SCHEMA_VERSION: Final = 2
#: versions :func:`load_profile` reads (version 1 had no ``decode_ms_per_seq``: it reads as 0)
READABLE_SCHEMA_VERSIONS: Final = (1, 2)
#: the figures compared, in the names of :class:`PerformanceEstimate` / :class:`MeasuredPoint`
#: (a point's median is compared with the estimate's median, and only when the file has no mean)
METRICS: Final = (
    "ttft_ms",
    "ttft_ms_median",
    "itl_ms",
    "itl_ms_median",
    "tpot_ms",
    "tpot_ms_median",
    "e2e_ms",
    "e2e_ms_median",
    "output_throughput_tok_s",
)
#: metric -> the phase it measures (and the factor that scales it)
FAMILY: Final = {
    "ttft_ms": "ttft",
    "ttft_ms_median": "ttft",
    "itl_ms": "itl",
    "itl_ms_median": "itl",
    "tpot_ms": "itl",
    "tpot_ms_median": "itl",
    "e2e_ms": "e2e",
    "e2e_ms_median": "e2e",
    "output_throughput_tok_s": "throughput",
}
#: soft-L1 scale in log space: residuals below ~5% count quadratically, larger ones linearly
_LOSS_SCALE: Final = 0.05
#: TTFT points must spread this much (estimated max/min) to tell a fixed front-end time from a scale
_PREFILL_SPREAD: Final = 2.0
_PREFILL_MIN_POINTS: Final = 3
#: decode times must be measured at mean decode batches this far apart to identify a per-sequence time
_BATCH_SPREAD: Final = 2.0
#: the factors, in the order the fit holds them
FACTORS: Final = ("decode_factor", "prefill_factor", "frontend_ms", "decode_ms_per_seq")
_CYCLES: Final = 6
_GOLDEN_STEPS: Final = 48
#: two measurements of one configuration differing by more than this factor are reported as contradictory
_CONTRADICTION_RATIO: Final = 1.5


# -- estimating a measured point ------------------------------------------------------------------


def estimate_point(
    point: MeasuredPoint,
    *,
    model: Any,
    gpu: str,
    num_gpus: int,
    tp: int,
    precision: str | None = None,
    engine: str = "vllm",
    serving_model: str = "simulated",
) -> PerformanceEstimate:
    """The engine's estimate of ``point``'s workload on the given layout (uncalibrated)."""
    from config_explorer.recommender.performance import estimate_performance  # the API layer, imported late

    isl, osl = point.input_length, point.output_length
    traffic: Traffic | None = None
    concurrency = point.concurrency or 1
    if point.arrival in ("poisson", "offline"):  # only the simulator replays these
        load: dict[str, Any] = (
            {"request_rate": point.request_rate}
            if point.arrival == "poisson"
            else {"num_requests": min(point.num_prompts or 1000, MAX_SIMULATED_REQUESTS)}
        )
        traffic = Traffic(
            input_lengths=Lengths.fixed(isl), output_lengths=Lengths.fixed(osl), arrival=point.arrival, **load
        )
        serving_model = "simulated"
    return estimate_performance(
        model,
        gpu,
        num_gpus,
        tp,
        input_length=isl,
        output_length=osl,
        concurrency=concurrency,
        precision=precision,
        engine=engine,
        serving_model=serving_model,
        traffic=traffic,
    )


def _measured(point: MeasuredPoint) -> dict[str, float]:
    values: dict[str, float | None] = {"output_throughput_tok_s": point.output_throughput_tok_s}
    for name in ("ttft", "itl", "tpot", "e2e"):
        mean, median = getattr(point, f"{name}_ms_mean"), getattr(point, f"{name}_ms_median")
        if mean is not None:
            values[f"{name}_ms"] = mean
        else:
            values[f"{name}_ms_median"] = median
    return {k: v for k, v in values.items() if v is not None and v > 0}


def _estimated(record: PerformanceEstimate) -> dict[str, float]:
    e2e, e2e_median = record.e2e_latency_s, record.e2e_latency_p50_s
    values = {
        "ttft_ms": record.ttft_ms,
        "ttft_ms_median": record.ttft_p50_ms,
        "itl_ms": record.itl_ms,
        "itl_ms_median": record.itl_p50_ms,
        "tpot_ms": record.tpot_ms,
        "tpot_ms_median": record.tpot_p50_ms,
        "e2e_ms": None if e2e is None else e2e * 1000.0,
        "e2e_ms_median": None if e2e_median is None else e2e_median * 1000.0,
        "output_throughput_tok_s": record.output_throughput_tok_s,
    }
    return {k: v for k, v in values.items() if v is not None and v > 0}


@attrs.frozen
class _Base:
    """What the closed-form predictor needs of one uncalibrated estimate."""

    ttft_ms: float
    per_token_ms: float
    decode_steps: int
    poisson: bool
    figures: Mapping[str, float]
    batch: float = 1.0

    @classmethod
    def of(cls, record: PerformanceEstimate) -> _Base:
        figures = _estimated(record)
        per_token = record.tpot_ms if record.tpot_ms is not None else (record.itl_ms or 0.0)
        return cls(
            ttft_ms=figures.get("ttft_ms", 0.0),
            per_token_ms=per_token,
            decode_steps=max(record.output_length - 1, 0),
            poisson=record.arrival == "poisson",
            figures=figures,
            batch=decode_batch(record),
        )

    def predict(self, metric: str, d: float, p: float, f: float, s: float = 0.0) -> float | None:
        """The calibrated figure, by the same formulas as :func:`user_calibration.rescale`."""
        base = self.figures.get(metric)
        if base is None:
            return None
        family = FAMILY[metric]
        if family == "ttft":
            return p * base + f
        per_seq = s * self.batch
        if family == "itl":
            return d * base + per_seq
        added = (p * self.ttft_ms + f - self.ttft_ms) + self.decode_steps * (
            self.per_token_ms * (d - 1.0) + per_seq
        )
        e2e = self.figures.get("e2e_ms")
        if e2e is None:
            return base
        new_e2e = max(e2e + added, 1e-3)
        if family == "e2e":
            return base * new_e2e / e2e
        return base if self.poisson else base * e2e / new_e2e


# -- the fit --------------------------------------------------------------------------------------


@attrs.frozen
class FactorFit:
    """One fitted factor: its value, its jackknife uncertainty, and whether the points identified it."""

    name: str
    value: float
    prior: float
    low: float
    high: float
    uncertainty: float | None = None
    identified: bool = True
    clamped: bool = False
    note: str = ""


@attrs.frozen
class PointError:
    """One measured figure of one point: the measurement, the estimates and their relative errors."""

    point: str
    metric: str
    measured: float
    before: float
    after: float
    loo: float | None = None

    @property
    def error_before(self) -> float:
        return self.before / self.measured - 1.0

    @property
    def error_after(self) -> float:
        return self.after / self.measured - 1.0

    @property
    def error_loo(self) -> float | None:
        return None if self.loo is None else self.loo / self.measured - 1.0


@attrs.frozen
class CalibrationFit:
    """A fitted profile with everything the report prints."""

    profile: CalibrationProfile
    factors: tuple[FactorFit, ...]
    rows: tuple[PointError, ...]
    warnings: tuple[str, ...] = ()
    inputs: tuple[Mapping[str, Any], ...] = ()

    def median_error(self, which: str, metric: str | None = None) -> float | None:
        """Median |relative error| (``which`` = before, after or loo), over one metric or all."""
        values = []
        for row in self.rows:
            if metric is not None and row.metric != metric:
                continue
            err = {"before": row.error_before, "after": row.error_after, "loo": row.error_loo}[which]
            if err is not None:
                values.append(abs(err))
        return statistics.median(values) if values else None


def _soft_l1(z: float) -> float:
    u = z / _LOSS_SCALE
    return 2.0 * (math.sqrt(1.0 + u * u) - 1.0)


Observation = tuple[_Base, str, float]


Factors = tuple[float, float, float, float]
PRIORS: Final[Factors] = (1.0, 1.0, 0.0, 0.0)


def _loss(observations: Sequence[Observation], d: float, p: float, f: float, s: float) -> float:
    total = 0.0
    for base, metric, measured in observations:
        predicted = base.predict(metric, d, p, f, s)
        if predicted is None or predicted <= 0:
            total += 1e6
            continue
        total += _soft_l1(math.log(predicted / measured))
    return total


def _golden(objective: Callable[[float], float], low: float, high: float) -> float:
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = objective(c), objective(d)
    for _ in range(_GOLDEN_STEPS):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = objective(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = objective(d)
    best = (a + b) / 2.0
    # the bounds themselves are candidates: a fit that wants to leave them is clamped there
    return min((low, high, best), key=objective)


def _identify(observations: Sequence[Observation]) -> dict[str, str]:
    """Why each unidentifiable factor is so (factor -> reason); identified ones are absent."""
    reasons: dict[str, str] = {}
    metrics = [metric for _, metric, _ in observations]
    if all(FAMILY[m] == "ttft" for m in metrics):
        reasons["decode_factor"] = "no ITL, TPOT, E2E or throughput was measured"
    batches = [base.batch for base, metric, _ in observations if FAMILY[metric] != "ttft"]
    if not batches or max(batches) < _BATCH_SPREAD * min(batches):
        reasons["decode_ms_per_seq"] = (
            f"needs decode times at mean decode batches {_BATCH_SPREAD:g}x apart or more (e.g. a concurrency "
            "sweep) to tell a per-sequence time from a scale"
        )
    ttft = [base.figures[metric] for base, metric, _ in observations if FAMILY[metric] == "ttft"]
    if not ttft:
        reasons["prefill_factor"] = reasons["frontend_ms"] = _NO_TTFT
    elif len(ttft) < _PREFILL_MIN_POINTS or max(ttft) < _PREFILL_SPREAD * min(ttft):
        reasons["prefill_factor"] = (
            f"needs TTFT at >= {_PREFILL_MIN_POINTS} points whose estimated TTFT differ by "
            f"{_PREFILL_SPREAD:g}x or more (e.g. low-load runs at different prompt lengths) to tell a scale "
            f"from a fixed per-request time; got {len(ttft)} TTFT point(s), read as a front-end time"
        )
    return reasons


def _along(
    observations: Sequence[Observation], index: int, at: Sequence[float], *, log_scale: bool, tied: bool
) -> Callable[[float], float]:
    """The loss as a function of one factor (its log when ``log_scale``), the others held at ``at``;
    ``tied``: the prefill factor follows the decode factor."""

    def loss(x: float) -> float:
        factors = list(at)
        factors[index] = math.exp(x) if log_scale else x
        if tied:
            factors[1] = factors[0]
        return _loss(observations, *factors)

    return loss


_RANGES: Final = (DECODE_FACTOR_RANGE, PREFILL_FACTOR_RANGE, FRONTEND_MS_RANGE, DECODE_MS_PER_SEQ_RANGE)
_LOG_SCALE: Final = (True, True, False, False)


def _descend(observations: Sequence[Observation], free: Sequence[int], *, tied: bool = False) -> Factors:
    """Coordinate descent over the ``free`` factors (indices into :data:`FACTORS`), the rest at their priors
    (``tied``: the prefill factor follows the decode factor)."""
    at = list(PRIORS)
    for _ in range(_CYCLES):
        for i in free:
            low, high = _RANGES[i]
            if _LOG_SCALE[i]:
                along = _along(observations, i, at, log_scale=True, tied=tied)
                at[i] = math.exp(_golden(along, math.log(low), math.log(high)))
            else:
                at[i] = _golden(_along(observations, i, at, log_scale=False, tied=tied), low, high)
            if tied:
                at[1] = at[0]
        if len(free) == 1:
            break
    # exp(log(bound)) can land a rounding error outside the bound
    d, p, f, s = (min(max(v, low), high) for v, (low, high) in zip(at, _RANGES, strict=True))
    return d, p, f, s


_NO_TTFT: Final = "no TTFT was measured"
_TIED: Final = (
    "no TTFT was measured, so the points cannot tell a slow prefill from a slow decode; the prefill "
    "factor follows the decode factor (a throughput figure measures the whole engine's speed)"
)
_SWAPPED: Final = (
    "the estimates overstate TTFT at these points and a front-end time cannot be negative, "
    "so the TTFT scale was fitted instead"
)


def _fit(observations: Sequence[Observation]) -> tuple[Factors, dict[str, str]]:
    """The fitted factors, and why each factor left at its prior is so."""
    reasons = _identify(observations)
    free = [i for i, name in enumerate(FACTORS) if name not in reasons]
    if not free:
        return PRIORS, reasons
    tied = reasons.get("prefill_factor") == _NO_TTFT and "decode_factor" not in reasons
    if tied:
        reasons["prefill_factor"] = _TIED
    fitted = _descend(observations, free, tied=tied)
    frontend, prefill = FACTORS.index("frontend_ms"), FACTORS.index("prefill_factor")
    if frontend in free and prefill not in free and fitted[frontend] <= FRONTEND_MS_RANGE[0] + 1e-6:
        swapped = [prefill if i == frontend else i for i in free]
        reasons = {k: v for k, v in reasons.items() if k != "prefill_factor"}
        reasons["frontend_ms"] = _SWAPPED
        return _descend(observations, swapped), reasons
    return fitted, reasons


def _observations(bases: Sequence[_Base], points: Sequence[MeasuredPoint]) -> list[Observation]:
    out: list[Observation] = []
    for base, point in zip(bases, points, strict=True):
        measured = _measured(point)
        if point.itl_ms_median and "itl_ms_median" in base.figures:
            # the median gap is a plain decode step, the step the factors scale (a mean adds prefill stalls)
            others = {k: v for k, v in measured.items() if FAMILY[k] != "itl"}
            measured = {"itl_ms_median": point.itl_ms_median, **others}
        decode = [m for m in measured if FAMILY[m] == "itl"]
        for extra in decode[1:]:  # one decode-time figure per point: ITL and TPOT measure the same steps
            del measured[extra]
        if decode:  # a direct decode-time figure: E2E and throughput add nothing but the scheduler's error
            for metric in [m for m in measured if FAMILY[m] in ("e2e", "throughput")]:
                del measured[metric]
        for metric, value in measured.items():
            if metric in base.figures:
                out.append((base, metric, value))
    return out


def _contradictions(points: Sequence[MeasuredPoint]) -> list[str]:
    seen: dict[tuple[Any, ...], MeasuredPoint] = {}
    found = []
    for point in points:
        key = point.load_key()
        other = seen.get(key)
        if other is None:
            seen[key] = point
            continue
        a, b = _measured(point), _measured(other)
        for metric in sorted(set(a) & set(b)):
            ratio = max(a[metric], b[metric]) / min(a[metric], b[metric])
            if ratio > _CONTRADICTION_RATIO:
                found.append(
                    f"contradictory points: {other.label} and {point.label} measured the same configuration, "
                    f"but field {metric} differs {ratio:.2f}x; the robust fit weighs both"
                )
    return found


def fit_points(
    points: Sequence[MeasuredPoint],
    records: Sequence[PerformanceEstimate],
    *,
    profile_fields: Mapping[str, Any],
) -> CalibrationFit:
    """Fit the factors to ``points`` given their uncalibrated estimates ``records`` (same order)."""
    if not points:
        raise InvalidArgumentError("calibration needs at least one measured point; got none")
    usable = [(pt, rec) for pt, rec in zip(points, records, strict=True) if rec.error is None and rec.ttft_ms]
    warnings = [
        f"{pt.label}: not estimated ({rec.error})"
        for pt, rec in zip(points, records, strict=True)
        if rec.error is not None
    ]
    if not usable:
        raise InvalidArgumentError(
            "none of the measured points could be estimated on this layout: " + "; ".join(warnings)
        )
    pts = [pt for pt, _ in usable]
    bases = [_Base.of(rec) for _, rec in usable]
    observations = _observations(bases, pts)
    if not observations:
        raise InvalidArgumentError("the measured points hold no TTFT, ITL, TPOT, E2E or throughput to fit")
    best, reasons = _fit(observations)
    d, p, f, s = best

    # leave one point out: the held-out point's prediction, and the jackknife spread of the factors
    loo_fits: list[Factors] = []
    loo_predictions: dict[tuple[int, str], float] = {}
    if len(pts) >= 2:
        for i in range(len(pts)):
            rest = [obs for obs in observations if obs[0] is not bases[i]]
            if not rest:
                continue
            fitted, _ = _fit(rest)
            loo_fits.append(fitted)
            for metric in bases[i].figures:
                predicted = bases[i].predict(metric, *fitted)
                if predicted is not None:
                    loo_predictions[(i, metric)] = predicted

    def jackknife(index: int) -> float | None:
        if len(loo_fits) < 3:
            return None
        values = [fit[index] for fit in loo_fits]
        mean = statistics.fmean(values)
        n = len(values)
        return math.sqrt((n - 1) / n * sum((v - mean) ** 2 for v in values))

    factors = []
    for index, name in enumerate(FACTORS):
        value, prior, (low, high) = best[index], PRIORS[index], _RANGES[index]
        identified = name not in reasons
        tolerance = 1e-3 * max(high - low, 1.0)
        # a factor whose prior is its lower bound (a front-end or per-sequence time of 0: none) may sit
        # there as a physical value, not as a bound the fit was stopped at
        at_low = abs(value - low) < tolerance and prior != low
        clamped = identified and (at_low or abs(value - high) < tolerance)
        note = reasons.get(name, "")
        if clamped:
            note = f"the fit wanted to leave [{low:g}, {high:g}]; clamped to {value:.3g}"
            warnings.append(f"{name}: {note}")
        if note == _TIED:
            warnings.append(f"{name} set to the decode factor's {value:.3g}: {note}")
        elif not identified:
            warnings.append(f"{name} kept at its prior {prior:g}: {note}")
        factors.append(
            FactorFit(
                name=name,
                value=value,
                prior=prior,
                low=low,
                high=high,
                uncertainty=jackknife(index) if identified else None,
                identified=identified,
                clamped=clamped,
                note=note,
            )
        )
    warnings.extend(_contradictions(pts))

    rows = []
    for i, (point, base) in enumerate(zip(pts, bases, strict=True)):
        for metric, measured in _measured(point).items():
            before = base.figures.get(metric)
            after = base.predict(metric, d, p, f, s)
            if before is None or after is None:
                continue
            rows.append(
                PointError(point.label, metric, measured, before, after, loo_predictions.get((i, metric)))
            )
    profile = CalibrationProfile(
        decode_factor=d, prefill_factor=p, frontend_ms=f, decode_ms_per_seq=s, **profile_fields
    )
    return CalibrationFit(profile=profile, factors=tuple(factors), rows=tuple(rows), warnings=tuple(warnings))


def _sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fit_calibration(
    files: Sequence[str | os.PathLike[str]],
    *,
    model: str,
    gpu: str,
    num_gpus: int,
    tp: int,
    precision: str | None = None,
    engine: str = "vllm",
    serving_model: str = "simulated",
) -> CalibrationFit:
    """Read ``files``, estimate each point on the given layout, and fit the factors."""
    if not files:
        raise InvalidArgumentError("calibrate needs at least one benchmark result file")
    points: list[MeasuredPoint] = []
    inputs = []
    for path in files:
        found = read_results(path)
        points.extend(found)
        inputs.append(
            {
                "file": Path(path).name,
                "sha256": _sha256(path),
                "format": found[0].format,
                "points": len(found),
            }
        )
    records = [
        estimate_point(
            pt,
            model=model,
            gpu=gpu,
            num_gpus=num_gpus,
            tp=tp,
            precision=precision,
            engine=engine,
            serving_model=serving_model,
        )
        for pt in points
    ]
    gpu_name = records[0].gpu if records else gpu
    model_id = records[0].model_id if records else model
    fit = fit_points(
        points,
        records,
        profile_fields={
            "model_id": model_id,
            "gpu": gpu_name,
            "num_gpus": num_gpus,
            "tp": tp,
            "engine": engine,
            "precision": precision,
        },
    )
    mismatched = sorted({pt.model_id for pt in points if pt.model_id and pt.model_id != model_id})
    extra = tuple(f"the result files name model {m}, calibrating {model_id}" for m in mismatched)
    return attrs.evolve(fit, inputs=tuple(inputs), warnings=(*fit.warnings, *extra))


# -- profiles as JSON -----------------------------------------------------------------------------


def profile_to_json(fit: CalibrationFit) -> dict[str, Any]:
    """The versioned profile document ``calibrate -o`` writes."""
    p = fit.profile
    return {
        "schema": PROFILE_SCHEMA,
        "schema_version": PROFILE_SCHEMA_VERSION,
        "created_by": f"config-explorer {__version__}",
        "model": p.model_id,
        "gpu": p.gpu,
        "num_gpus": p.num_gpus,
        "tp": p.tp,
        "engine": p.engine,
        "precision": p.precision,
        "factors": {
            f.name: {
                "value": f.value,
                "uncertainty": f.uncertainty,
                "prior": f.prior,
                "bounds": [f.low, f.high],
                "identified": f.identified,
                "clamped": f.clamped,
                "note": f.note,
            }
            for f in fit.factors
        },
        "fit": {
            "points": len({row.point for row in fit.rows}),
            "median_abs_error_before": fit.median_error("before"),
            "median_abs_error_after": fit.median_error("after"),
            "median_abs_error_leave_one_out": fit.median_error("loo"),
        },
        "inputs": list(fit.inputs),
        "warnings": list(fit.warnings),
    }


def write_profile(fit: CalibrationFit, path: str | os.PathLike[str]) -> Path:
    return write_text(path, json.dumps(profile_to_json(fit), indent=2) + "\n", what="calibration profile")


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], shown: str) -> Any:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ParseError(f"{shown}: field {key!r} is missing or of the wrong kind")
    return value


def load_profile(path: str | os.PathLike[str]) -> CalibrationProfile:
    """Read a profile written by ``config-explorer calibrate`` (schema versions 1 and 2)."""
    shown = Path(path).name
    data = read_json(path, what="calibration profile", limit_bytes=SPEC_LIMIT_BYTES, error=ParseError)
    if not isinstance(data, Mapping) or data.get("schema") != PROFILE_SCHEMA:
        raise ParseError(f"{shown}: not a config-explorer calibration profile (field 'schema')")
    version = data.get("schema_version")
    if isinstance(version, bool) or version not in READABLE_SCHEMA_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_SCHEMA_VERSIONS)
        raise ParseError(
            f"{shown}: field 'schema_version' is {version!r}; this config-explorer reads versions {readable}"
        )
    factors = _field(data, "factors", Mapping, shown)
    values = {}
    for name in FACTORS if version >= 2 else FACTORS[:3]:
        entry = _field(factors, name, Mapping, f"{shown}: factors")
        values[name] = float(_field(entry, "value", (int, float), f"{shown}: factors.{name}"))
    precision = data.get("precision")
    try:
        return CalibrationProfile(
            model_id=_field(data, "model", str, shown),
            gpu=_field(data, "gpu", str, shown),
            num_gpus=_field(data, "num_gpus", int, shown),
            tp=_field(data, "tp", int, shown),
            engine=_field(data, "engine", str, shown),
            precision=precision if isinstance(precision, str) else None,
            source=shown,
            **values,
        )
    except InvalidArgumentError as exc:
        raise ParseError(f"{shown}: {exc}") from None


# -- validation -----------------------------------------------------------------------------------


def validate_points(
    points: Iterable[MeasuredPoint],
    *,
    model: str,
    gpu: str,
    num_gpus: int,
    tp: int,
    precision: str | None = None,
    engine: str = "vllm",
    serving_model: str = "simulated",
    calibration: CalibrationProfile | Sequence[CalibrationProfile] | None = None,
) -> list[PointError]:
    """The error of each measured figure of each point (``after`` = calibrated, ``before`` = not)."""
    rows = []
    for point in points:
        record = estimate_point(
            point,
            model=model,
            gpu=gpu,
            num_gpus=num_gpus,
            tp=tp,
            precision=precision,
            engine=engine,
            serving_model=serving_model,
        )
        if record.error is not None:
            continue
        calibrated = apply_calibration(record, calibration) if calibration else record
        before, after = _estimated(record), _estimated(calibrated)
        for metric, measured in _measured(point).items():
            if metric in before and metric in after:
                rows.append(PointError(point.label, metric, measured, before[metric], after[metric]))
    return rows
