"""One self-contained HTML page of recommendations, for people who do not run Python.

Why self-contained: the page is mailed, attached to tickets and opened offline, so it carries
everything inline (CSS in a ``<style>`` element, the frontier as inline SVG drawn here) and refers to
nothing outside itself: no script, no web font, no image file, no URL. Per model it shows the question
(model, request lengths, SLOs and where they come from, target load), the ranked table with the same
columns as ``RecommendationResult.summary()``, the caveat legend, the throughput/interactivity frontier
(the curves of :func:`config_explorer.plots.frontier_curves`), the launch command of the best row, what
was rejected and why, and the price note. Every text from a result is escaped; the same results give
the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from config_explorer._files import write_text
from config_explorer.engine.records import pool_texts
from config_explorer.plots import (
    FrontierCurve,
    SeriesStyle,
    SLOLine,
    frontier_curves,
    series_style,
    slo_lines,
    undrawn_slos,
)
from config_explorer.reports import binds_label, fmt, nothing_met, rejection_kind
from config_explorer.reports import layout_text as _layout

if TYPE_CHECKING:
    from config_explorer.recommender.recommend import Candidate, RecommendationResult

__all__ = ["html_report", "write_html_report"]

_CSS: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 2rem auto; max-width: 1400px; padding: 0 1.5rem; color: #1a1a1a; background: #fff;
       line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 2px solid #ddd; padding-bottom: 0.3rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.5rem; }
dl.question { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.8rem 0; }
dl.question dt { font-weight: 600; color: #444; }
dl.question dd { margin: 0; }
table { border-collapse: collapse; font-size: 0.8rem; margin: 0.5rem 0; }
th, td { border: 1px solid #d5d5d5; padding: 0.2rem 0.4rem; white-space: nowrap; }
thead th { background: #f0f3f7; position: sticky; top: 0; }
tbody tr:nth-child(even) { background: #fafafa; }
tbody tr.best { background: #eef7ee; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { text-align: left; }
.scroll { overflow-x: auto; }
pre { background: #f6f8fa; border: 1px solid #d5d5d5; padding: 0.7rem; white-space: pre-wrap;
      word-break: break-all; font-size: 0.85rem; }
.note { color: #555; font-size: 0.85rem; }
.none { background: #fff4e5; border-left: 4px solid #f0a030; padding: 0.6rem 0.8rem; }
ul.caveats { font-size: 0.85rem; padding-left: 1.2rem; }
figure { margin: 1rem 0; }
figcaption { color: #555; font-size: 0.85rem; max-width: 70rem; }
svg.frontier { max-width: 100%; height: auto; border: 1px solid #e3e3e3; background: #fff; }
svg.frontier text { font-family: system-ui, Helvetica, Arial, sans-serif; }
svg.key { vertical-align: middle; margin-right: 0.3rem; }
footer { margin-top: 3rem; color: #777; font-size: 0.8rem; }
"""

