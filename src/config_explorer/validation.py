"""The argument boundary: every value a caller passes to the public API or the CLI, checked once.

Why here and not deep in the engine: a value the engine cannot use (an unknown precision, a negative
concurrency, an infinite price) must stop the call at once with a message that names the value and
what is accepted. Checked per layout instead, it turns into the same rejection reason on every layout
of a search, and a recommendation that exits 0 saying nothing fits. So ``estimate_performance``,
``estimate_performance_batch``, ``recommend_gpus``, ``GPURecommender`` and the CLI pass their
arguments through these functions before any work; the engine keeps its own checks as a second line.

Each validator returns the value in canonical form (an engine alias resolved, a precision
normalised, an int for a count) or raises :class:`~config_explorer.errors.InvalidArgumentError`.
Every bound is a named constant below, with the reason it is where it is; messages quote it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from config_explorer._util import short_repr
from config_explorer.engine.traffic import MAX_REQUEST_TOKENS, MAX_SIMULATED_REQUESTS
from config_explorer.errors import InvalidArgumentError
from config_explorer.precision import normalize_precision

if TYPE_CHECKING:
    from config_explorer.architecture import ModelArchitecture
    from config_explorer.catalogs.gpus import GPUSpec
    from config_explorer.engine.options import EngineOptions
    from config_explorer.engine.slo import SLOConstraint
    from config_explorer.engine.traffic import Traffic

__all__ = [
    "ENGINES",
    "KV_PRECISIONS",
    "MAX_CONCURRENCY",
    "MAX_GPU_PRICE_USD_HOUR",
    "MAX_NUM_GPUS",
    "MAX_NUM_SEQS",
    "MAX_REQUEST_RATE",
    "MAX_SEARCH_GPUS",
    "MAX_SEED",
    "MAX_SLO_MS",
    "MAX_TARGET_OUTPUT_TOK_S",
    "MAX_TARGET_REQUESTS_PER_S",
    "MAX_TOKENS",
    "MIN_GPU_PRICE_USD_HOUR",
    "backend",
    "callback",
    "check_fits_model",
    "check_token_budget",
    "concurrency",
    "engine",
    "engine_limits",
    "flag",
    "gpu",
    "gpu_costs",
    "gpu_list",
    "gpu_memory_utilization",
    "gpu_price",
    "integer",
    "judged_concurrency",
    "kv_precision",
    "model",
    "num_gpus",
    "number",
    "optional_integer",
    "optional_number",
    "parallel_degree",
    "precision",
    "request_lengths",
    "search_gpus",
    "serving_model",
    "slo_constraints",
    "target_output_tok_s",
    "target_requests_per_s",
    "text",
    "traffic",
]

#: GPUs in one estimated deployment. Beyond any single serving deployment of one model, and a bound
#: that keeps the layout search (divisors of the count) instant; 2**31 GPUs used to hang it.
MAX_NUM_GPUS: Final = 4096
#: GPUs per layout ``recommend_gpus`` searches up to. Every count from 1 up to it is tried with each
#: valid TP degree on each GPU type, so the work grows with it; 512 is past the largest scale-up
#: domain announced (576 GPUs would need one type of 576, which no catalog entry has).
MAX_SEARCH_GPUS: Final = 512
#: tokens on either side of one request (prompt or output): the bound the traffic lengths use, above
#: every model's context (the longest bundled is 10M tokens)
MAX_TOKENS: Final = MAX_REQUEST_TOKENS
#: requests in flight (closed loop). The simulator's work grows with the clients it runs (100,000 take
#: about 2 s on one core; a billion exhausted memory); far above any published serving benchmark.
MAX_CONCURRENCY: Final = 100_000
#: sequences the engine may run at once (``max_num_seqs``); no engine default exceeds 2,048
MAX_NUM_SEQS: Final = 1_000_000
#: Poisson arrival rate, requests per second; for every request at once use offline arrivals
MAX_REQUEST_RATE: Final = 1e6
#: target loads ``recommend_gpus`` sizes replicas for: above the largest public LLM services
MAX_TARGET_REQUESTS_PER_S: Final = 1e7
MAX_TARGET_OUTPUT_TOK_S: Final = 1e10
#: $/GPU-hour: list prices are a few dollars; 1,000 catches a price typed per month or in cents, and a
#: hundredth of a cent keeps tokens per dollar a finite number
MAX_GPU_PRICE_USD_HOUR: Final = 1000.0
MIN_GPU_PRICE_USD_HOUR: Final = 1e-4
#: an SLO bound, milliseconds: one day
MAX_SLO_MS: Final = 86_400_000.0
#: seeds of the simulated lengths and arrivals (Python's ``random`` takes any; 64 bits is plenty)
MAX_SEED: Final = 2**64 - 1

#: serving engines by every spelling users type: case, dashes, underscores, dots and spaces ignored
_ENGINE_SPELLINGS: Final[dict[str, str]] = {
    "vllm": "vllm",
    "sglang": "sglang",
    "trtllm": "trtllm",
    "tensorrtllm": "trtllm",
}
ENGINES: Final = ("vllm", "sglang", "trtllm")
#: KV-cache formats each engine offers (its ``--kv-cache-dtype``): vLLM and SGLang store the model's
#: dtype or FP8 (e4m3 / e5m2); TensorRT-LLM also quantises the KV cache to INT8. No engine here stores
#: a 4-bit KV cache.
KV_PRECISIONS: Final[dict[str, tuple[str, ...]]] = {
    "vllm": ("bf16", "fp16", "fp32", "fp8"),
    "sglang": ("bf16", "fp16", "fp32", "fp8"),
    "trtllm": ("bf16", "fp16", "fp32", "fp8", "int8"),
}
_SERVING_MODELS: Final = ("simulated", "analytic")


# ---------------------------------------------------------------------------------------------- plain values
def integer(name: str, value: object, *, low: int = 1, high: int | None = None, limit: str = "") -> int:
    """``value`` if it is an int (not a bool) in ``[low, high]``; ``limit`` says why ``high`` is the bound."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer, got {_kind(value)}")
    if value < low or (high is not None and value > high):
        span = f"in [{low:,}, {high:,}]" if high is not None else f">= {low:,}"
        why = f" ({limit})" if limit and high is not None and value > high else ""
        raise InvalidArgumentError(f"{name} must be an integer {span}{why}, got {short_repr(value)}")
    return value


