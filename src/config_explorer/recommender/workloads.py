"""Named workload shapes (prompt and output lengths) with the latency targets that go with them.

Each preset carries default SLOs, taken from MLPerf Inference's LLM server scenarios
(``loadgen/mlperf.conf`` of mlcommons/inference, v5.1): TTFT and TPOT bounded at the 99th
percentile, the percentile MLPerf's Server scenario judges. Interactive presets (chat, code) use the
interactive scenarios' bounds; long-prompt presets use the server scenario of the benchmark whose
prompts are that long. A caller's own bound on a metric replaces the preset's bound on that metric.

A preset may also carry the shared prompt prefixes its requests start with (``Workload.prefix``), which
an engine with prefix caching computes once: the chat preset's are ``vllm bench serve``'s
``prefix_repetition`` dataset at its defaults. They apply where the preset sets the prompt length and
the estimating backend models prefix caching (:func:`preset_prefix`).
"""

from __future__ import annotations

from typing import Final

import attrs

from config_explorer.engine.slo import SLOConstraint
from config_explorer.engine.traffic import SharedPrefix
from config_explorer.errors import InvalidArgumentError

__all__ = ["WORKLOADS", "Workload", "get_workload", "merge_slos", "preset_prefix"]


def _p99(ttft_ms: float, tpot_ms: float) -> tuple[SLOConstraint, ...]:
    return (SLOConstraint("ttft", "p99", "<=", ttft_ms), SLOConstraint("tpot", "p99", "<=", tpot_ms))


@attrs.frozen
class Workload:
    name: str
    input_length: int
    output_length: int
    description: str
    #: the latency targets a deployment for this workload is judged against by default
    slos: tuple[SLOConstraint, ...] = ()
    #: where those targets come from
    slo_source: str = ""
    #: the shared prompt prefixes the preset's requests start with (None: every prompt its own)
    prefix: SharedPrefix | None = None
    #: where that prefix comes from
    prefix_source: str = ""


WORKLOADS: Final[dict[str, Workload]] = {
    w.name: w
    for w in (
        Workload(
            "chat",
            512,
            256,
            "interactive chat turn",
            _p99(500, 40),
            "MLPerf Inference interactive scenarios: llama3_1-8b-interactive TTFT 500 ms, TPOT 30 ms; "
            "llama2-70b-interactive TTFT 450 ms, TPOT 40 ms (p99)",
            SharedPrefix.distinct(256, 10),
            "vllm bench serve's prefix_repetition defaults, vllm/benchmarks/datasets.py",
        ),
        Workload(
            "rag",
            4096,
            512,
            "retrieval-augmented answer over long retrieved context",
            _p99(2000, 100),
            "MLPerf Inference llama3_1-8b Server scenario: TTFT 2,000 ms, TPOT 100 ms (p99)",
        ),
        Workload(
            "code",
            1024,
            1024,
            "code generation / completion",
            _p99(500, 40),
            "as chat: MLPerf Inference interactive scenarios (TTFT 450-500 ms, TPOT 30-40 ms, p99)",
        ),
        Workload(
            "summarization",
            10240,
            1536,
            "long-document summarization",
            _p99(6000, 175),
            "MLPerf Inference llama3_1-405b Server scenario (prompts of ~9,400 tokens on average): "
            "TTFT 6,000 ms, TPOT 175 ms (p99)",
        ),
    )
}


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name.strip().lower()]
    except KeyError:
        raise InvalidArgumentError(f"unknown workload {name!r}; accepted: {', '.join(WORKLOADS)}") from None


def merge_slos(
    defaults: tuple[SLOConstraint, ...], given: tuple[SLOConstraint, ...]
) -> tuple[SLOConstraint, ...]:
    """``given`` plus each default on a metric ``given`` does not bound (TPOT and ITL count as one)."""
    family = {"tpot": "itl"}
    bound = {family.get(c.metric, c.metric) for c in given}
    return tuple(given) + tuple(d for d in defaults if family.get(d.metric, d.metric) not in bound)


def preset_prefix(
    workload: str | None,
    input_length: int,
    prefix: SharedPrefix | None,
    *,
    use_preset: bool,
    backend_name: str,
) -> tuple[SharedPrefix | None, str]:
    """The shared prefix a request carries, and a note saying where it came from.

    The caller's ``prefix`` wins. Otherwise a preset's own prefix applies when ``use_preset`` is on, the
    prompt length is the preset's (a length the caller set is a different workload) and the backend
    (``backend_name``) is the native engine, the one that models prefix caching; the note says when a
    preset's prefix was applied or left out, and why.
    """
    if prefix is not None or workload is None:
        return prefix, ""
    preset = get_workload(workload)
    if preset.prefix is None or input_length != preset.input_length:
        return None, ""
    described = (
        f"the {preset.name} preset's shared prefixes (each prompt starts with one of "
        f"{preset.prefix.num_prefixes} of {preset.prefix.length} tokens; {preset.prefix_source})"
    )
    if not use_preset:
        return None, f"{described} left out, as asked"
    if backend_name != "native":
        return None, f"{described} left out: the {backend_name} backend does not model prefix caching"
    return preset.prefix, f"{described} applied; leave it out with preset_prefix=False (--no-preset-prefix)"