# the frontier's geometry in SVG user units (pixels at 100% zoom)
_PLOT_LEFT: Final = 78.0
_PLOT_TOP: Final = 44.0
_PLOT_WIDTH: Final = 640.0
_PLOT_HEIGHT: Final = 420.0
_LEGEND_LEFT: Final = _PLOT_LEFT + _PLOT_WIDTH + 28.0
_LEGEND_ROW: Final = 17.0
_SVG_WIDTH: Final = 1040.0
_LINE_WIDTH: Final = 1.6


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def html_report(results: Sequence[RecommendationResult]) -> str:
    """The page for ``results`` (zero, one or several models) as a string."""
    from config_explorer import __version__

    results = list(results)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_title(results))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Which GPU, how many, which layout, at what cost</h1>",
        f'<p class="note">{_e(_title(results))}. Estimates by config-explorer {_e(__version__)}; '
        "each model's section states the question it answers.</p>",
        "</header>",
    ]
    if not results:
        parts.append('<p class="none">No recommendation results to report.</p>')
    if len(results) > 1:
        parts.append(_overview(results))
    for number, result in enumerate(results, start=1):
        parts.append(_section(result, number))
    parts += [
        "<footer>",
        f"<p>Written by config-explorer {_e(__version__)}. The page is self-contained: it loads nothing "
        "from anywhere.</p>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_html_report(results: Sequence[RecommendationResult], path: str | Path) -> Path:
    """Write :func:`html_report` of ``results`` to ``path`` (UTF-8, atomically); returns the path."""
    return write_text(path, html_report(results), what="the HTML report")


def _title(results: Sequence[RecommendationResult]) -> str:
    if not results:
        return "config-explorer report: no results"
    if len(results) == 1:
        return f"config-explorer report: {results[0].model_id}"
    return f"config-explorer report: {len(results)} models"


def _has_target(result: RecommendationResult) -> bool:
    return result.target_requests_per_s is not None or result.target_output_tok_s is not None


def _overview(results: Sequence[RecommendationResult]) -> str:
    rows = []
    for number, r in enumerate(results, start=1):
        b = r.best
        layout = "none met the question" if b is None else _layout(b)
        target = (
            "-"
            if b is None or b.total_gpus_for_target is None
            else f"{fmt(b.total_gpus_for_target)} GPU{'s' if b.total_gpus_for_target != 1 else ''}, "
            f"{fmt(b.cost_per_hour_for_target_usd, 2)} $/h"
        )
        rows.append(
            f'<tr><td class="text"><a href="#model-{number}">{_e(r.model_id)}</a></td>'
            f'<td class="text">{_e(layout)}</td>'
            f'<td class="num">{_e(fmt(b.cost_per_million_output_tokens_usd, 3) if b else "-")}</td>'
            f'<td class="text">{_e(target)}</td></tr>'
        )
    return (
        "<h2>Best per model</h2>"
        '<div class="scroll"><table class="overview"><thead><tr><th>model</th><th>best</th><th>$/M tok</th>'
        "<th>for the target</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def _section(result: RecommendationResult, number: int) -> str:
    curves = frontier_curves(result)
    style_of = {(c.gpu, c.num_gpus, c.tp, c.pp): series_style(i) for i, c in enumerate(curves)}
    parts = [
        f'<section id="model-{number}">',
        f"<h2>{_e(result.model_id)}</h2>",
        _question(result),
        "<h3>Ranked deployments</h3>",
    ]
    if result.ranked:
        parts.append(_ranked_table(result, style_of))
        parts.append(_caveat_legend(result))
    else:
        parts.append(_nothing_met(result))
    parts.append(_rejected(result))
    parts.append("<h3>Throughput per GPU against speed per user</h3>")
    parts.append(_figure(result, curves))
    if result.best is not None:
        parts.append(_launch(result.best))
    if result.disaggregated or result.disaggregation_note:
        parts.append(_disaggregated(result))
    if result.cost_note:
        parts.append(f'<p class="note">{_e(result.cost_note)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _question(result: RecommendationResult) -> str:
    items = [
        ("Model", result.model_id),
        ("Requests", f"{result.input_length:,} tokens in, {result.output_length:,} tokens out"),
    ]
    if result.constraints:
        slos = "; ".join(str(c) for c in result.constraints)
        items.append(("SLOs", slos + (f" ({result.slo_note})" if result.slo_note else "")))
    else:
        items.append(("SLOs", result.slo_note or "none"))
    if result.target_requests_per_s is not None:
        items.append(("Target load", f"{fmt(result.target_requests_per_s, 2)} requests/s"))
    elif result.target_output_tok_s is not None:
        items.append(("Target load", f"{fmt(result.target_output_tok_s, 0)} output tokens/s"))
    else:
        items.append(("Target load", "none given: each row is one copy of its layout"))
    items.append(("Ranked by", result.metric))
    items.append(
        ("Backend", result.backend + (f" (auto: {result.backend_note})" if result.backend_note else ""))
    )
    if result.other_layouts:
        items.append(
            (
                "Rows",
                f"one per GPU type, its best layout ({len(result.other_layouts)} other layouts ranked; "
                "all_layouts=True / --all-layouts lists them)",
            )
        )
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<dl class="question">{body}</dl>'


def _ranked_table(
    result: RecommendationResult, style_of: dict[tuple[str, int, int, int], SeriesStyle]
) -> str:
    from config_explorer.recommender.recommend import CAVEATS

    target = _has_target(result)
    # MoE layouts that split experts or attention get their own columns (a dense search never has them)
    moe = any(c.ep > 1 or c.dp_attention > 1 for c in result.ranked)
    headers = ["#", "GPU", "GPUs", "TP", "PP", *(("EP", "DPA") if moe else ()), "rep", "conc"]
    headers += ["TTFT ms", "ITL ms", "E2E s"]
    headers += ["out tok/s", "tok/s/GPU", "$/h", "$/M tok"]
    if result.constraints:
        headers.append("binds")
    headers.append("caveats")
    if target:
        headers += ["copies", "GPUs@target", "$/h@target", "spare"]
    rows = []
    for c in result.ranked:
        e = c.estimate
        style = style_of.get((c.gpu, c.num_gpus, c.tp, c.pp))
        key = "" if style is None else _key_svg(style)
        cells = [
            _num(fmt(c.rank)),
            f'<td class="text">{key}{_e(c.gpu)}</td>',
            _num(fmt(c.num_gpus)),
            _num(fmt(c.tp)),
            _num(fmt(c.pp)),
            *((_num(fmt(c.ep)), _num(fmt(c.dp_attention))) if moe else ()),
            _num(fmt(c.replicas)),
            _num(fmt(c.concurrency)),
            _num(fmt(e.ttft_ms if e else None)),
            _num(fmt(e.itl_ms if e else None, 2)),
            _num(fmt(e.e2e_latency_s if e else None, 2)),
            _num(fmt(e.output_throughput_tok_s if e else None, 0)),
            _num(fmt(e.output_throughput_tok_s_per_gpu if e else None, 0)),
            _num(fmt(c.cost_per_hour_usd, 2)),
            _num(fmt(c.cost_per_million_output_tokens_usd, 3)),
        ]
        if result.constraints:
            cells.append(
                f'<td class="text" title="{_e(c.binding_slo or "")}">{_e(binds_label(c.binding_slo))}</td>'
            )
        marks = "".join(CAVEATS[k][0] for k in c.caveats if k in CAVEATS) or "-"
        meaning = "; ".join(f"{CAVEATS[k][0]}: {CAVEATS[k][1]}" for k in c.caveats if k in CAVEATS)
        cells.append(f'<td class="text" title="{_e(meaning)}">{_e(marks)}</td>')
        if target:
            spare = "-" if c.headroom_for_target is None else f"{c.headroom_for_target:.0%}"
            cells += [
                _num(fmt(c.copies_for_target)),
                _num(fmt(c.total_gpus_for_target)),
                _num(fmt(c.cost_per_hour_for_target_usd, 2)),
                _num(spare),
            ]
        best = ' class="best"' if c is result.best else ""
        rows.append(f"<tr{best}>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return (
        f'<div class="scroll"><table class="ranked"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _num(text: str) -> str:
    return f'<td class="num">{_e(text)}</td>'


def _caveat_legend(result: RecommendationResult) -> str:
    from config_explorer.recommender.recommend import CAVEATS

    shown = {k for c in result.ranked for k in c.caveats if k in CAVEATS}
    if not shown:
        return '<p class="note">No row carries a caveat.</p>'
    items = "".join(
        f"<li><strong>{_e(CAVEATS[k][0])}</strong> {_e(CAVEATS[k][1])}</li>" for k in CAVEATS if k in shown
    )
    return f'<p class="note">Caveats (the marks in the table):</p><ul class="caveats">{items}</ul>'


def _nothing_met(result: RecommendationResult) -> str:
    """Why the table is empty: nothing tried, nothing fit, or the layout that came closest to the SLOs."""
    return '<p class="none">' + " ".join(_e(line) for line in nothing_met(result)) + "</p>"


def _rejected(result: RecommendationResult) -> str:
    if not result.rejected:
        return '<p class="note">No layout was rejected.</p>'
    kinds: dict[str, int] = {}
    for c in result.rejected:
        kind = rejection_kind(c.rejected_reason or "")
        kinds[kind] = kinds.get(kind, 0) + 1
    counts = ", ".join(f"{kind}: {count}" for kind, count in kinds.items())
    return f'<p class="note">Rejected {len(result.rejected)} layouts ({_e(counts)}).</p>'


def _launch(best: Candidate) -> str:
    if not best.serve_commands:
        return ""
    engine = best.estimate.engine.partition("==")[0] if best.estimate is not None else "vllm"
    chosen = engine if engine in best.serve_commands else sorted(best.serve_commands)[0]
    parts = [
        f"<h3>Launch the best row ({_e(_layout(best))}) with {_e(chosen)}</h3>",
        f"<pre>{_e(best.serve_commands[chosen])}</pre>",
    ]
    others = [name for name in sorted(best.serve_commands) if name != chosen]
    if others:
        parts.append("<details><summary>the same layout on other engines</summary>")
        parts += [f"<p>{_e(name)}:</p><pre>{_e(best.serve_commands[name])}</pre>" for name in others]
        parts.append("</details>")
    return "\n".join(parts)


def _disaggregated(result: RecommendationResult) -> str:
    """The disaggregated plans: how the best compares with aggregated serving, the plans, their launch lines."""
    parts = [
        "<h3>Disaggregated prefill and decode</h3>",
        f'<p class="note">{_e(result.disaggregation_note)}</p>',
    ]
    rows = []
    for c in result.disaggregated:
        e = c.estimate
        pools = None if e is None else pool_texts(e)
        if e is None or pools is None:
            continue
        cells = [
            _num(fmt(c.rank)),
            f'<td class="text">{_e(c.gpu)}</td>',
            *(f'<td class="text">{_e(pool)}</td>' for pool in pools),
            _num(fmt(c.num_gpus)),
            _num(fmt(e.ttft_p99_ms)),
            _num(fmt(e.tpot_p99_ms, 2)),
            _num(fmt(e.kv_transfer_ms, 2)),
            _num(fmt(c.cost_per_hour_usd, 2)),
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if rows:
        headers = ["#", "GPU", "prefill pool", "decode pool", "GPUs", "TTFT p99 ms", "TPOT p99 ms"]
        head = "".join(f"<th>{_e(h)}</th>" for h in [*headers, "KV move ms", "$/h"])
        parts.append(
            f'<div class="scroll"><table class="ranked"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
        best = result.disaggregated[0]
        command = best.launch_command
        if command and best.estimate is not None:
            engine = best.estimate.engine.partition("==")[0]
            parts.append(f"<p>Launch the best plan's pools with {_e(engine)}:</p><pre>{_e(command)}</pre>")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------- the SVG
def _figure(result: RecommendationResult, curves: Sequence[FrontierCurve]) -> str:
    lines = slo_lines(result)
    other = undrawn_slos(result)
    caption = (
        "Each curve sweeps one GPU type's best layout over the requests in flight (the analytic serving "
        "model, means); the star is the operating point the recommendation judged (simulated for the "
        "leaders). Right is faster for each user, up is more tokens per GPU (cheaper)."
    )
    if lines:
        caption += " The dashed line is the bound on time per output token: left of it is too slow" + (
            "; a bound on a percentile is met somewhat right of its line, since the curves are means."
            if any(":mean" not in line.label for line in lines)
            else "."
        )
    if other:
        caption += f" Not on these axes: {', '.join(other)}."
    return f"<figure>{_frontier_svg(curves, lines)}<figcaption>{_e(caption)}</figcaption></figure>"


def _nice_step(span: float, ticks: int) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _log_bounds(low: float, high: float) -> tuple[float, float]:
    """The logarithmic axis' ends: the nearest 1, 2 or 5 x 10^k at or beyond the data."""
    steps = [f * 10.0**k for k in range(-3, 12) for f in (1.0, 2.0, 5.0)]
    bottom = max((s for s in steps if s <= low), default=steps[0])
    top = min((s for s in steps if s >= high * 1.0001), default=steps[-1])
    return bottom, max(top, bottom * 2)


def _tick_label(value: float) -> str:
    if value >= 1000:
        text = f"{value / 1000:g}k"
    else:
        text = f"{value:g}"
    return text


def _f(value: float) -> str:
    return f"{value:.1f}"


def _frontier_svg(curves: Sequence[FrontierCurve], lines: Sequence[SLOLine]) -> str:
    xs = [p.tok_s_per_user for c in curves for p in (*c.points, c.operating_point) if p is not None]
    ys = [p.output_tok_s_per_gpu for c in curves for p in (*c.points, c.operating_point) if p is not None]
    ys = [y for y in ys if y > 0]
    xs += [line.tok_s_per_user for line in lines]
    x_step = _nice_step(max(xs, default=1.0), 8)
    x_max = x_step * math.ceil(max(xs, default=1.0) * 1.02 / x_step)
    y_low, y_high = _log_bounds(min(ys, default=1.0), max(ys, default=10.0))

    def sx(x: float) -> float:
        return _PLOT_LEFT + _PLOT_WIDTH * x / x_max

    def sy(y: float) -> float:
        share = (math.log10(y) - math.log10(y_low)) / (math.log10(y_high) - math.log10(y_low))
        return _PLOT_TOP + _PLOT_HEIGHT * (1.0 - share)

    legend_rows = len(curves) + len(lines) + 1
    height = max(_PLOT_TOP + _PLOT_HEIGHT + 60.0, _PLOT_TOP + legend_rows * _LEGEND_ROW + 20.0)
    bottom = _PLOT_TOP + _PLOT_HEIGHT
    out = [
        f'<svg class="frontier" width="{_f(_SVG_WIDTH)}" '
        f'height="{_f(height)}" viewBox="0 0 {_f(_SVG_WIDTH)} {_f(height)}" role="img" '
        'aria-label="output tokens per second per GPU against tokens per second per user">',
        f'<rect x="{_f(_PLOT_LEFT)}" y="{_f(_PLOT_TOP)}" width="{_f(_PLOT_WIDTH)}" '
        f'height="{_f(_PLOT_HEIGHT)}" fill="#ffffff" stroke="#333333"/>',
    ]
    # the region a TPOT/ITL bound rules out, then the grid and ticks
    for line in lines:
        out.append(
            f'<rect class="slo-region" x="{_f(_PLOT_LEFT)}" y="{_f(_PLOT_TOP)}" '
            f'width="{_f(sx(line.tok_s_per_user) - _PLOT_LEFT)}" height="{_f(_PLOT_HEIGHT)}" '
            'fill="#e6e6e6" fill-opacity="0.5"/>'
        )
    tick = 0.0
    while tick <= x_max + 1e-9:
        x = sx(tick)
        out.append(
            f'<line x1="{_f(x)}" y1="{_f(_PLOT_TOP)}" x2="{_f(x)}" y2="{_f(bottom)}" stroke="#e0e0e0"/>'
            f'<text x="{_f(x)}" y="{_f(bottom + 16)}" font-size="11" text-anchor="middle">'
            f"{_e(_tick_label(tick))}</text>"
        )
        tick += x_step
    decade = 10.0 ** math.floor(math.log10(y_low) + 1e-9)
    while decade <= y_high * 1.0001:
        for factor in (1, 2, 5):
            y = decade * factor
            if y > y_high * 1.0001:
                break
            if y < y_low * 0.9999:
                continue
            label = factor == 1 or math.log10(y_high / y_low) <= 2
            colour = "#d0d0d0" if factor == 1 else "#ececec"
            out.append(
                f'<line x1="{_f(_PLOT_LEFT)}" y1="{_f(sy(y))}" x2="{_f(_PLOT_LEFT + _PLOT_WIDTH)}" '
                f'y2="{_f(sy(y))}" stroke="{colour}"/>'
            )
            if label:
                out.append(
                    f'<text x="{_f(_PLOT_LEFT - 6)}" y="{_f(sy(y) + 4)}" font-size="11" text-anchor="end">'
                    f"{_e(_tick_label(y))}</text>"
                )
        decade *= 10
    out.append(
        f'<text x="{_f(_PLOT_LEFT + _PLOT_WIDTH / 2)}" y="{_f(bottom + 38)}" font-size="12" '
        'text-anchor="middle">tokens/s per user (1000 / mean TPOT)</text>'
        f'<text x="18" y="{_f(_PLOT_TOP + _PLOT_HEIGHT / 2)}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 18 {_f(_PLOT_TOP + _PLOT_HEIGHT / 2)})">output tokens/s per GPU (log)</text>'
    )
    if not curves:
        out.append(
            f'<text x="{_f(_PLOT_LEFT + _PLOT_WIDTH / 2)}" y="{_f(_PLOT_TOP + _PLOT_HEIGHT / 2)}" '
            'font-size="14" text-anchor="middle" fill="#666666">no layout met the question: nothing to '
            "draw</text>"
        )
    # SLO lines, then the curves (best last, so it is on top), then the operating points
    for line in lines:
        x = sx(line.tok_s_per_user)
        out.append(
            f'<line class="slo" x1="{_f(x)}" y1="{_f(_PLOT_TOP)}" x2="{_f(x)}" y2="{_f(bottom)}" '
            f'stroke="#000000" stroke-width="1.4" stroke-dasharray="6 4"><title>SLO {_e(line.label)}</title>'
            f'</line><text x="{_f(x)}" y="{_f(_PLOT_TOP - 6)}" font-size="11" text-anchor="middle">'
            f"SLO {_e(line.label)}</text>"
        )
    for index in reversed(range(len(curves))):
        curve, style = curves[index], series_style(index)
        if curve.points:
            coords = " ".join(
                f"{_f(sx(p.tok_s_per_user))},{_f(sy(p.output_tok_s_per_gpu))}" for p in curve.points
            )
            dashes = (
                f' stroke-dasharray="{" ".join(_f(d * _LINE_WIDTH) for d in style.dashes)}"'
                if style.dashes
                else ""
            )
            out.append(
                f'<polyline class="curve" points="{coords}" fill="none" stroke="{style.colour}" '
                f'stroke-width="{_LINE_WIDTH}"{dashes}><title>{_e(curve.label)}</title></polyline>'
            )
            for p in curve.points:
                tip = (
                    f"{curve.label}: concurrency {p.concurrency:,}, {p.tok_s_per_user:,.1f} tok/s per user, "
                    f"{p.output_tok_s_per_gpu:,.0f} tok/s per GPU"
                )
                out.append(
                    _marker(
                        style,
                        sx(p.tok_s_per_user),
                        sy(p.output_tok_s_per_gpu),
                        3.6,
                        f"<title>{_e(tip)}</title>",
                    )
                )
    for index, curve in enumerate(curves):
        point = curve.operating_point
        if point is None or point.output_tok_s_per_gpu <= 0:
            continue
        tip = (
            f"{curve.label} operating point: concurrency {point.concurrency:,}, "
            f"{point.tok_s_per_user:,.1f} tok/s per user, {point.output_tok_s_per_gpu:,.0f} tok/s per GPU"
        )
        out.append(
            f'<path class="operating-point" d="{_star(sx(point.tok_s_per_user), sy(point.output_tok_s_per_gpu), 8.5)}" '
            f'fill="{series_style(index).colour}" stroke="#000000" stroke-width="0.9"><title>{_e(tip)}</title></path>'
        )
    out.extend(_legend(curves, lines))
    out.append("</svg>")
    return "\n".join(out)


def _legend(curves: Sequence[FrontierCurve], lines: Sequence[SLOLine]) -> list[str]:
    out = []
    y = _PLOT_TOP + 8.0
    for index, curve in enumerate(curves):
        style = series_style(index)
        dashes = (
            f' stroke-dasharray="{" ".join(_f(d * _LINE_WIDTH) for d in style.dashes)}"'
            if style.dashes
            else ""
        )
        out.append(
            f'<g class="legend-entry"><line x1="{_f(_LEGEND_LEFT)}" y1="{_f(y)}" x2="{_f(_LEGEND_LEFT + 26)}" '
            f'y2="{_f(y)}" stroke="{style.colour}" stroke-width="{_LINE_WIDTH}"{dashes}/>'
            + _marker(style, _LEGEND_LEFT + 13, y, 3.6)
            + f'<text x="{_f(_LEGEND_LEFT + 34)}" y="{_f(y + 4)}" font-size="11">{_e(curve.label)}</text></g>'
        )
        y += _LEGEND_ROW
    for line in lines:
        out.append(
            f'<g class="legend-entry"><line x1="{_f(_LEGEND_LEFT)}" y1="{_f(y)}" x2="{_f(_LEGEND_LEFT + 26)}" '
            f'y2="{_f(y)}" stroke="#000000" stroke-width="1.4" stroke-dasharray="6 4"/>'
            f'<text x="{_f(_LEGEND_LEFT + 34)}" y="{_f(y + 4)}" font-size="11">SLO {_e(line.label)}</text></g>'
        )
        y += _LEGEND_ROW
    if any(curve.operating_point is not None for curve in curves):
        out.append(
            f'<g class="legend-entry"><path d="{_star(_LEGEND_LEFT + 13, y, 7.0)}" fill="#ffffff" '
            'stroke="#000000" stroke-width="0.9"/>'
            f'<text x="{_f(_LEGEND_LEFT + 34)}" y="{_f(y + 4)}" font-size="11">operating point (judged)</text></g>'
        )
    return out


def _key_svg(style: SeriesStyle) -> str:
    """The curve's line and marker, 26 x 12, to put beside a GPU's name in the table."""
    dashes = f' stroke-dasharray="{" ".join(_f(d * 1.2) for d in style.dashes)}"' if style.dashes else ""
    return (
        '<svg class="key" width="26" height="12" viewBox="0 0 26 12" aria-hidden="true">'
        f'<line x1="0" y1="6" x2="26" y2="6" stroke="{style.colour}" stroke-width="1.5"{dashes}/>'
        f"{_marker(style, 13, 6, 3.6)}</svg>"
    )


def _marker(style: SeriesStyle, x: float, y: float, r: float, inner: str = "") -> str:
    """``style``'s marker (matplotlib's code) at (x, y), about ``2r`` across, as an SVG element."""
    fill = f'fill="{style.colour}"'
    if style.marker == "o":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" {fill}>{inner}</circle>'
    points: list[tuple[float, float]]
    if style.marker == "s":
        k = r * 0.85
        points = [(-k, -k), (k, -k), (k, k), (-k, k)]
    elif style.marker == "^":
        points = [(0, -r * 1.1), (r, r * 0.8), (-r, r * 0.8)]
    elif style.marker == "v":
        points = [(0, r * 1.1), (r, -r * 0.8), (-r, -r * 0.8)]
    elif style.marker == "D":
        points = [(0, -r), (r * 0.75, 0), (0, r), (-r * 0.75, 0)]
    else:  # "P" (plus) and "X" (the plus turned 45 degrees), filled
        t, k = r * 0.38, r * 1.05
        points = [(-t, -k), (t, -k), (t, -t), (k, -t), (k, t), (t, t), (t, k), (-t, k)]
        points += [(-t, t), (-k, t), (-k, -t), (-t, -t)]
        if style.marker == "X":
            c = math.sqrt(0.5)
            points = [((px - py) * c, (px + py) * c) for px, py in points]
    d = "M" + " L".join(f"{_f(x + px)} {_f(y + py)}" for px, py in points) + " Z"
    return f'<path d="{d}" {fill}>{inner}</path>'


def _star(x: float, y: float, r: float) -> str:
    corners = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.42
        angle = math.pi / 5 * k - math.pi / 2
        corners.append(f"{_f(x + radius * math.cos(angle))} {_f(y + radius * math.sin(angle))}")
    return "M" + " L".join(corners) + " Z"
