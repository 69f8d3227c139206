"""GPURecommender: the multi-model x multi-GPU comparison of the earlier tool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from config_explorer import validation
from config_explorer._json import finite_or_null
from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture
from config_explorer.backends import Backend, get_backend
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.slo import check_slos
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.traffic import SharedPrefix
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import (
    SETTING_NAMES,
    ModelLike,
    checked_settings,
    estimate_performance,
    native_only_features,
    resolve_model,
)
from config_explorer.recommender.speculation import checked_prefix

__all__ = ["GPURecommendation", "GPURecommender"]

_UNITS = {
    "output_throughput_tok_s": "tok/s",
    "output_throughput_tok_s_per_gpu": "tok/s per GPU",
    "e2e_latency_s": "s",
    "ttft_ms": "ms",
    "itl_ms": "ms",
}
_METRICS = {
    "throughput": ("output_throughput_tok_s", True),
    "throughput_per_gpu": ("output_throughput_tok_s_per_gpu", True),
    "latency": ("e2e_latency_s", False),
    "e2e_latency": ("e2e_latency_s", False),
    "ttft": ("ttft_ms", False),
    "itl": ("itl_ms", False),
}


@attrs.frozen(kw_only=True)
class GPURecommendation:
    """The best GPU for one model, and the estimate for every GPU tried."""

    model_id: str
    input_length: int
    output_length: int
    num_gpus: int
    metric: str
    best_gpu: str | None
    best_estimate: PerformanceEstimate | None
    analysis: dict[str, PerformanceEstimate] = attrs.field(eq=False)
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: a non-finite figure is ``None`` with a ``<field>_note`` beside it."""
        data = {
            "model_id": self.model_id,
            "input_length": self.input_length,
            "output_length": self.output_length,
            "num_gpus": self.num_gpus,
            "metric": self.metric,
            "best_gpu": self.best_gpu,
            "reason": self.reason,
            "best_estimate": self.best_estimate.to_dict() if self.best_estimate else None,
            "analysis": {gpu: e.to_dict() for gpu, e in self.analysis.items()},
        }
        clean: dict[str, Any] = finite_or_null(data)
        return clean


