"""Where the native engine and BentoML's llm-optimizer disagree, and the upstream notes that say why.

Run: ``python benchmarks/backend_differences.py`` in an environment where the real llm-optimizer is
importable (it is not on PyPI; see ``config_explorer.backends.llm_optimizer.INSTALL_HINT``). Without it
the script exits 2 and says what it found instead.

For a fixed set of cases (dense, MoE, MLA and hybrid models, one to eight GPUs) it estimates each
closed-loop point through the public API, ``estimate_performance``, with backend ``"native"`` (the
simulated vLLM scheduler, the defaults) and backend ``"llm-optimizer"``, and prints TTFT, ITL and output
tokens/s from both with the ratio upstream / native. After the table come, per case, the upstream
record's ``backend_notes`` that explain the gap: the weights upstream rebuilds from ``hidden_size``, its
KV values per token, its reading of GB as GiB, its TTFT as one batched prefill, GPUs pooled as one
device, and its throughput against Little's law. Notes are quoted; the only shortening is an elided
middle marked ``[...]``. Neither backend is ground truth.

The output holds no timings, so it is reproducible: ``benchmarks/results/backend_differences.txt`` is
this script's output, and ``tests/test_backend_differences.py`` fails when it is stale.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import sys
import textwrap
from collections.abc import Sequence

import attrs

from config_explorer.architecture import load_model
from config_explorer.backends import get_backend
from config_explorer.backends.llm_optimizer import describe_llm_optimizer
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import BackendUnavailableError, ConfigExplorerError
from config_explorer.recommender import estimate_performance

INPUT_LENGTH = 1024
OUTPUT_LENGTH = 256
BACKENDS = ("native", "llm-optimizer")


@attrs.frozen
class Case:
    model: str
    gpu: str
    num_gpus: int
    tp: int
    concurrency: int


CASES = (
    Case("meta-llama/Llama-3.1-8B", "H100", 1, 1, 1),
    Case("meta-llama/Llama-3.1-8B", "H100", 1, 1, 32),
    Case("meta-llama/Llama-3.1-70B", "H100", 4, 4, 16),
    Case("Qwen/Qwen3-30B-A3B", "H100", 1, 1, 8),
    Case("mistralai/Mixtral-8x7B-v0.1", "H100", 2, 2, 8),
    # stands in for deepseek-ai/DeepSeek-V2-Lite (see SUBSTITUTIONS)
    Case("ibm-granite/granite-4.0-h-tiny", "H100", 1, 1, 8),
    Case("deepseek-ai/DeepSeek-V3", "H200", 8, 8, 16),
)

#: cases asked for whose model is not in the bundled catalog, and what stands in
SUBSTITUTIONS = (
    "deepseek-ai/DeepSeek-V2-Lite (1x H100, c=8) is not bundled; ibm-granite/granite-4.0-h-tiny stands in: "
    "the only bundled MLA models (DeepSeek-V3, DeepSeek-R1) need eight H200s or more, and granite-4.0-h-tiny is the "
    "nearest small fine-grained MoE on one GPU whose attention cache, like MLA's, is far from upstream's "
    "full K and V (4 of its 40 layers hold KV; the rest are Mamba)",
)

#: figure name -> the record field it reads
FIGURES = {"TTFT ms": "ttft_ms", "ITL ms": "itl_ms", "output tok/s": "output_throughput_tok_s"}


# --------------------------------------------------------------------------------------------------
# Which upstream notes explain a difference, and how each is shortened (by eliding, never rewording)
# --------------------------------------------------------------------------------------------------


#: (how the note begins, what it explains, an optional pattern whose groups are kept, joined by
#: " [...] "); a note the pattern no longer matches is quoted whole, so a reworded note is never lost
EXPLAINING_NOTES: tuple[tuple[str, str, str | None], ...] = (
    (
        "llm-optimizer's latency ignores the parameter count",
        "rebuilt weights",
        r"(llm-optimizer's latency ignores the parameter count): .*?, and so (reads .*)",
    ),
    ("llm-optimizer's KV cache is", "KV values", None),
    ("llm-optimizer reads its GPU table's GB as GiB", "GiB reading", None),
    ("llm-optimizer pools each replica's", "pooled GPUs", None),
    ("llm-optimizer's TTFT is the prefill of all", "TTFT batch", None),
    ("llm-optimizer's output throughput is", "Little's law", None),
)


def _shortened(note: str, pattern: str | None) -> str:
    match = None if pattern is None else re.fullmatch(pattern, note)
    return note if match is None else " [...] ".join(match.groups())


def explaining_notes(notes: Sequence[str]) -> list[str]:
    """The notes among ``notes`` that explain a difference from native, shortened, in the order above."""
    return [
        _shortened(note, pattern)
        for prefix, _, pattern in EXPLAINING_NOTES
        for note in notes
        if note.startswith(prefix)
    ]


# --------------------------------------------------------------------------------------------------
# Estimating
# --------------------------------------------------------------------------------------------------


def kind(model: str) -> str:
    """dense, or the traits upstream's method cannot represent (MoE, MLA, hybrid) joined by '+'."""
    try:
        arch = load_model(model, allow_hub=False)
    except ConfigExplorerError:
        return "?"
    traits = [
        name
        for name, present in (("MoE", arch.is_moe), ("MLA", arch.is_mla), ("hybrid", arch.is_hybrid))
        if present
    ]
    return "+".join(traits) or "dense"


@attrs.frozen
class Outcome:
    """One backend's answer for one case: the record when there is one, and why it has no figures."""

    record: PerformanceEstimate | None
    error: str | None


