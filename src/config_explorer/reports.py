"""Plain-text tables for terminals and notebooks (no third-party dependency)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from config_explorer.engine.records import layout_text as layout_label
from config_explorer.engine.records import pool_texts

if TYPE_CHECKING:
    from config_explorer.engine.records import PerformanceEstimate
    from config_explorer.recommender.compare import BackendComparison
    from config_explorer.recommender.multi import GPURecommendation
    from config_explorer.recommender.recommend import Candidate, RecommendationResult

__all__ = [
    "estimate_text",
    "fmt",
    "gpu_recommendations_table",
    "recommendation_table",
    "render_table",
    "short_reason",
]


def fmt(value: Any, digits: int = 1) -> str:
    """Format a number for a table: '-' for None (and NaN), 'unbounded' for +inf, fixed decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):  # never print inf / nan: the JSON writes these as null with a note
            return "unbounded" if value > 0 else "-"
        return f"{value:,.{digits}f}"
    return str(value)


_NUMERIC = re.compile(r"^[-+$]?[\d,.]+%?$|^-$")


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]

    def cell(text: str, width: int) -> str:
        return text.rjust(width) if _NUMERIC.match(text) else text.ljust(width)

    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(cell(c, w) for c, w in zip(row, widths)).rstrip() for row in rows)
    return "\n".join(lines)


def recommendation_table(result: RecommendationResult, top: int = 10) -> str:
    from config_explorer.recommender.recommend import CAVEATS

    head = (
        f"{result.model_id}: {result.input_length} in / {result.output_length} out tokens, "
        f"ranked by {result.metric}, backend {result.backend}"
        + (f" (auto: {result.backend_note})" if result.backend_note else "")
    )
    lines = [head]
    if result.target_requests_per_s or result.target_output_tok_s:
        load = (
            f"{fmt(result.target_requests_per_s, 2)} requests/s"
            if result.target_requests_per_s
            else f"{fmt(result.target_output_tok_s, 0)} output tok/s"
        )
        lines.append(f"target load: {load}")
    if result.constraints:
        note = f" ({result.slo_note})" if result.slo_note else ""
        lines.append(f"SLOs {'; '.join(str(c) for c in result.constraints)}{note}")
    elif result.slo_note:
        lines.append(result.slo_note)
    if result.speculative_note:
        lines.append(f"speculative decoding: {result.speculative_note}")
    if result.prefix_note:
        lines.append(f"prefix caching: {result.prefix_note}")
    if result.other_layouts:
        lines.append(
            f"one row per GPU type, its best layout ({len(result.other_layouts)} other layouts ranked; "
            "all_layouts=True / --all-layouts lists them)"
        )
    # MoE layouts that split experts or attention get their own columns (a dense search never has them)
    moe = any(c.ep > 1 or c.dp_attention > 1 for c in result.ranked[:top])
    headers = [
        "#",
        "GPU",
        "GPUs",
        "TP",
        "PP",
        *(("EP", "DPA") if moe else ()),
        "rep",
        "conc",
        "TTFT ms",
        "ITL ms",
        "E2E s",
        "out tok/s",
        "tok/s/GPU",
        "$/h",
        "$/M tok",
    ]
    if result.constraints:
        headers.append("binds")
    headers.append("caveats")
    if result.target_requests_per_s or result.target_output_tok_s:
        headers += ["copies", "GPUs@target", "$/h@target", "spare"]
    rows = []
    for c in result.ranked[:top]:
        e = c.estimate
        row = [
            fmt(c.rank),
            c.gpu,
            fmt(c.num_gpus),
            fmt(c.tp),
            fmt(c.pp),
            *((fmt(c.ep), fmt(c.dp_attention)) if moe else ()),
            fmt(c.replicas),
            fmt(c.concurrency),
            fmt(e.ttft_ms if e else None),
            fmt(e.itl_ms if e else None, 2),
            fmt(e.e2e_latency_s if e else None, 2),
            fmt(e.output_throughput_tok_s if e else None, 0),
            fmt(e.output_throughput_tok_s_per_gpu if e else None, 0),
            fmt(c.cost_per_hour_usd, 2),
            fmt(c.cost_per_million_output_tokens_usd, 3),
        ]
        if result.constraints:
            row.append(binds_label(c.binding_slo))
        row.append("".join(CAVEATS[k][0] for k in c.caveats if k in CAVEATS) or "-")
        if result.target_requests_per_s or result.target_output_tok_s:
            row += [
                fmt(c.copies_for_target),
                fmt(c.total_gpus_for_target),
                fmt(c.cost_per_hour_for_target_usd, 2),
                "-" if c.headroom_for_target is None else f"{c.headroom_for_target:.0%}",
            ]
        rows.append(row)
    if rows:
        lines.append(render_table(headers, rows))
    else:
        lines.extend(nothing_met(result))
    shown = {k for c in result.ranked[:top] for k in c.caveats if k in CAVEATS}
    if shown:
        lines.append(
            "caveats: " + "; ".join(f"{CAVEATS[k][0]} {CAVEATS[k][1]}" for k in CAVEATS if k in shown)
        )
    if result.best is not None:
        b = result.best
        lines.append(
            f"best: {b.num_gpus} x {b.gpu} ({layout_label(b.tp, b.pp, b.ep, b.dp_attention)}, "
            f"replicas={b.replicas}) at concurrency {b.concurrency}"
        )
        if b.serve_commands:
            lines.append(f"  {b.launch_command}")
    if result.disaggregated or result.disaggregation_note:
        lines += disaggregated_lines(result, top)
    if result.rejected:
        reasons: dict[str, int] = {}
        for c in result.rejected:
            kind = rejection_kind(c.rejected_reason or "")
            reasons[kind] = reasons.get(kind, 0) + 1
        lines.append(
            f"rejected {len(result.rejected)} layouts ("
            + ", ".join(f"{k}: {v}" for k, v in reasons.items())
            + ")"
        )
    lines.append(result.cost_note)
    return "\n".join(lines)


