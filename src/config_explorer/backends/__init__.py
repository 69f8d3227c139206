"""Estimation backends, chosen by name: ``native``, ``llm-optimizer`` or ``auto``.

Higher layers (recommender, CLI) go through :func:`get_backend` only; backend modules are
imported here lazily, so importing config_explorer never imports llm-optimizer.
"""

from __future__ import annotations

import logging

import attrs

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


class _AutoFallback:
    """``auto`` when BentoML's llm-optimizer is not usable: native, with the reason on every record."""

    def __init__(self, reason: str) -> None:
        from config_explorer.backends.native import NativeBackend

        self._native = NativeBackend()
        self.name = "native"
        self.reason = reason

    def estimate(self, request: EstimateRequest) -> PerformanceEstimate:
        record = self._native.estimate(request)
        note = f"backend=auto chose native: {self.reason}"
        return attrs.evolve(record, backend_notes=(*record.backend_notes, note))

    def describe(self) -> dict[str, object]:
        return {**self._native.describe(), "auto_reason": self.reason}


def get_backend(name: str = "auto") -> Backend:
    """The backend called ``name``.

    ``auto`` is BentoML's llm-optimizer when the real package is importable, else the native
    engine (logged at INFO, and recorded in each estimate's ``backend_notes``).
    ``llm-optimizer`` raises :class:`BackendUnavailableError` when it is missing or the wrong
    package is installed.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key in ("native", "roofline"):
        from config_explorer.backends.native import NativeBackend

        return NativeBackend()
    if key in ("llm-optimizer", "llmoptimizer", "bentoml"):
        from config_explorer.backends.llm_optimizer import LLMOptimizerBackend

        return LLMOptimizerBackend()
    if key == "auto":
        from config_explorer.backends.llm_optimizer import LLMOptimizerBackend

        try:
            return LLMOptimizerBackend()
        except BackendUnavailableError as exc:
            reason = str(exc).split(". ")[0]
            log.info("backend=auto: using native (%s)", reason)
            return _AutoFallback(reason)
    raise InvalidArgumentError(f"unknown backend {name!r}; accepted: {', '.join(BACKEND_NAMES)}")


def plan_request(request: EstimateRequest) -> Deployment:
    """The native engine's layout and memory plan for ``request`` (no estimate): cheap fit checks."""
    from config_explorer.engine.deployment import plan_deployment

    return plan_deployment(
        request.arch,
        request.gpu,
        num_gpus=request.num_gpus,
        tp=request.tp if request.tp is not None else 1,
        pp=request.pp,
        precision=request.precision,
        kv_precision=request.kv_precision,
        input_length=request.input_length,
        output_length=request.output_length,
        engine=request.engine,
        gpu_memory_utilization=request.gpu_memory_utilization,
        max_num_batched_tokens=request.max_num_batched_tokens,
        max_num_seqs=request.max_num_seqs,
        max_model_len=request.max_model_len,
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
