"""A calibration measured by the user (``config-explorer calibrate``), and how it rescales an estimate.

A profile holds four factors fitted to the user's own benchmark results for one model x GPU x layout:

- ``decode_factor`` multiplies the time of each decode step: ITL and TPOT (and their percentiles);
- ``decode_ms_per_seq`` adds a time per running sequence to each decode step: what grows with the batch
  and the model does not see (host-side sampling and output processing, streaming each token back);
- ``prefill_factor`` multiplies the estimated TTFT (the prompt's compute-bound prefill, and what waits
  behind it);
- ``frontend_ms`` adds a fixed per-request time to TTFT (HTTP, tokenizer, detokenizer, scheduling the
  request: what the engine model does not see).

Applying a profile rescales the estimate's *outputs*, consistently: TTFT = prefill x TTFT + front-end,
ITL/TPOT = decode x ITL/TPOT + per-sequence time x the estimate's mean decode batch,
E2E = TTFT + (output - 1) x TPOT, and the throughputs follow from Little's law (a closed loop or an
offline batch keeps its requests in flight, so throughput scales by the old over the new E2E; a Poisson
stream keeps its arrival rate, so throughput is unchanged). This is exactly what the fit minimised, so on
the configuration it was fitted on the calibrated figures are the fitted ones. Elsewhere (other lengths,
loads, models, layouts on the same GPU type) it assumes the estimate's error is a constant ratio per phase
(plus a time per running sequence), which is what the hold-out benchmark
(``benchmarks/calibration_holdout.py``) measures. It does not feed the factors back into the scheduler: a
slower decode at a fixed Poisson rate would queue more than the rescaled figures show.

A profile measured on one GPU type applies to that GPU type only; on another it is not applied and the
record's ``warnings`` say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import attrs

from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "DECODE_FACTOR_RANGE",
    "DECODE_MS_PER_SEQ_RANGE",
    "FRONTEND_MS_RANGE",
    "PREFILL_FACTOR_RANGE",
    "CalibrationProfile",
    "apply_calibration",
    "choose_profile",
]

#: physical bounds of the fitted factors: a measured engine 3x slower or faster than the roofline model
#: is a different engine or a broken measurement, not something a factor should absorb
DECODE_FACTOR_RANGE: Final = (0.3, 3.0)
PREFILL_FACTOR_RANGE: Final = (0.3, 3.0)
#: time per running sequence per decode step the model does not see, ms: none to 1 ms (an old engine's
#: Python output processing costs a few tenths of a millisecond per sequence; more is not host time)
DECODE_MS_PER_SEQ_RANGE: Final = (0.0, 1.0)
#: per-request front-end time: 0 (none) to half a second (a slow tokenizer on long prompts, a proxy hop)
FRONTEND_MS_RANGE: Final = (0.0, 500.0)


def _in_range(low: float, high: float) -> attrs.validators._ValidatorType[float]:  # type: ignore[name-defined]
    def check(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise InvalidArgumentError(
                f"{attribute.name} must be a number in [{low:g}, {high:g}], got {value!r}"
            )

    return check


@attrs.frozen(kw_only=True)
class CalibrationProfile:
    """Factors fitted to measured points of one model on ``num_gpus`` x ``gpu`` at tensor parallel ``tp``."""

    model_id: str
    gpu: str
    num_gpus: int
    tp: int
    engine: str = "vllm"
    precision: str | None = None
    decode_factor: float = attrs.field(default=1.0, validator=_in_range(*DECODE_FACTOR_RANGE))
    prefill_factor: float = attrs.field(default=1.0, validator=_in_range(*PREFILL_FACTOR_RANGE))
    frontend_ms: float = attrs.field(default=0.0, validator=_in_range(*FRONTEND_MS_RANGE))
    decode_ms_per_seq: float = attrs.field(default=0.0, validator=_in_range(*DECODE_MS_PER_SEQ_RANGE))
    #: where it came from (the profile file's name), for messages
    source: str = ""

    def describe(self) -> str:
        return (
            f"decode x{self.decode_factor:.3g} +{self.decode_ms_per_seq:.3g} ms per sequence, "
            f"prefill x{self.prefill_factor:.3g}, front-end +{self.frontend_ms:.3g} ms"
        )


def choose_profile(
    record: PerformanceEstimate, profiles: Sequence[CalibrationProfile]
) -> tuple[CalibrationProfile | None, list[str]]:
    """The profile for ``record``'s GPU (the closest match in model and layout), and what to warn."""
    same_gpu = [p for p in profiles if p.gpu == record.gpu]
    if not same_gpu:
        measured = ", ".join(sorted({p.gpu for p in profiles}))
        return None, [
            f"calibration not applied: the profile(s) were measured on {measured}, not {record.gpu}"
        ]

    def closeness(p: CalibrationProfile) -> tuple[bool, bool, bool]:
        return (
            p.model_id == record.model_id,
            (p.num_gpus, p.tp) == (record.num_gpus, record.tp),
            p.engine == record.engine,
        )

    best = max(same_gpu, key=closeness)
    notes = []
    if best.model_id != record.model_id:
        notes.append(f"calibration fitted on model {best.model_id}, applied to {record.model_id}")
    if (best.num_gpus, best.tp) != (record.num_gpus, record.tp):
        notes.append(
            f"calibration fitted on {best.num_gpus} GPUs at TP{best.tp}, applied at {record.num_gpus} GPUs TP{record.tp}"
        )
    if best.engine != record.engine:
        notes.append(f"calibration fitted on engine {best.engine}, applied to {record.engine}")
    return best, notes


