"""The one protocol every estimation backend implements, and the request it receives."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.records import PerformanceEstimate, SweepResult
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.sweep import DEFAULT_LEVELS, sweep
from config_explorer.engine.traffic import SharedPrefix, Traffic

__all__ = ["Backend", "EstimateRequest", "sweep_with"]


@attrs.frozen(kw_only=True)
class EstimateRequest:
    """One configuration to estimate, in our names (backends map them onto their own)."""

    arch: ModelArchitecture
    gpu: GPUSpec
    num_gpus: int = 1
    #: ``None``: the backend picks (native: the smallest TP that fits)
    tp: int | None = None
    pp: int = 1
    #: expert-parallel ranks and attention groups per stage (MoE models; native engine), and the busiest
    #: expert-parallel rank's load over the mean (None: the engine's stated default)
    ep: int = 1
    dp_attention: int = 1
    redundant_experts: int = 0
    expert_imbalance: float | None = None
    #: native engine: the coefficient of variation of the experts' popularity the traffic routes by (None: the
    #: engine's stated default; 0: uniform routing)
    expert_popularity_cv: float | None = None
    #: native engine: two micro-batches per step overlapping the MoE token exchange (needs dp_attention > 1)
    two_batch_overlap: bool = False
    #: native engine, vLLM: front-end processes streaming each replica's output (``--api-server-count``;
    #: None: vLLM's default, one per data-parallel rank)
    api_server_count: int | None = None
    #: native engine: the engine's options that hold new requests back to batch them (SGLang's
    #: ``--scheduler-recv-interval``, TensorRT-LLM's batch waiting; None: the engine's defaults)
    engine_options: EngineOptions | None = None
    precision: str | None = None
    kv_precision: str | None = None
    input_length: int
    output_length: int
    concurrency: int = 1
    engine: str = "vllm"
    #: ``None``: the engine's own default (vLLM 0.9, 0.92 from 0.21; SGLang its mem_fraction_static formula)
    gpu_memory_utilization: float | None = None
    max_num_batched_tokens: int | None = None
    max_num_seqs: int | None = None
    max_model_len: int | None = None
    #: native engine: "simulated" (the scheduler stepped request by request) or "analytic" (closed form)
    serving_model: str = "simulated"
    #: native engine, analytic model: the closed loop's identical requests move in lockstep, as a benchmark's
    #: synchronized clients do (False: their arrivals fall at random, as the recommender's judge has them)
    lockstep: bool = True
    #: native engine, simulated model: where a closed loop of fixed lengths moved in lockstep, run it again with
    #: lengths drawn within +-5% and warn where the mean TTFTs differ much (False: skip that second run)
    check_lockstep: bool = True
    #: the native engine's traffic beyond a closed loop of fixed lengths (arrivals, distributions)
    traffic: Traffic | None = None
    #: native engine: speculative decoding (None: off), checked for the model and engine
    speculative: SpeculativeConfig | None = None
    #: native engine: shared prompt prefixes the prefix cache reuses, applied to ``traffic`` (or to the
    #: closed loop the request states) when that has none
    prefix: SharedPrefix | None = None
    #: let a backend fetch the model config from the Hugging Face hub itself (network)
    allow_hub: bool = False


@runtime_checkable
class Backend(Protocol):
    """Estimates configurations. ``estimate`` never raises for a configuration that merely does not fit
    or that the backend cannot handle: the record's ``error`` says why. It raises our errors for
    invalid arguments."""

    name: str

    def estimate(self, request: EstimateRequest) -> PerformanceEstimate: ...

    def describe(self) -> dict[str, object]:
        """What this backend is: name, version, whether it is usable here and why not."""
        ...


def sweep_with(
    backend: Backend, request: EstimateRequest, levels: tuple[int, ...] = DEFAULT_LEVELS
) -> SweepResult:
    """Concurrency sweep of ``request`` through any backend."""
    return sweep(lambda c: backend.estimate(attrs.evolve(request, concurrency=c)), levels)
