"""``config-explorer calibrate`` and ``validate``: argument parsing and the printed tables.

Thin, like the rest of the CLI: the fit and the comparison are :mod:`config_explorer.calibrate`'s.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from config_explorer.errors import InvalidArgumentError

if TYPE_CHECKING:  # the fit's modules load when a command runs, not when the parser is built
    from config_explorer.calibrate import CalibrationFit, PointError
    from config_explorer.engine.user_calibration import CalibrationProfile

__all__ = ["add_calibration_option", "add_commands", "cmd_calibrate", "cmd_validate", "load_calibrations"]

#: the figures compared (config_explorer.calibrate.METRICS, repeated so that building the parser stays light)
METRICS = (
    "ttft_ms",
    "ttft_ms_median",
    "itl_ms",
    "itl_ms_median",
    "tpot_ms",
    "tpot_ms_median",
    "e2e_ms",
    "e2e_ms_median",
    "output_throughput_tok_s",
)


def load_calibrations(paths: Sequence[str] | None) -> list[CalibrationProfile] | None:
    """The profiles named by ``--calibration`` (None when none)."""
    from config_explorer.calibrate import load_profile

    return [load_profile(path) for path in paths] if paths else None


def add_calibration_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--calibration",
        action="append",
        metavar="PROFILE.json",
        help="a profile from `config-explorer calibrate` (repeatable); applied on the GPU type it was measured on",
    )


#: what a setup file (``--setup``, or ``RESULT.toml`` beside a result file) may state, and its type
SETUP_KEYS: dict[str, type] = {
    "model": str,
    "gpu": str,
    "num_gpus": int,
    "tp": int,
    "precision": str,
    "engine": str,
}
#: the layout every point needs, from the command line or a setup file
REQUIRED_SETUP = ("model", "gpu", "num_gpus", "tp")


def _add_layout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model id, short name or path to config.json")
    p.add_argument("--gpu", help="GPU the results were measured on (name or alias)")
    p.add_argument("--num-gpus", type=int, help="GPUs the benchmarked server used")
    p.add_argument("--tp", type=int, help="its tensor-parallel degree")
    p.add_argument("--precision", help="weight precision served (default: the checkpoint's)")
    p.add_argument("--engine", help="serving engine benchmarked: vllm (default), sglang, trtllm")
    p.add_argument(
        "--setup",
        metavar="SETUP.toml",
        help="a TOML file stating model, gpu, num_gpus, tp (and precision, engine) for the results; a "
        "RESULT.toml beside a result file is read too; flags given here win",
    )
    p.add_argument(
        "--serving-model",
        default="simulated",
        choices=("simulated", "analytic"),
        help="how closed-loop points are estimated",
    )
    p.add_argument(
        "results", nargs="+", metavar="RESULT_FILE", help="benchmark result files (any known format)"
    )


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("calibrate", help="fit a calibration profile to your own benchmark results")
    _add_layout(p)
    p.add_argument("-o", "--output", metavar="PROFILE.json", help="write the profile here")
    p.add_argument(
        "--plot", metavar="FILE.png", help="draw measured against estimated, before and after the fit"
    )
    p.add_argument("--json", action="store_true", help="print the profile document instead of the tables")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("validate", help="compare estimates with your own benchmark results, point by point")
    _add_layout(p)
    add_calibration_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--plot", metavar="FILE.png", help="draw measured against estimated (with and without the profile)"
    )
    p.set_defaults(func=cmd_validate)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.1f}%"


def _abs_pct(value: float | None) -> str:
    return "-" if value is None else f"{abs(value) * 100:.1f}%"


def _num(value: float) -> str:
    return f"{value:.4g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)


def fit_text(fit: CalibrationFit) -> str:
    p = fit.profile
    parts = [f"calibration of {p.model_id} on {p.num_gpus} x {p.gpu} (TP{p.tp}, {p.engine})", ""]
    parts.append(
        _table(
            ("factor", "value", "uncertainty", "prior", "bounds", "status"),
            [
                (
                    f.name,
                    _num(f.value),
                    "-" if f.uncertainty is None else f"±{_num(f.uncertainty)}",
                    _num(f.prior),
                    f"[{f.low:g}, {f.high:g}]",
                    "clamped" if f.clamped else "fitted" if f.identified else "prior (not identifiable)",
                )
                for f in fit.factors
            ],
        )
    )
    parts.append("")
    parts.append(
        _table(
            ("point", "metric", "measured", "before", "after", "leave-one-out"),
            [
                (
                    r.point,
                    r.metric,
                    _num(r.measured),
                    _pct(r.error_before),
                    _pct(r.error_after),
                    _pct(r.error_loo),
                )
                for r in fit.rows
            ],
        )
    )
    parts.append("")
    summary = []
    for metric in (*METRICS, None):
        before = fit.median_error("before", metric)
        if before is None:
            continue
        summary.append(
            (
                metric or "all",
                _abs_pct(before),
                _abs_pct(fit.median_error("after", metric)),
                _abs_pct(fit.median_error("loo", metric)),
            )
        )
    parts.append(_table(("median |error|", "before", "after", "leave-one-out"), summary))
    for warning in fit.warnings:
        parts.append(f"note: {warning}")
    return "\n".join(parts)


def _read_setup(path: str) -> dict[str, Any]:
    """The keys of one setup TOML file, each checked; never quotes the file's contents."""
    from config_explorer._files import read_toml

    document = read_toml(path, what="the setup file")
    unknown = sorted(set(document) - set(SETUP_KEYS))
    if unknown:
        raise InvalidArgumentError(
            f"{path}: unknown setup key(s) {', '.join(unknown)}; accepted: {', '.join(SETUP_KEYS)}"
        )
    for key, value in document.items():
        kind = SETUP_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise InvalidArgumentError(
                f"{path}: setup key {key!r} must be {'an integer' if kind is int else 'a string'}, "
                f"got a {type(value).__name__}"
            )
    return dict(document)


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    """The layout the results were measured on: the flags, else ``--setup``, else ``RESULT.toml`` sidecars
    beside the result files (which must agree with each other)."""
    from pathlib import Path

    stated: dict[str, tuple[Any, str]] = {}
    files = [args.setup] if args.setup else []
    files += [str(side) for side in (Path(r).with_suffix(".toml") for r in args.results) if side.is_file()]
    for path in files:
        for key, value in _read_setup(path).items():
            if key in stated and stated[key][0] != value:
                raise InvalidArgumentError(
                    f"setup files disagree on {key}: {stated[key][1]} says {stated[key][0]!r}, {path} says "
                    f"{value!r}; give --{key.replace('_', '-')} to choose"
                )
            stated.setdefault(key, (value, path))
    layout = {key: value for key, (value, _) in stated.items()}
    for key in SETUP_KEYS:
        flag = getattr(args, key)
        if flag is not None:
            layout[key] = flag
    missing = [key for key in REQUIRED_SETUP if key not in layout]
    if missing:
        raise InvalidArgumentError(
            f"the results need {', '.join('--' + k.replace('_', '-') for k in missing)}: give them as flags, in "
            "--setup SETUP.toml, or in a RESULT.toml beside the result file (keys: "
            + ", ".join(SETUP_KEYS)
            + ")"
        )
    layout.setdefault("engine", "vllm")
    layout.setdefault("precision", None)
    return layout


