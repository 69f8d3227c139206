"""The native backend: config-explorer's own roofline and serving model (no network, microseconds)."""

from __future__ import annotations

import attrs

from config_explorer.backends.base import EstimateRequest
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Traffic

__all__ = ["NativeBackend"]


def _with_prefix(request: EstimateRequest) -> Traffic | None:
    """The request's traffic, carrying its shared prefixes (a closed loop of its lengths when it states none)."""
    traffic, prefix = request.traffic, request.prefix
    if prefix is None or (traffic is not None and traffic.prefix is not None):
        return traffic
    if traffic is None:
        return Traffic.closed_loop(
            request.input_length, request.output_length, request.concurrency, prefix=prefix
        )
    return attrs.evolve(traffic, prefix=prefix)


class NativeBackend:
    name = "native"

    def estimate(self, request: EstimateRequest) -> PerformanceEstimate:
        return estimate(
            request.arch,
            request.gpu,
            num_gpus=request.num_gpus,
            tp=request.tp,
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
            concurrency=request.concurrency,
            engine=request.engine,
            gpu_memory_utilization=request.gpu_memory_utilization,
            max_num_batched_tokens=request.max_num_batched_tokens,
            max_num_seqs=request.max_num_seqs,
            max_model_len=request.max_model_len,
            serving_model=request.serving_model,
            lockstep=request.lockstep,
            check_lockstep=request.check_lockstep,
            traffic=_with_prefix(request),
            speculative=request.speculative,
            api_server_count=request.api_server_count,
            engine_options=request.engine_options,
        )

    def describe(self) -> dict[str, object]:
        from config_explorer import __version__

        return {"name": self.name, "available": True, "version": __version__, "detail": "built in"}
