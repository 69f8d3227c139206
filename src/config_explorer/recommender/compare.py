"""Two backends side by side on one configuration: what each estimates, their ratio, and why they differ.

``compare_backends("meta-llama/Llama-3.1-8B", "H100")`` runs the native engine and BentoML's
llm-optimizer on the same request (same model, GPUs, layout, lengths and concurrency) and returns a
:class:`BackendComparison`: one :class:`FigureComparison` per headline figure with the ratio
other / baseline, and the other backend's own notes, which say where its method departs from the
model's real architecture (the weights it reads per step, its KV-cache size, how it reads GPU memory).
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from config_explorer.backends import Backend, get_backend
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import ModelLike, estimate_performance, resolve_model

#: the figures compared, in the order they are printed
COMPARED_FIGURES: Final = (
    "ttft_ms",
    "itl_ms",
    "e2e_latency_s",
    "output_throughput_tok_s",
    "output_throughput_tok_s_per_gpu",
    "requests_per_s",
    "max_concurrency_kv",
)


@attrs.frozen
class FigureComparison:
    """One figure from both backends; ``ratio`` is other / baseline (None when either is missing or 0)."""

    figure: str
    baseline: float | None
    other: float | None
    ratio: float | None


@attrs.frozen
class BackendComparison:
    """``baseline`` and ``other`` estimated on the same request, figure by figure."""

    baseline: PerformanceEstimate
    other: PerformanceEstimate
    figures: tuple[FigureComparison, ...]
    #: why the two differ: the layout shared between them and the other backend's notes on its method
    reasons: tuple[str, ...]

    def figure(self, name: str) -> FigureComparison:
        """The comparison of ``name`` (one of :data:`COMPARED_FIGURES`)."""
        for item in self.figures:
            if item.figure == name:
                return item
        raise InvalidArgumentError(
            f"unknown figure {name!r}; compared figures: {', '.join(COMPARED_FIGURES)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON-ready: both records, the figures with their ratios, the reasons."""
        return {
            "baseline": self.baseline.to_dict(),
            "other": self.other.to_dict(),
            "figures": [attrs.asdict(f) for f in self.figures],
            "reasons": list(self.reasons),
        }


def _number(record: PerformanceEstimate, name: str) -> float | None:
    value = getattr(record, name)
    return None if value is None or not record.ok else float(value)


def compare_records(
    baseline: PerformanceEstimate, other: PerformanceEstimate
) -> tuple[FigureComparison, ...]:
    """Figure by figure comparison of two records (ratio other / baseline)."""
    rows = []
    for name in COMPARED_FIGURES:
        ours, theirs = _number(baseline, name), _number(other, name)
        ratio = theirs / ours if ours and theirs is not None else None
        rows.append(FigureComparison(figure=name, baseline=ours, other=theirs, ratio=ratio))
    return tuple(rows)


def compare_backends(
    model_id: ModelLike,
    gpu_name: str,
    num_gpus: int = 1,
    tensor_parallel_size: int | None = None,
    input_length: int = 1024,
    output_length: int = 256,
    concurrency: int = 1,
    *,
    baseline: str | Backend = "native",
    other: str | Backend = "llm-optimizer",
    **settings: Any,
) -> BackendComparison:
    """Estimate one configuration with ``baseline`` and ``other`` and compare them figure by figure.

    Both backends are resolved first, so an unavailable one raises
    :class:`~config_explorer.errors.BackendUnavailableError` before anything is estimated. When
    ``tensor_parallel_size`` is None the baseline picks the layout and the other backend is asked for
    the same one, so the two answer the same question. ``settings`` are the keyword settings of
    :func:`~config_explorer.recommender.estimate_performance` (precision, engine, ...); a failed
    estimate on either side is carried in its record's ``error``, not raised.
    """
    arch = resolve_model(model_id)
    first = get_backend(baseline, arch) if isinstance(baseline, str) else baseline
    second = get_backend(other, arch) if isinstance(other, str) else other
    common = {
        "input_length": input_length,
        "output_length": output_length,
        "concurrency": concurrency,
        **settings,
    }
    ours = estimate_performance(arch, gpu_name, num_gpus, tensor_parallel_size, backend=first, **common)
    reasons: list[str] = []
    tp = tensor_parallel_size
    if tp is None and ours.ok:
        tp = ours.tp
        reasons.append(f"tp not given: both backends estimated at {first.name}'s choice, tp={tp}")
    theirs = estimate_performance(arch, gpu_name, num_gpus, tp, backend=second, **common)
    reasons.extend(theirs.backend_notes)
    return BackendComparison(
        baseline=ours, other=theirs, figures=compare_records(ours, theirs), reasons=tuple(reasons)
    )