def optional_integer(
    name: str, value: object, *, low: int = 1, high: int | None = None, limit: str = ""
) -> int | None:
    return None if value is None else integer(name, value, low=low, high=high, limit=limit)


def number(
    name: str,
    value: object,
    *,
    low: float = 0.0,
    low_open: bool = True,
    high: float | None = None,
    high_open: bool = False,
    limit: str = "",
) -> float:
    """``value`` as a finite float in the interval; ints are accepted, bools and strings are not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name} must be a number, got {_kind(value)}")
    span = (
        ("(" if low_open else "[")
        + f"{_bound(low)}, "
        + ("inf)" if high is None else _bound(high) + (")" if high_open else "]"))
    )
    try:
        as_float = float(value)
    except OverflowError:  # an int too large for a float
        as_float = math.inf
    if not math.isfinite(as_float):
        raise InvalidArgumentError(f"{name} must be a finite number in {span}, got {short_repr(value)}")
    below = as_float < low or (low_open and as_float == low)
    above = high is not None and (as_float > high or (high_open and as_float == high))
    if below or above:
        why = f" ({limit})" if limit and above else ""
        raise InvalidArgumentError(f"{name} must be a number in {span}{why}, got {short_repr(value)}")
    return as_float


def _bound(value: float) -> str:
    """A bound as people write it: ``10,000,000`` rather than ``1e+07``, ``0.5`` as it is."""
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def optional_number(name: str, value: object, **bounds: Any) -> float | None:
    return None if value is None else number(name, value, **bounds)


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be True or False, got {_kind(value)}")
    return value


def text(name: str, value: object, accepted: str = "") -> str:
    """A non-empty string (surrounding spaces dropped)."""
    if not isinstance(value, str) or not value.strip():
        hint = f"; accepted: {accepted}" if accepted else ""
        raise InvalidArgumentError(f"{name} must be a non-empty string{hint}, got {_kind(value)}")
    return value.strip()


def _kind(value: object) -> str:
    """How a wrong value is quoted: its type and a short repr (``str '0.9'``, ``NoneType None``)."""
    return f"{type(value).__name__} {short_repr(value)}"


# ---------------------------------------------------------------------------------------------- what is served
def model(value: object) -> Any:
    """A model reference of an accepted kind (resolved later by ``load_model``)."""
    from config_explorer.architecture import ModelArchitecture

    if isinstance(value, str):
        return text("model", value, "a hub id, a bundled short name or the path of a config.json")
    if isinstance(value, (os.PathLike, Mapping, ModelArchitecture)):
        return value
    raise InvalidArgumentError(
        "model must be a hub id or short name (str), a path to a config.json, a config mapping or a "
        f"ModelArchitecture, got {_kind(value)}"
    )


def gpu(value: object, name: str = "gpu") -> GPUSpec:
    """The catalog's spec for a GPU name or alias (or the spec itself)."""
    from config_explorer.catalogs.gpus import GPUSpec, get_gpu

    if isinstance(value, GPUSpec):
        return value
    return get_gpu(text(name, value, "a GPU name or alias from `config-explorer gpus`, or a GPUSpec"))