def cmd_calibrate(args: argparse.Namespace) -> int:
    from config_explorer.calibrate import fit_calibration, profile_to_json, write_profile
    from config_explorer.cli import _emit_json

    fit = fit_calibration(args.results, **_setup(args), serving_model=args.serving_model)
    if args.json:
        _emit_json(profile_to_json(fit))
    else:
        print(fit_text(fit))
    if args.output:
        written = write_profile(fit, args.output)
        if not args.json:
            print(f"profile written to {written}")
    if args.plot:
        from config_explorer.calibration_plot import plot_measured_vs_estimated

        drawn = plot_measured_vs_estimated(fit.rows, args.plot, calibrated=True)
        if not args.json:
            print(f"plot written to {drawn}")
    return 0


def _validation_json(rows: Sequence[PointError], calibrated: bool) -> dict[str, Any]:
    def summary(which: str) -> dict[str, float]:
        out = {}
        for metric in METRICS:
            errors = [
                abs(r.error_after if which == "after" else r.error_before) for r in rows if r.metric == metric
            ]
            if errors:
                out[metric] = statistics.median(errors)
        return out

    return {
        "calibrated": calibrated,
        "points": [
            {
                "point": r.point,
                "metric": r.metric,
                "measured": r.measured,
                "estimated": r.after,
                "error": r.error_after,
                "uncalibrated": r.before,
                "uncalibrated_error": r.error_before,
            }
            for r in rows
        ],
        "median_abs_error": summary("after"),
        "median_abs_error_uncalibrated": summary("before"),
    }


def cmd_validate(args: argparse.Namespace) -> int:
    from config_explorer.bench_results import read_many
    from config_explorer.calibrate import validate_points
    from config_explorer.cli import _emit_json

    profiles = load_calibrations(args.calibration)
    rows = validate_points(
        read_many(args.results), **_setup(args), serving_model=args.serving_model, calibration=profiles
    )
    if not rows:
        raise InvalidArgumentError(
            "no measured point could be estimated on this layout (run `config-explorer estimate` with the same "
            "model, GPU and layout to see why)"
        )
    if args.plot:
        from config_explorer.calibration_plot import plot_measured_vs_estimated

        plot_measured_vs_estimated(rows, args.plot, calibrated=profiles is not None)
    if args.json:
        _emit_json(_validation_json(rows, profiles is not None))
        return 0
    header = ["point", "metric", "measured", "estimated", "error"]
    if profiles:
        header.append("uncalibrated error")
    table = []
    for r in rows:
        line = [r.point, r.metric, _num(r.measured), _num(r.after), _pct(r.error_after)]
        if profiles:
            line.append(_pct(r.error_before))
        table.append(line)
    print(_table(header, table))
    print()
    summary = []
    for metric in METRICS:
        picked = [r for r in rows if r.metric == metric]
        if picked:
            line = [metric, _abs_pct(statistics.median(abs(r.error_after) for r in picked))]
            if profiles:
                line.append(_abs_pct(statistics.median(abs(r.error_before) for r in picked)))
            summary.append(line)
    print(_table(["median |error|", "estimate", *(["uncalibrated"] if profiles else [])], summary))
    return 0