def estimate(case: Case, backend: str) -> Outcome:
    try:
        record = estimate_performance(
            case.model,
            case.gpu,
            case.num_gpus,
            case.tp,
            INPUT_LENGTH,
            OUTPUT_LENGTH,
            backend=backend,
            concurrency=case.concurrency,
        )
    except ConfigExplorerError as exc:
        return Outcome(None, str(exc))
    except Exception as exc:  # a bug in one backend must not hide the other rows
        return Outcome(None, f"{type(exc).__name__}: {exc}")
    if record.error is not None:
        return Outcome(record, record.error)
    missing = [label for label, field in FIGURES.items() if getattr(record, field) is None]
    return Outcome(record, f"no {', '.join(missing)} on the record" if missing else None)


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------

_CASE_HEADER = f"{'model':31s} {'kind':10s} {'GPUs':11s} {'tp':>2s} {'c':>3s}"
_FIGURE_HEADER = f"{'native':>8s} {'upstream':>8s} {'ratio':>7s}"
_WIDTH = 110


def _case_columns(case: Case, model_kind: str) -> str:
    gpus = f"{case.num_gpus}x {get_gpu(case.gpu).name}"
    return f"{case.model:31s} {model_kind:10s} {gpus:11s} {case.tp:>2d} {case.concurrency:>3d}"


def _case_title(case: Case) -> str:
    return f"{case.model}, {case.num_gpus}x {get_gpu(case.gpu).name}, tp={case.tp}, c={case.concurrency}"


def _number(value: float, field: str) -> str:
    return f"{value:,.0f}" if field.endswith("tok_s") else f"{value:,.1f}"


def _figure_columns(native: PerformanceEstimate, upstream: PerformanceEstimate) -> str:
    cells = []
    for field in FIGURES.values():
        ours, theirs = getattr(native, field), getattr(upstream, field)
        cells.append(f"{_number(ours, field):>8s} {_number(theirs, field):>8s} {theirs / ours:>7.2f}")
    return " | ".join(cells)


def _log_ratios(native: PerformanceEstimate, upstream: PerformanceEstimate) -> dict[str, float]:
    return {
        label: abs(math.log(getattr(upstream, field) / getattr(native, field)))
        for label, field in FIGURES.items()
    }


def _wrapped(text: str, first: str = "", rest: str = "  ") -> list[str]:
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


def report(upstream_version: str) -> list[str]:
    """Every line of the report: the header, the table, the summary, then each case's upstream notes."""
    lines = [
        "Native engine against BentoML's llm-optimizer, called in-process through config-explorer's adapter",
        f"llm-optimizer {upstream_version}; native: simulated vLLM scheduler, defaults; "
        f"closed loop, {INPUT_LENGTH} in / {OUTPUT_LENGTH} out, concurrency c",
    ]
    for substitution in SUBSTITUTIONS:
        lines += _wrapped(f"Substituted: {substitution}.")
    lines.append("")
    figure_titles = " | ".join(f"{label:^{len(_FIGURE_HEADER)}s}" for label in FIGURES)
    figure_headers = " | ".join(_FIGURE_HEADER for _ in FIGURES)
    lines += [
        f"{'':{len(_CASE_HEADER)}s} | {figure_titles}",
        f"{_CASE_HEADER} | {figure_headers}",
        "-" * (len(_CASE_HEADER) + 3 + len(figure_headers)),
    ]

    log_ratios: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    upstream_outcomes: list[tuple[Case, Outcome]] = []
    for case in CASES:
        model_kind = kind(case.model)
        native, theirs = (estimate(case, backend) for backend in BACKENDS)
        upstream_outcomes.append((case, theirs))
        if native.record is None or theirs.record is None or native.error or theirs.error:
            errors = [f"{name}: {o.error}" for name, o in zip(BACKENDS, (native, theirs)) if o.error]
            lines.append(f"{_case_columns(case, model_kind)} | {'; '.join(errors)}")
            continue
        lines.append(f"{_case_columns(case, model_kind)} | {_figure_columns(native.record, theirs.record)}")
        log_ratios[model_kind == "dense"].append(_log_ratios(native.record, theirs.record))

    def median(dense: bool, label: str) -> str:
        values = [row[label] for row in log_ratios[dense]]
        return f"{statistics.median(values):.2f}" if values else "-"

    medians = "; ".join(f"{label} {median(True, label)} / {median(False, label)}" for label in FIGURES)
    lines += [
        "",
        f"median |ln(upstream / native)|, dense (n={len(log_ratios[True])}) / "
        f"non-dense (n={len(log_ratios[False])}): {medians}",
        "",
        "What llm-optimizer's records say about each case (its backend_notes, quoted; [...] marks an elision)",
    ]
    for number, (case, theirs) in enumerate(upstream_outcomes, start=1):
        notes = [] if theirs.record is None else explaining_notes(theirs.record.backend_notes)
        if theirs.error:
            notes.append(f"error: {theirs.error}")
        lines += ["", f"[{number}] {_case_title(case)}"]
        for note in notes:
            lines += _wrapped(note, "  - ", "    ")
    return lines


def main() -> int:
    # every case is in the bundled catalog: the hub is never needed, and never asked
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        get_backend("llm-optimizer")
    except BackendUnavailableError as exc:
        print(
            f"backend_differences.py: BentoML's llm-optimizer is not importable here: {exc}", file=sys.stderr
        )
        return 2
    version = describe_llm_optimizer()["version"] or "(version unknown)"
    for line in report(str(version)):
        print(line.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
