"""Strict JSON: no ``NaN`` or ``Infinity`` in anything config-explorer writes.

Python's ``json`` writes a non-finite float as ``NaN`` / ``Infinity``, which is not JSON: strict
parsers (JavaScript's ``JSON.parse``, ``jq``, most other languages) reject the whole document. So
every document goes through :func:`finite_or_null` and is dumped with ``allow_nan=False``.

The scheme, one for every record and report: a non-finite figure is written as ``null``, and a
sibling key ``"<field>_note"`` says what it was, e.g.::

    {"cost_per_hour_usd": null, "cost_per_hour_usd_note": "not a finite number (inf: unbounded); written as null"}

For a list holding non-finite entries the note names their positions. A key that already has a
``_note`` sibling keeps it. A bare non-finite value at the top level becomes ``null`` (there is no
place for a note).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps_strict", "finite_or_null"]


def _describe(value: float) -> str:
    if math.isnan(value):
        return "nan: undefined"
    return "inf: unbounded" if value > 0 else "-inf: unbounded below"


def _is_bad(value: object) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _note(value: object) -> str | None:
    if isinstance(value, float) and _is_bad(value):
        return f"not a finite number ({_describe(value)}); written as null"
    if isinstance(value, (list, tuple)):
        bad = [(i, v) for i, v in enumerate(value) if isinstance(v, float) and _is_bad(v)]
        if bad:
            shown = ", ".join(f"{i} ({_describe(v)})" for i, v in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            return f"entries {shown}{more} were not finite numbers; written as null"
    return None


def finite_or_null(data: Any) -> Any:
    """A copy of ``data`` with every non-finite float replaced by ``None`` and noted beside it.

    Dicts, lists and tuples are walked (tuples come back as lists, as JSON has them); other values
    are returned as they are.
    """
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            out[key] = finite_or_null(value)
            note = _note(value)
            if note is not None and f"{key}_note" not in data:
                out[f"{key}_note"] = note
        return out
    if isinstance(data, (list, tuple)):
        return [finite_or_null(v) for v in data]
    return data


def dumps_strict(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`finite_or_null` ``(data)`` with ``allow_nan=False`` (other options pass through)."""
    kwargs.pop("allow_nan", None)
    return json.dumps(finite_or_null(data), allow_nan=False, **kwargs)