def binds_label(binding: str | None) -> str:
    """The binding limit, short enough for a table cell: the SLO itself, or the kind of capacity limit."""
    if binding is None:
        return "-"
    if binding.startswith("capacity"):
        return "capacity"
    if binding.startswith("none"):
        return "none"
    return binding


def rejection_kind(reason: str) -> str:
    """The kind of a rejection reason, for counting: its first clause, whole words only."""
    lowered = reason.lower()
    if lowered.startswith(("misses slo", "missed slo")):
        return "misses SLO"
    if "does not fit" in lowered:
        return "does not fit"
    clause = reason.split(": ")[0].split(" (")[0].split("; ")[0]
    if len(clause) <= 48:
        return clause
    return clause[:48].rsplit(" ", 1)[0] + " ..."


def _disaggregated_split(e: PerformanceEstimate) -> str:
    """``prefill 2 x TP8 + decode 3 x TP8 EP8, KV move ...`` for a disaggregated record, else ``""``."""
    pools = pool_texts(e)
    if pools is None:
        return ""
    return f"prefill {pools[0]} + decode {pools[1]}, KV move {e.kv_transfer_ms or 0:.2f} ms"


def _moe_split(e: PerformanceEstimate) -> str:
    """``, ep=8, dp_attention=8, two-batch overlap`` for a MoE layout that splits experts or attention."""
    parts = [f"ep={e.ep}"] if e.ep > 1 else []
    if e.redundant_experts:
        parts.append(f"redundant_experts={e.redundant_experts}")
    if e.dp_attention > 1:
        parts.append(f"dp_attention={e.dp_attention}")
    if e.two_batch_overlap:
        parts.append("two-batch overlap")
    return "".join(f", {p}" for p in parts)