def gpu_list(value: object) -> list[GPUSpec] | None:
    """``None`` (the whole catalog), one GPU name, or a non-empty sequence of names / specs.

    A GPU named twice (``H100`` and ``h100-sxm``) is searched once.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return [gpu(value, "gpus")]
    if not isinstance(value, Sequence) or not value:
        raise InvalidArgumentError(f"gpus must be a non-empty list of GPU names or specs, got {_kind(value)}")
    specs: dict[str, GPUSpec] = {}
    for v in value:
        spec = gpu(v, "each of gpus")
        specs.setdefault(spec.name, spec)
    return list(specs.values())


def backend(value: object) -> Any:
    """A backend name (resolved by ``get_backend``) or an object with ``name`` and ``estimate``."""
    if isinstance(value, str):
        return text("backend", value, "native, llm-optimizer, auto")
    if isinstance(getattr(value, "name", None), str) and callable(getattr(value, "estimate", None)):
        return value
    raise InvalidArgumentError(
        f"backend must be a name (native, llm-optimizer, auto) or a backend object, got {_kind(value)}"
    )


def engine(value: object) -> str:
    """The canonical engine name (``vllm``, ``sglang``, ``trtllm``), keeping a release pin (``vllm==0.19.0``).

    Accepted spellings ignore case, dashes, underscores and dots: ``tensorrt-llm``, ``TRT_LLM``,
    ``trt-llm`` and ``TensorRT-LLM`` are all ``trtllm``.
    """
    from config_explorer.engine.calibration import parse_version

    raw = text("engine", value, ", ".join(ENGINES))
    name, pinned, version = raw.partition("==")
    canonical = _ENGINE_SPELLINGS.get(re.sub(r"[\s._-]+", "", name.lower()))
    if canonical is None:
        raise InvalidArgumentError(
            f"unknown serving engine {short_repr(raw)}; accepted: vllm, sglang, trtllm (also spelled "
            "tensorrt-llm, trt-llm), optionally with a release such as vllm==0.19.0"
        )
    if not pinned:
        return canonical
    parse_version(version)  # raises our error for a release it cannot read
    return f"{canonical}=={version.strip()}"


def precision(value: object, name: str = "precision") -> str | None:
    """The canonical weight precision, or ``None`` for the checkpoint's own."""
    if value is None:
        return None
    return normalize_precision(text(name, value, "bf16, fp16, fp8, int8, int4, fp4, mxfp4, fp32"))


def kv_precision(value: object, engine_name: str = "vllm") -> str | None:
    """The canonical KV-cache precision if ``engine_name`` (canonical, a pin allowed) can store it."""
    if value is None:
        return None
    canonical = normalize_precision(text("kv_precision", value, "bf16, fp16, fp8"))
    base = engine_name.partition("==")[0]
    accepted = KV_PRECISIONS.get(base, KV_PRECISIONS["vllm"])
    if canonical not in accepted:
        others = [f"{e}: {', '.join(p)}" for e, p in KV_PRECISIONS.items() if canonical in p]
        elsewhere = f"; {canonical} is offered by {'; '.join(others)}" if others else ""
        raise InvalidArgumentError(
            f"kv_precision {short_repr(value)} is not a KV-cache format {base} offers; accepted: "
            f"{', '.join(accepted)}{elsewhere}"
        )
    return canonical


def gpu_memory_utilization(value: object) -> float | None:
    """The share of GPU memory the engine may use, in (0, 1] (``None``: the engine's default)."""
    return optional_number("gpu_memory_utilization", value, low=0.0, high=1.0)


