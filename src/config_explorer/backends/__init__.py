"""Estimation backends, chosen by name: ``native``, ``llm-optimizer`` or ``auto``.

Higher layers (recommender, CLI) go through :func:`get_backend` only; backend modules are
imported here lazily, so importing config_explorer never imports llm-optimizer.
"""

from __future__ import annotations

import logging

import attrs

from config_explorer.architecture import ModelArchitecture
from config_explorer.backends.base import Backend, EstimateRequest, sweep_with
from config_explorer.engine.deployment import Deployment
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import BackendUnavailableError, InvalidArgumentError

__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "EstimateRequest",
    "describe_backends",
    "get_backend",
    "plan_request",
    "sweep_with",
]

log = logging.getLogger("config_explorer.backends")

BACKEND_NAMES = ("native", "llm-optimizer", "auto")


class _AutoChoice:
    """``auto`` resolved for one model: the chosen backend, with the reason on every record."""

    def __init__(self, chosen: Backend, reason: str) -> None:
        self._chosen = chosen
        self.name = chosen.name
        self.reason = reason

    def estimate(self, request: EstimateRequest) -> PerformanceEstimate:
        record = self._chosen.estimate(request)
        note = f"backend=auto chose {self.name}: {self.reason}"
        return attrs.evolve(record, backend_notes=(*record.backend_notes, note))

    def describe(self) -> dict[str, object]:
        return {**self._chosen.describe(), "auto_reason": self.reason}


class _AutoPerModel:
    """``auto`` before the model is known: each request goes to the backend chosen for its model."""

    name = "auto"

    def __init__(self, upstream: Backend) -> None:
        self._upstream = upstream
        self.reason = "llm-optimizer for dense full-attention decoders, native for the rest"

    def estimate(self, request: EstimateRequest) -> PerformanceEstimate:
        return _choose(self._upstream, request.arch).estimate(request)

    def describe(self) -> dict[str, object]:
        return {**self._upstream.describe(), "auto_reason": self.reason}


def _native() -> Backend:
    from config_explorer.backends.native import NativeBackend

    return NativeBackend()


def _choose(upstream: Backend, arch: ModelArchitecture) -> _AutoChoice:
    from config_explorer.backends.llm_optimizer import upstream_limitations

    limits = upstream_limitations(arch)
    if limits:
        return _AutoChoice(
            _native(), f"{arch.model_id} has {', '.join(limits)}, which llm-optimizer's method does not model"
        )
    return _AutoChoice(
        upstream,
        f"llm-optimizer is installed and {arch.model_id} is a dense full-attention decoder it models",
    )


def get_backend(
    name: str = "auto", arch: ModelArchitecture | None = None, features: tuple[str, ...] = ()
) -> Backend:
    """The backend called ``name``.

    ``auto`` picks the backend that can represent the model: BentoML's llm-optimizer when the real
    package is importable and ``arch`` is a dense full-attention decoder (what upstream's method models),
    else the native engine (MoE, MLA, hybrid Mamba / linear attention, sliding windows, or upstream
    missing). The reason is in each estimate's ``backend_notes`` and in the backend's ``reason``.
    Without ``arch``, ``auto`` decides per request. ``features`` names what the estimates need beyond
    a plain closed loop (speculative decoding, prefix caching): ``auto`` then picks the native engine,
    the only one that models them. ``llm-optimizer`` raises
    :class:`BackendUnavailableError` when it is missing or the wrong package is installed; it runs
    upstream on any model, with notes on what upstream's method does with it.
    """
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"backend must be a name ({', '.join(BACKEND_NAMES)}) or a backend object, got {type(name).__name__}"
        )
    key = name.strip().lower().replace("_", "-")
    if key in ("native", "roofline"):
        return _native()
    if key in ("llm-optimizer", "llmoptimizer", "bentoml"):
        from config_explorer.backends.llm_optimizer import LLMOptimizerBackend

        return LLMOptimizerBackend()
    if key == "auto":
        from config_explorer.backends.llm_optimizer import LLMOptimizerBackend

        if features:
            return _AutoChoice(_native(), f"only the native engine models {' and '.join(features)}")

        try:
            upstream = LLMOptimizerBackend()
        except BackendUnavailableError as exc:
            reason = str(exc).split(". ")[0]
            log.info("backend=auto: using native (%s)", reason)
            return _AutoChoice(_native(), reason)
        return _choose(upstream, arch) if arch is not None else _AutoPerModel(upstream)
    raise InvalidArgumentError(f"unknown backend {name!r:.40}; accepted: {', '.join(BACKEND_NAMES)}")


def plan_request(request: EstimateRequest) -> Deployment:
    """The native engine's layout and memory plan for ``request`` (no estimate): cheap fit checks."""
    from config_explorer.engine.deployment import plan_deployment

    return plan_deployment(
        request.arch,
        request.gpu,
        num_gpus=request.num_gpus,
        tp=request.tp if request.tp is not None else 1,
        pp=request.pp,
        ep=request.ep,
        dp_attention=request.dp_attention,
        redundant_experts=request.redundant_experts,
        expert_imbalance=request.expert_imbalance,
        expert_popularity_cv=request.expert_popularity_cv,
        two_batch_overlap=request.two_batch_overlap,
        precision=request.precision,
        kv_precision=request.kv_precision,
        input_length=request.input_length,
        output_length=request.output_length,
        engine=request.engine,
        gpu_memory_utilization=request.gpu_memory_utilization,
        max_num_batched_tokens=request.max_num_batched_tokens,
        max_num_seqs=request.max_num_seqs,
        max_model_len=request.max_model_len,
        speculative=request.speculative,
        api_server_count=request.api_server_count,
        engine_options=request.engine_options,
    )


def describe_backends() -> list[dict[str, object]]:
    """Every backend with its status (installed, wrong package, version), for ``config-explorer backends``."""
    from config_explorer.backends.llm_optimizer import describe_llm_optimizer
    from config_explorer.backends.llm_optimizer_text import llm_optimizer_cli_path
    from config_explorer.backends.native import NativeBackend

    cli = llm_optimizer_cli_path()
    return [
        NativeBackend().describe(),
        describe_llm_optimizer(),
        {
            "name": "llm-optimizer-cli",
            "available": cli is not None,
            "path": cli,
            "detail": "the `llm-optimizer` command line on PATH (config_explorer.backends.llm_optimizer_text)",
        },
    ]