def disaggregated_lines(result: RecommendationResult, top: int = 10) -> list[str]:
    """The disaggregated plans' table (prefill pool, decode pool, GPUs, latency, cost) and the comparison."""
    lines = [f"disaggregated prefill/decode: {result.disaggregation_note}"]
    rows = []
    for c in result.disaggregated[:top]:
        e = c.estimate
        pools = None if e is None else pool_texts(e)
        if e is None or pools is None:
            continue
        rows.append(
            [
                fmt(c.rank),
                c.gpu,
                *pools,
                fmt(c.num_gpus),
                fmt(e.ttft_p99_ms),
                fmt(e.tpot_p99_ms, 2),
                fmt(e.kv_transfer_ms, 2),
                fmt(e.decode_batch_per_replica, 0),
                fmt(c.cost_per_hour_usd, 2),
            ]
        )
    if rows:
        headers = ["#", "GPU", "prefill pool", "decode pool", "GPUs", "TTFT p99 ms", "TPOT p99 ms"]
        lines.append(render_table([*headers, "KV move ms", "decode batch", "$/h"], rows))
        command = result.disaggregated[0].launch_command
        if command:
            lines += [f"  {line}" for line in command.splitlines()]
    return lines


def estimate_text(e: PerformanceEstimate) -> str:
    nodes = f", {e.nodes} nodes" if e.nodes and e.nodes > 1 else ""
    lines = [
        f"{e.model_id} on {e.num_gpus} x {e.gpu} (tp={e.tp}, pp={e.pp}{_moe_split(e)}, replicas={e.replicas}"
        f"{nodes}), weights {e.precision}, KV {e.kv_precision}, backend {e.backend}",
        _workload_line(e),
    ]
    split = _disaggregated_split(e)
    if split:
        lines.insert(1, f"disaggregated: {split}")
    if e.error:
        lines.append(f"error: {e.error}")
    else:
        lines += [
            f"latency:    TTFT {fmt(e.ttft_ms)} ms (p50 {fmt(e.ttft_p50_ms)}, p90 {fmt(e.ttft_p90_ms)}, "
            f"p99 {fmt(e.ttft_p99_ms)}), ITL {fmt(e.itl_ms, 2)} ms (p50 {fmt(e.itl_p50_ms, 2)}, "
            f"p99 {fmt(e.itl_p99_ms, 2)}), TPOT {fmt(e.tpot_ms, 2)} ms, E2E {fmt(e.e2e_latency_s, 2)} s",
            f"throughput: {fmt(e.output_throughput_tok_s, 0)} output tok/s ({fmt(e.output_throughput_tok_s_per_gpu, 0)} "
            f"per GPU), {fmt(e.input_throughput_tok_s, 0)} input tok/s, {fmt(e.requests_per_s, 2)} req/s",
            f"memory/GPU: {fmt(e.memory_weights_gib)} GiB weights, {fmt(e.memory_kv_cache_gib)} GiB KV in use of "
            f"{fmt(e.memory_kv_capacity_gib)} GiB, "
            + (f"{fmt(e.memory_state_gib)} GiB recurrent state, " if e.memory_state_gib else "")
            + f"{fmt(e.memory_free_gib)} GiB free of {fmt(e.memory_total_gib)} GiB",
            f"roofline:   {fmt(e.hardware_ops_per_byte, 0)} ops/byte hardware; "
            f"prefill AI {fmt(e.prefill_arithmetic_intensity, 0)} "
            f"({e.prefill_bound}-bound), decode AI {fmt(e.decode_arithmetic_intensity, 1)} ({e.decode_bound}-bound)",
            f"limits:     KV cache {fmt(e.max_concurrency_kv)}, prefill compute {fmt(e.prefill_compute_limit)}, "
            f"decode capacity {fmt(e.decode_capacity_limit)} concurrent requests"
            + (f"; optimal concurrency {e.optimal_concurrency}" if e.optimal_concurrency else ""),
        ]
        features = []
        if e.prefix_cache_hit_rate is not None:
            features.append(f"prefix cache hit rate {e.prefix_cache_hit_rate:.0%} of prompt tokens")
        if e.speculative_method is not None:
            features.append(
                f"speculative decoding {e.speculative_method}, {e.num_speculative_tokens} draft tokens, "
                f"{fmt(e.tokens_per_decode_step, 2)} tokens per decode step (ITL and TPOT per token)"
            )
        if features:
            lines.append("features:   " + "; ".join(features))
    lines += [f"warning: {w}" for w in e.warnings] + [f"note: {n}" for n in e.backend_notes]
    return "\n".join(lines)