class GPURecommender:
    """Compare GPUs for several models at one workload: ``recommend_gpus(models, gpus, num_gpus, metric)``.

    Each model is estimated on each GPU at ``num_gpus`` GPUs (the smallest TP that fits, the rest
    replicas) and ``concurrency`` requests in flight; the best fitting GPU by ``metric`` wins. A model
    that fits on none gets a recommendation saying so and the smallest GPU count that would fit.
    ``speculative`` and ``prefix`` turn on speculative decoding and shared prompt prefixes for every
    estimate, as in :func:`~config_explorer.recommender.estimate_performance` (``backend="auto"`` then
    picks the native engine, the one that models them).
    """

    def __init__(
        self,
        input_len: int = 1024,
        output_len: int = 256,
        *,
        concurrency: int = 32,
        backend: str | Backend = "auto",
        max_ttft_ms: float | None = None,
        max_itl_ms: float | None = None,
        max_e2e_latency_s: float | None = None,
        constraints: str | None = None,
        precision: str | None = None,
        speculative: SpeculativeConfig | str | None = None,
        prefix: SharedPrefix | None = None,
        **knobs: Any,
    ) -> None:
        unknown = sorted(set(knobs) - SETTING_NAMES)
        if unknown:
            raise InvalidArgumentError(
                f"unknown keyword argument(s) {', '.join(unknown)}; accepted: {', '.join(sorted(SETTING_NAMES))}"
            )
        settings = checked_settings(
            input_length=input_len,
            output_length=output_len,
            batch_size=concurrency,
            precision=precision,
            **knobs,
        )
        self.input_len: int = settings["input_length"]
        self.output_len: int = settings["output_length"]
        self.concurrency: int = settings["concurrency"]
        self.prefix = checked_prefix(prefix, self.input_len, settings.get("traffic"))
        if isinstance(speculative, str):
            SpeculativeConfig.of(speculative)  # an unknown method fails here, not on every estimate
        elif speculative is not None and not isinstance(speculative, SpeculativeConfig):
            raise InvalidArgumentError(
                f"speculative must be a method name or a SpeculativeConfig, got {short_repr(speculative)}"
            )
        # a method name is resolved per model (its published defaults for that model's family)
        self.speculative = speculative
        checked = validation.backend(backend)
        needs = native_only_features(speculative, self.prefix)
        self.backend = get_backend(checked, None, needs) if isinstance(checked, str) else checked
        self.slos = validation.slo_constraints(
            constraints, max_ttft_ms, max_itl_ms, max_e2e_latency_s, "mean"
        )
        self.precision: str | None = settings["precision"]
        self.knobs: Mapping[str, Any] = knobs

    def recommend_gpus(
        self,
        models: Sequence[ModelLike],
        gpus: Sequence[str | GPUSpec],
        num_gpus: int = 1,
        metric: str = "throughput",
    ) -> list[GPURecommendation]:
        key = validation.text("metric", metric, ", ".join(_METRICS)).lower().replace("-", "_")
        if key not in _METRICS:
            raise InvalidArgumentError(
                f"unknown metric {short_repr(metric)}; accepted: {', '.join(_METRICS)}"
            )
        specs = validation.gpu_list(gpus)
        if specs is None:
            raise InvalidArgumentError("gpus must be a non-empty list of GPU names or specs, got None")
        count = validation.num_gpus(num_gpus)
        listed = [models] if isinstance(models, (str, ModelArchitecture)) else models
        if not isinstance(listed, Sequence) or not listed:
            raise InvalidArgumentError(
                f"models must be a non-empty list of model ids, got {short_repr(models)}"
            )
        archs = [resolve_model(validation.model(m)) for m in listed]
        return [self._one(arch, specs, count, key) for arch in archs]

    def _one(self, arch: Any, specs: Sequence[GPUSpec], num_gpus: int, metric: str) -> GPURecommendation:
        field, higher = _METRICS[metric]
        analysis: dict[str, PerformanceEstimate] = {}
        usable: list[tuple[float, str]] = []
        for spec in specs:
            est = estimate_performance(
                arch,
                spec,
                num_gpus,
                None,
                self.input_len,
                self.output_len,
                self.concurrency,
                self.backend,
                precision=self.precision,
                speculative=self.speculative,
                prefix=self.prefix,
                **self.knobs,
            )
            misses = check_slos(est, self.slos) if est.ok else []
            if misses:
                est = attrs.evolve(est, error="misses SLO: " + "; ".join(misses))
            analysis[spec.name] = est
            value = getattr(est, field)
            if est.ok and not misses and value is not None:
                usable.append((-value if higher else value, spec.name))
        best: str | None = None
        if usable:
            usable.sort()
            best = usable[0][1]
            value = getattr(analysis[best], field)
            reason = (
                f"{best} gives the best {metric} ({value:,.1f} {_UNITS[field]}) "
                f"among {len(usable)} GPU(s) that fit at {num_gpus} GPU(s)"
            )
        else:
            reason = self._why_none(arch, specs, num_gpus)
        return GPURecommendation(
            model_id=arch.model_id,
            input_length=self.input_len,
            output_length=self.output_len,
            num_gpus=num_gpus,
            metric=metric,
            best_gpu=best,
            best_estimate=analysis[best] if best else None,
            analysis=analysis,
            reason=reason,
        )

    def _why_none(self, arch: Any, specs: Sequence[GPUSpec], num_gpus: int) -> str:
        smallest = []
        for spec in specs:
            for count in (2, 4, 8, 16, 32, 64):
                if count <= num_gpus:
                    continue
                est = estimate_performance(
                    arch,
                    spec,
                    count,
                    None,
                    self.input_len,
                    self.output_len,
                    1,
                    "native",
                    precision=self.precision,
                    speculative=self.speculative,
                    prefix=self.prefix,
                )
                if est.ok:
                    smallest.append(f"{count} x {spec.name} (tp={est.tp})")
                    break
        fits = "; smallest that fit: " + ", ".join(smallest) if smallest else "; none fits on up to 64 GPUs"
        slo = " or meets the SLOs" if self.slos else ""
        return f"fits on none of {', '.join(s.name for s in specs)} at num_gpus={num_gpus}{slo}{fits}"

    def print_recommendations(self, recommendations: Sequence[GPURecommendation]) -> None:
        from config_explorer.reports import gpu_recommendations_table

        print(gpu_recommendations_table(recommendations))