def serving_model(value: object) -> str:
    if value not in _SERVING_MODELS:
        raise InvalidArgumentError(
            f"serving_model must be one of {', '.join(_SERVING_MODELS)}, got {_kind(value)}"
        )
    return str(value)


# ---------------------------------------------------------------------------------------------- workload
def request_lengths(input_length: object, output_length: object, workload: object = None) -> tuple[int, int]:
    """Prompt and output tokens per request; a preset ``workload`` fills only a length left as ``None``.

    An explicit 0 is an error, never a request for the preset's value.
    """
    if workload is not None:
        from config_explorer.recommender.workloads import get_workload

        preset = get_workload(text("workload", workload, "chat, rag, code, summarization"))
        input_length = preset.input_length if input_length is None else input_length
        output_length = preset.output_length if output_length is None else output_length
    if input_length is None or output_length is None:
        raise InvalidArgumentError("give input_length and output_length, or a workload preset name")
    bound = f"at most {MAX_TOKENS:,} tokens, above any model's context"
    return (
        integer("input_length", input_length, high=MAX_TOKENS, limit=bound),
        integer("output_length", output_length, high=MAX_TOKENS, limit=bound),
    )


def concurrency(value: object, name: str = "concurrency") -> int:
    return integer(name, value, high=MAX_CONCURRENCY, limit=f"at most {MAX_CONCURRENCY:,} requests in flight")


def judged_concurrency(value: object) -> int:
    """``recommend_gpus``'s ``concurrency``: its leading layouts are judged by simulating that many clients,
    and one layout may be a single replica, so it is bounded by the simulator's requests per run."""
    return integer(
        "concurrency",
        value,
        high=MAX_SIMULATED_REQUESTS,
        limit=f"recommend_gpus simulates its leading layouts, one replica may be all of them, and the "
        f"simulator runs at most {MAX_SIMULATED_REQUESTS:,} requests",
    )


def num_gpus(value: object, name: str = "num_gpus") -> int:
    return integer(name, value, high=MAX_NUM_GPUS, limit=f"at most {MAX_NUM_GPUS:,} GPUs in one deployment")


def parallel_degree(name: str, value: object) -> int:
    return integer(name, value, high=MAX_NUM_GPUS, limit=f"at most {MAX_NUM_GPUS:,} GPUs in one deployment")


def api_server_count(value: object, engine: str = "vllm") -> int | None:
    """vLLM's ``--api-server-count``: front-end processes per replica (None: vLLM's default, one per
    data-parallel rank); other engines' front ends are not modelled and take none."""
    from config_explorer.engine.deployment import MAX_API_SERVERS

    if value is None:
        return None
    count = integer("api_server_count", value, high=MAX_API_SERVERS, limit=f"at most {MAX_API_SERVERS}")
    if engine.partition("==")[0] != "vllm":
        raise InvalidArgumentError(
            f"api_server_count={count} is vLLM's --api-server-count; the {engine} front end is not modelled, "
            "so it takes none"
        )
    return count


def engine_options(value: object, engine: str = "vllm") -> EngineOptions | None:
    """The engine's batching options (:mod:`config_explorer.engine.options`) from ``{name: value}``, each
    one ``engine`` has (None: the engine's defaults)."""
    from config_explorer.engine.options import check_engine_options

    if value is None:
        return None
    return check_engine_options(value, engine.partition("==")[0])


def expert_imbalance(value: object) -> float | None:
    """The busiest expert-parallel rank's load over the mean (None: the engine's stated default)."""
    from config_explorer.engine.deployment import MAX_EXPERT_IMBALANCE

    return optional_number(
        "expert_imbalance",
        value,
        low=1.0,
        low_open=False,
        high=MAX_EXPERT_IMBALANCE,
        limit="1 is perfect balance; past it one rank would hold more than the step",
    )


def expert_popularity_cv(value: object) -> float | None:
    """The coefficient of variation of the experts' popularity (None: the engine's stated default)."""
    from config_explorer.engine.calibration import MAX_EXPERT_POPULARITY_CV

    return optional_number(
        "expert_popularity_cv",
        value,
        low=0.0,
        low_open=False,
        high=MAX_EXPERT_POPULARITY_CV,
        limit="0 is uniform routing over the experts",
    )


#: the most redundant expert copies taken (SGLang's examples use 32 on top of 256 experts)
MAX_REDUNDANT_EXPERTS: Final = 4096