def _workload_line(e: PerformanceEstimate) -> str:
    if e.arrival == "poisson":
        load = f"Poisson arrivals at {fmt(e.request_rate, 2)} req/s ({e.concurrency} in flight on average)"
    elif e.arrival == "offline":
        load = f"offline: every request queued at once ({e.concurrency} in flight on average)"
    else:
        load = f"concurrency {e.concurrency}"
    text = f"workload: {e.input_length} in / {e.output_length} out tokens (means), {load}"
    if e.serving_model:
        text += f"; {e.serving_model}"
        if e.num_requests:
            text += f" over {e.num_requests:,} requests"
        if e.preemptions:
            text += f", {e.preemptions:,} preemptions"
    if e.max_model_len:
        text += f"; engine: max_model_len {e.max_model_len:,}, max_num_seqs {fmt(e.max_num_seqs)}, "
        text += f"max_num_batched_tokens {fmt(e.max_num_batched_tokens)}"
    return text


def short_reason(error: str | None, width: int = 80) -> str:
    """A table-sized reason: for a layout that does not fit, what it would need."""
    text = error or ""
    if text.startswith("does not fit") and "; " in text:
        text = "does not fit: " + text.rsplit("; ", 1)[1]
    return text if len(text) <= width else text[: width - 3] + "..."


def gpu_recommendations_table(recs: Sequence[GPURecommendation]) -> str:
    lines = []
    for rec in recs:
        lines.append(
            f"\n{rec.model_id}: {rec.input_length} in / {rec.output_length} out, {rec.num_gpus} GPU(s) each, "
            f"by {rec.metric}"
        )
        rows = []
        for gpu, e in rec.analysis.items():
            mark = "*" if rec.best_gpu == gpu else ""
            if e.ok:
                rows.append(
                    [
                        mark + gpu,
                        fmt(e.tp),
                        fmt(e.concurrency),
                        fmt(e.ttft_ms),
                        fmt(e.itl_ms, 2),
                        fmt(e.e2e_latency_s, 2),
                        fmt(e.output_throughput_tok_s, 0),
                        fmt(e.max_concurrency_kv),
                        "",
                    ]
                )
            else:
                rows.append([gpu, "-", "-", "-", "-", "-", "-", "-", short_reason(e.error)])
        lines.append(
            render_table(
                ["GPU", "TP", "conc", "TTFT ms", "ITL ms", "E2E s", "out tok/s", "KV max", "note"], rows
            )
        )
        lines.append(f"-> {rec.reason}")
    lines.append("\nSummary (best GPU per model):")
    lines.append(
        render_table(
            ["model", "best GPU", "out tok/s", "why"],
            [
                [
                    r.model_id,
                    r.best_gpu or "none",
                    fmt(r.best_estimate.output_throughput_tok_s if r.best_estimate else None, 0),
                    r.reason[:80],
                ]
                for r in recs
            ],
        )
    )
    return "\n".join(lines)