def decode_batch(record: PerformanceEstimate) -> float:
    """The mean number of sequences in a decode step of one replica (the record's, else its concurrency)."""
    batch = record.decode_batch_per_replica
    if batch is None or batch <= 0:
        batch = record.concurrency / max(record.replicas, 1)
    return max(float(batch), 1.0)


def _scaled(value: float | None, factor: float, offset: float = 0.0) -> float | None:
    return None if value is None else value * factor + offset


def apply_calibration(
    record: PerformanceEstimate, profiles: CalibrationProfile | Sequence[CalibrationProfile] | None
) -> PerformanceEstimate:
    """``record`` with the matching profile's factors applied (see the module's docstring)."""
    if profiles is None:
        return record
    chosen_list = [profiles] if isinstance(profiles, CalibrationProfile) else list(profiles)
    if not chosen_list or record.error is not None or record.ttft_ms is None:
        return record
    profile, notes = choose_profile(record, chosen_list)
    if profile is None:
        return attrs.evolve(record, warnings=(*record.warnings, *notes))
    return rescale(
        record,
        profile.decode_factor,
        profile.prefill_factor,
        profile.frontend_ms,
        profile.decode_ms_per_seq,
        notes=(
            f"calibrated ({profile.describe()}{', from ' + profile.source if profile.source else ''})",
            *notes,
        ),
    )


def rescale(
    record: PerformanceEstimate,
    decode_factor: float,
    prefill_factor: float,
    frontend_ms: float,
    decode_ms_per_seq: float = 0.0,
    *,
    notes: Sequence[str] = (),
) -> PerformanceEstimate:
    """``record`` with TTFT = prefill x TTFT + front-end, ITL/TPOT = decode x ITL/TPOT + per-sequence time x
    the mean decode batch, E2E and throughputs consistent."""
    d, p, f = decode_factor, prefill_factor, frontend_ms
    ttft = record.ttft_ms
    assert ttft is not None
    new_ttft = p * ttft + f
    s = decode_ms_per_seq * decode_batch(record)
    per_token = record.tpot_ms if record.tpot_ms is not None else record.itl_ms
    decode_steps = max(record.output_length - 1, 0)
    e2e = record.e2e_latency_s
    new_e2e = None
    if e2e is not None:
        added_ms = (new_ttft - ttft) + (
            0.0 if per_token is None else decode_steps * (per_token * (d - 1.0) + s)
        )
        new_e2e = max(e2e + added_ms / 1000.0, 1e-6)
    e2e_ratio = 1.0 if e2e is None or new_e2e is None or e2e <= 0 else new_e2e / e2e
    # Little's law: requests in flight fixed (closed loop, offline) => rate scales by 1 / E2E ratio
    throughput_ratio = 1.0 if record.arrival == "poisson" else 1.0 / e2e_ratio
    if not math.isfinite(throughput_ratio):
        throughput_ratio = 1.0
    return attrs.evolve(
        record,
        ttft_ms=new_ttft,
        ttft_p50_ms=_scaled(record.ttft_p50_ms, p, f),
        ttft_p90_ms=_scaled(record.ttft_p90_ms, p, f),
        ttft_p95_ms=_scaled(record.ttft_p95_ms, p, f),
        ttft_p99_ms=_scaled(record.ttft_p99_ms, p, f),
        itl_ms=_scaled(record.itl_ms, d, s),
        itl_p50_ms=_scaled(record.itl_p50_ms, d, s),
        itl_p90_ms=_scaled(record.itl_p90_ms, d, s),
        itl_p95_ms=_scaled(record.itl_p95_ms, d, s),
        itl_p99_ms=_scaled(record.itl_p99_ms, d, s),
        tpot_ms=_scaled(record.tpot_ms, d, s),
        tpot_p50_ms=_scaled(record.tpot_p50_ms, d, s),
        tpot_p90_ms=_scaled(record.tpot_p90_ms, d, s),
        tpot_p95_ms=_scaled(record.tpot_p95_ms, d, s),
        tpot_p99_ms=_scaled(record.tpot_p99_ms, d, s),
        e2e_latency_s=new_e2e,
        e2e_latency_p50_s=_scaled(record.e2e_latency_p50_s, e2e_ratio),
        e2e_latency_p90_s=_scaled(record.e2e_latency_p90_s, e2e_ratio),
        e2e_latency_p95_s=_scaled(record.e2e_latency_p95_s, e2e_ratio),
        e2e_latency_p99_s=_scaled(record.e2e_latency_p99_s, e2e_ratio),
        output_throughput_tok_s=_scaled(record.output_throughput_tok_s, throughput_ratio),
        input_throughput_tok_s=_scaled(record.input_throughput_tok_s, throughput_ratio),
        requests_per_s=_scaled(record.requests_per_s, throughput_ratio),
        output_throughput_tok_s_per_gpu=_scaled(record.output_throughput_tok_s_per_gpu, throughput_ratio),
        input_throughput_tok_s_per_gpu=_scaled(record.input_throughput_tok_s_per_gpu, throughput_ratio),
        warnings=(*record.warnings, *notes),
    )
