"""Run the CLI in-process on one argument list and judge what it did (tests/test_fuzz_cli.py, benchmarks/fuzz_cli.py).

Acceptable outcomes, and nothing else:

* ``ok``: exit 0; no traceback or Python warning on stderr; with ``--json`` one strict JSON document
  (``NaN`` / ``Infinity`` refused), without it no ``inf`` / ``nan`` in the text; every closed-loop
  record of fixed lengths obeys Little's law; a recommendation never rejects every layout for one
  and the same reason (that is an argument error in disguise).
* ``error``: exit 2 with exactly one line on stderr and nothing on stdout.

Anything else is ``bad``: a traceback, another exit code, several lines, a call that outlives its time
bound (a hang), non-finite output, a broken Little's law.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import signal
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from config_explorer.cli import main

__all__ = ["Outcome", "run_cli"]

#: Python's spelling of a non-finite float in text output (``inf``, ``-inf``, ``nan``; ``INF`` / ``NAN`` from
#: upper-case formats), a figure that should have been "-" or "unbounded"; "Infinity Fabric" (AMD's link) is fine
_NON_FINITE = re.compile(r"(?<![A-Za-z])[-+]?(inf|nan|INF|NAN)(?![A-Za-z])")


#: the rejection summary of a text recommendation: "rejected 3 layouts (does not fit: 2, misses SLO: 1)"
_REJECTED = re.compile(r"^rejected (?P<count>\d+) layouts \((?P<kinds>.*)\)$", re.MULTILINE)


#: rejections that are answers about a layout, not an argument error in disguise
_ANSWERS = ("does not fit", "misses SLO", "missed SLO", "exceeds max_gpus for the target")


@attrs.frozen
class Outcome:
    kind: str  # ok | error | bad
    group: str
    detail: str = ""


class _TimeLimit(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in the code under test swallows it."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def run_cli(argv: Sequence[str], time_limit_s: int = 20) -> Outcome:
    """``main(argv)`` with stdout and stderr captured, stopped after ``time_limit_s`` (SIGALRM)."""
    out, err = io.StringIO(), io.StringIO()

    def on_alarm(signum: int, frame: object) -> None:
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(time_limit_s)
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
    except _TimeLimit:
        return Outcome("bad", "hang", f"over {time_limit_s} s")
    except Exception as exc:
        return Outcome("bad", f"traceback {type(exc).__name__}", str(exc)[:300])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return _judge(list(argv), code, out.getvalue(), err.getvalue(), [str(w.message) for w in caught])


def _judge(argv: list[str], code: int, out: str, err: str, warned: list[str]) -> Outcome:
    if code == 2:
        lines = err.splitlines()
        if out:
            return Outcome("bad", "stdout on error", out[:200])
        if len(lines) != 1 or not err.endswith("\n") or "Traceback" in err:
            return Outcome("bad", "error not one line", err[:300])
        return Outcome("error", _error_group(lines[0]), lines[0])
    if code != 0:
        return Outcome("bad", f"exit {code}", err[:300])
    if "Traceback" in err:
        return Outcome("bad", "traceback on stderr", err[:300])
    if warned:
        return Outcome("bad", "python warning", "; ".join(warned)[:300])
    if "--json" not in argv:
        match = _NON_FINITE.search(out)
        if match:
            start = max(match.start() - 60, 0)
            return Outcome("bad", "non-finite in text", out[start : match.end() + 60])
        for rejected in _REJECTED.finditer(out):
            kinds = {_shape(kind) for kind, _ in re.findall(r"(.+?): (\d+)(?:, |$)", rejected["kinds"])}
            if "no configuration fits" in out and int(rejected["count"]) >= 2 and _one_argument(kinds):
                return Outcome("bad", "every layout rejected for one reason", rejected[0])
        return Outcome("ok", argv[0])
    try:
        doc = json.loads(out, parse_constant=_refuse_constant)
    except ValueError as exc:
        return Outcome("bad", "not strict JSON", f"{exc}: {out[:200]}")
    fixed_lengths = not any(a.startswith(("--input-dist", "--output-dist")) for a in argv)
    for record in _records(doc):
        broken = _little_law(record) if fixed_lengths else None
        if broken:
            return Outcome("bad", "Little's law", broken)
    for result in _recommendations(doc):
        rejected = [str(c.get("rejected_reason")) for c in result.get("rejected", [])]
        if not result.get("ranked") and len(rejected) >= 2 and _one_argument({_shape(r) for r in rejected}):
            return Outcome("bad", "every layout rejected for one reason", rejected[0][:300])
    return Outcome("ok", argv[0])


def _shape(reason: str) -> str:
    """A rejection reason's first words, figures left out: layouts rejected for one argument differ only in
    numbers (and the text summary cuts reasons short)."""
    return " ".join(re.sub(r"\d[\d,.]*", "N", reason).split()[:5])


def _one_argument(shapes: set[str]) -> bool:
    """Every layout rejected alike, and not as an answer about the layouts (does not fit, misses an SLO)."""
    return len(shapes) == 1 and not next(iter(shapes)).startswith(_ANSWERS)


def _error_group(line: str) -> str:
    """The kind of an error: the message's first words, without values."""
    message = line.split(": error: ", 1)[-1]
    words = []
    for word in message.split():
        if any(ch.isdigit() for ch in word) or "'" in word or '"' in word:
            break
        words.append(word)
        if len(words) == 5:
            break
    return " ".join(words) or message[:30]


def _walk(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, dict):
        yield doc
        for value in doc.values():
            yield from _walk(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _walk(value)


def _records(doc: Any) -> Iterator[dict[str, Any]]:
    """Every performance record in a document that has the figures Little's law ties together."""
    keys = ("concurrency", "output_throughput_tok_s", "e2e_latency_s", "output_length", "serving_model")
    for d in _walk(doc):
        complete = all(d.get(k) is not None for k in keys) and d.get("error") is None
        if complete and d.get("arrival") == "closed_loop" and d.get("fits"):
            yield d


def _recommendations(doc: Any) -> Iterator[dict[str, Any]]:
    for d in _walk(doc):
        if "ranked" in d and "rejected" in d:
            yield d


def _little_law(record: dict[str, Any]) -> str | None:
    """Why ``record`` breaks Little's law (None when it holds), as tests/test_engine.py and test_simulator.py state it.

    The analytic steady state holds it exactly: output tok/s = concurrency x output / E2E. A simulated
    closed loop holds at most ``concurrency`` in flight on average (rate x E2E), and at least half of
    it once the run is four rounds of clients long.
    """
    c, osl = record["concurrency"], record["output_length"]
    tput, e2e = record["output_throughput_tok_s"], record["e2e_latency_s"]
    if not (math.isfinite(tput) and math.isfinite(e2e)) or e2e <= 0:
        return f"non-finite or non-positive figures: {tput} tok/s, {e2e} s"
    in_flight = tput * e2e / osl
    where = f"concurrency {c}, {osl} out, {tput:.6g} tok/s, E2E {e2e:.6g} s: {in_flight:.6g} in flight"
    if record["serving_model"] == "analytic":
        return None if math.isclose(in_flight, c, rel_tol=1e-6) else f"analytic: {where}"
    if in_flight > c * 1.0001:
        return f"simulated, above the clients: {where}"
    runs = record.get("num_requests")
    if runs is not None and runs >= 4 * c and in_flight < 0.5 * c:
        return f"simulated, under half the clients: {where}"
    return None