def redundant_experts(value: object) -> int:
    """Extra expert copies spread over the expert-parallel ranks (EPLB)."""
    return integer(
        "redundant_experts",
        value,
        low=0,
        high=MAX_REDUNDANT_EXPERTS,
        limit=f"at most {MAX_REDUNDANT_EXPERTS:,} extra copies",
    )


def parallelism(value: object, accepted: Sequence[str]) -> tuple[str, ...]:
    """The kinds of parallelism a search combines: names from ``accepted`` (a list, or one comma-separated
    string; ``None``: all). Tensor parallelism is always included."""
    if value is None:
        return tuple(accepted)
    names = value.split(",") if isinstance(value, str) else value
    if isinstance(names, (bytes, Mapping)) or not isinstance(names, Sequence):
        raise InvalidArgumentError(
            f"parallelism must be a list of names or a comma-separated string ({', '.join(accepted)}), "
            f"got {short_repr(value)}"
        )
    chosen = []
    for name in names:
        key = name.strip().lower().replace("_", "-") if isinstance(name, str) else name
        if key not in accepted:
            raise InvalidArgumentError(
                f"unknown parallelism {short_repr(name)}; accepted: {', '.join(accepted)}"
            )
        chosen.append(key)
    return tuple(dict.fromkeys(["tp", *chosen]))


def search_gpus(value: object, name: str = "max_gpus") -> int:
    return integer(
        name,
        value,
        high=MAX_SEARCH_GPUS,
        limit=f"the search tries every count up to it; at most {MAX_SEARCH_GPUS} GPUs per layout",
    )


def traffic(value: object) -> Traffic | None:
    from config_explorer.engine.traffic import Traffic

    if value is None or isinstance(value, Traffic):
        if value is not None and value.request_rate is not None:
            number("request_rate", value.request_rate, high=MAX_REQUEST_RATE, limit="requests per second")
        if value is not None:
            integer("seed", value.seed, low=0, high=MAX_SEED)
        return value
    raise InvalidArgumentError(f"traffic must be a Traffic or None, got {_kind(value)}")


# ---------------------------------------------------------------------------------------------- engine limits
def engine_limits(
    max_model_len: object, max_num_seqs: object, max_num_batched_tokens: object
) -> dict[str, int | None]:
    """The engine's limits, each ``None`` (its default) or an integer in range.

    Where both are given, ``max_num_batched_tokens >= max_num_seqs`` (see :func:`check_token_budget`).
    """
    limits = {
        "max_model_len": optional_integer(
            "max_model_len", max_model_len, high=2 * MAX_TOKENS, limit="above any model's context"
        ),
        "max_num_seqs": optional_integer(
            "max_num_seqs", max_num_seqs, high=MAX_NUM_SEQS, limit=f"at most {MAX_NUM_SEQS:,} sequences"
        ),
        "max_num_batched_tokens": optional_integer(
            "max_num_batched_tokens",
            max_num_batched_tokens,
            high=2 * MAX_TOKENS,
            limit="tokens in one step; above any model's context",
        ),
    }
    budget, seqs = limits["max_num_batched_tokens"], limits["max_num_seqs"]
    if budget is not None and seqs is not None:
        _budget_covers_seqs(budget, seqs, "as given")
    return limits


def check_token_budget(limits: Mapping[str, int | None], engine_name: str, gpus: Sequence[GPUSpec]) -> None:
    """Fail when a stated step token budget is below the sequences the engine runs at once on a GPU.

    vLLM refuses to start in that case (``SchedulerConfig``: "max_num_batched_tokens must be greater
    than or equal to max_num_seqs"); every running sequence's decode token must fit in a step, which
    the serving models here assume for every engine. ``max_num_seqs`` left open is the engine's
    default on each GPU.
    """
    budget = limits.get("max_num_batched_tokens")
    if budget is None or limits.get("max_num_seqs") is not None:
        return
    from config_explorer.engine.calibration import profile_for

    profile = profile_for(engine_name)
    for spec in gpus:
        _budget_covers_seqs(
            budget,
            profile.max_num_seqs(spec.name, spec.memory_gib),
            f"{profile.name}'s default on {spec.name}",
        )