def comparison_text(c: BackendComparison) -> str:
    """Two backends' estimates of one configuration side by side, the ratio, then the reasons."""
    b, o = c.baseline, c.other
    lines = [
        f"{b.model_id} on {b.num_gpus} x {b.gpu}, {b.input_length} in / {b.output_length} out, "
        f"concurrency {b.concurrency}",
        f"{b.backend}: tp={b.tp}, pp={b.pp}, replicas={b.replicas}, weights {b.precision}, KV {b.kv_precision}",
        f"{o.backend}: tp={o.tp}, pp={o.pp}, replicas={o.replicas}, weights {o.precision}, KV {o.kv_precision}",
    ]
    lines += [f"{r.backend} error: {r.error}" for r in (b, o) if r.error]
    digits = {"itl_ms": 2, "e2e_latency_s": 2, "requests_per_s": 2, "output_throughput_tok_s": 0}
    rows = [
        [
            f.figure,
            fmt(f.baseline, digits.get(f.figure, 1)),
            fmt(f.other, digits.get(f.figure, 1)),
            fmt(f.ratio, 2),
        ]
        for f in c.figures
    ]
    lines.append(render_table(["figure", b.backend, o.backend, f"{o.backend} / {b.backend}"], rows))
    lines += [f"why: {r}" for r in c.reasons]
    return "\n".join(lines)


def layout_text(c: Candidate) -> str:
    """``8 x H100 SXM, TP4 x PP2, 2 replicas``."""
    text = f"{c.num_gpus} x {c.gpu}, " + layout_label(c.tp, c.pp, c.ep, c.dp_attention)
    return text + (f", {c.replicas} replicas" if c.replicas > 1 else "")


def closest_miss(result: RecommendationResult) -> tuple[Candidate, float] | None:
    """The rejected layout whose worst upper-bound SLO is missed by the smallest share, and that share."""
    best: tuple[Candidate, float] | None = None
    for c in result.rejected:
        e = c.estimate
        if e is None or not e.ok or not c.rejected_reason or "SLO" not in c.rejected_reason:
            continue
        shares = []
        for constraint in result.constraints:
            observed = constraint.observed_ms(e)
            if constraint.op in ("<", "<=") and observed is not None and constraint.violation(e):
                shares.append(observed / constraint.value_ms - 1.0)
        if shares and (best is None or max(shares) < best[1]):
            best = (c, max(shares))
    return best


def nothing_met(result: RecommendationResult) -> list[str]:
    """Why nothing is ranked: nothing tried, nothing fit, or the layout that came closest to the SLOs
    and by how much it missed."""
    if not result.rejected:
        return ["No layout was tried: no GPU in the search could hold this model."]
    if all(rejection_kind(c.rejected_reason or "") == "does not fit" for c in result.rejected):
        lines = ["No layout fits in memory."]
    elif result.constraints:
        lines = ["No layout fits and meets the SLOs."]
    else:
        lines = ["No layout fits and could be estimated."]
    from config_explorer.recommender.recommend import capped_for_target, fewest_for_target

    too_big = capped_for_target(result.rejected)
    # simulated figures where the search judged some: the screen's can promise fewer GPUs than they take
    judged = [c for c in too_big if c.estimate is not None and c.estimate.serving_model == "simulated"]
    too_big = judged or too_big
    if too_big:
        fewest = fewest_for_target(too_big)
        lines.append(
            f"The target load needs at least {fewest.total_gpus_for_target} GPUs ({fewest.copies_for_target} "
            f"copies of {layout_text(fewest)}); raise max_gpus (--max-gpus) to at least "
            f"{fewest.total_gpus_for_target}."
        )
        return lines
    closest = closest_miss(result)
    if closest is not None:
        candidate, over = closest
        lines.append(
            f"Closest: {layout_text(candidate)} at concurrency {fmt(candidate.concurrency)}, "
            f"{over:.0%} over its tightest bound ({short_reason(candidate.rejected_reason, 200)})."
        )
    else:
        # the widest layout tried: what it lacked is what the search's bound (max_gpus) left out
        widest = max(result.rejected, key=lambda c: (c.tp * c.pp, c.num_gpus))
        lines.append(f"For example {layout_text(widest)}: {short_reason(widest.rejected_reason, 200)}.")
        if rejection_kind(widest.rejected_reason or "") == "does not fit":
            lines.append(
                f"The widest layout tried spans {widest.tp * widest.pp} GPUs; raise max_gpus (--max-gpus) to try "
                "wider ones."
            )
    return lines