def _budget_covers_seqs(budget: int, seqs: int, source: str) -> None:
    if budget < seqs:
        raise InvalidArgumentError(
            f"max_num_batched_tokens={budget:,} is below max_num_seqs={seqs:,} ({source}): the engine "
            "needs max_num_batched_tokens >= max_num_seqs (vLLM's SchedulerConfig refuses to start "
            f"otherwise); accepted: max_num_batched_tokens >= {seqs:,}, or also max_num_seqs <= {budget:,}"
        )


def check_fits_model(
    arch: ModelArchitecture, input_length: int, output_length: int, max_model_len: int | None
) -> None:
    """Fail when the request or ``max_model_len`` cannot be served by ``arch`` on any layout.

    The same rules the engine applies per layout, checked once so a search does not reject every
    layout for one argument.
    """
    request = input_length + output_length
    context = arch.max_position_embeddings
    if context and request > context:
        raise InvalidArgumentError(
            f"prompt + output = {request:,} tokens exceeds {arch.model_id}'s context of {context:,} tokens "
            "(max_position_embeddings); the engine rejects such requests: shorten input_length or "
            "output_length"
        )
    if max_model_len is None:
        return
    upper = f" to {context:,}" if context else " or more"
    if (context and max_model_len > context) or max_model_len < request:
        raise InvalidArgumentError(
            f"max_model_len={max_model_len:,} does not suit {arch.model_id} with prompt + output = "
            f"{request:,} tokens; accepted: {request:,}{upper}"
        )


# ---------------------------------------------------------------------------------------------- SLOs, costs, targets
def slo_constraints(
    constraints: object,
    max_ttft_ms: object,
    max_itl_ms: object,
    max_e2e_latency_s: object,
    percentile: object,
) -> list[SLOConstraint]:
    """Every SLO, from the string syntax and the ``max_*`` bounds, each finite and in range."""
    from config_explorer.engine.slo import SLOConstraint, constraints_from_kwargs

    listed = isinstance(constraints, Sequence) and all(isinstance(c, SLOConstraint) for c in constraints)
    if constraints is not None and not isinstance(constraints, str) and not listed:
        raise InvalidArgumentError(
            "constraints must be a string such as 'ttft:p95<300ms;itl<20ms' or a list of "
            f"SLOConstraint, got {_kind(constraints)}"
        )
    slos = constraints_from_kwargs(
        constraints=constraints,  # type: ignore[arg-type]  # checked just above
        max_ttft_ms=optional_number("max_ttft_ms", max_ttft_ms, high=MAX_SLO_MS, limit="one day"),
        max_itl_ms=optional_number("max_itl_ms", max_itl_ms, high=MAX_SLO_MS, limit="one day"),
        max_e2e_latency_s=optional_number(
            "max_e2e_latency_s", max_e2e_latency_s, high=MAX_SLO_MS / 1e3, limit="one day"
        ),
        percentile=text("slo_percentile", percentile, "mean, median, p95, p99"),
    )
    for slo in slos:
        number(f"the SLO bound of {slo.metric} {slo.stat}", slo.value_ms, high=MAX_SLO_MS, limit="one day")
    return slos


def gpu_price(name: str, value: object) -> float:
    """A $/GPU-hour price: finite, in [:data:`MIN_GPU_PRICE_USD_HOUR`, :data:`MAX_GPU_PRICE_USD_HOUR`]."""
    return number(
        f"the price of {name} ($/GPU-hour)",
        value,
        low=MIN_GPU_PRICE_USD_HOUR,
        low_open=False,
        high=MAX_GPU_PRICE_USD_HOUR,
        limit="list prices are a few $/GPU-hour",
    )


def gpu_costs(value: object) -> dict[str, float] | None:
    """``None`` or a mapping of GPU name -> $/GPU-hour, every price checked."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"gpu_costs must be a mapping of GPU name -> $/GPU-hour, got {_kind(value)}"
        )
    checked: dict[str, float] = {}
    for name, price in value.items():
        key = text("each GPU name in gpu_costs", name)
        checked[key] = gpu_price(key, price)
    return checked


def target_requests_per_s(value: object) -> float | None:
    return optional_number(
        "target_requests_per_s", value, high=MAX_TARGET_REQUESTS_PER_S, limit="above any public service"
    )


def target_output_tok_s(value: object) -> float | None:
    return optional_number(
        "target_output_tok_s", value, high=MAX_TARGET_OUTPUT_TOK_S, limit="above any public service"
    )


def callback(name: str, value: object) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise InvalidArgumentError(f"{name} must be a callable or None, got {_kind(value)}")
    return value
