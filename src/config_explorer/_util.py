"""Small helpers shared by the loaders: name normalisation and close-match suggestions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

__all__ = ["closest", "normalize_name", "require_int_in", "require_positive_int", "short_repr"]


def require_positive_int(name: str, value: object) -> int:
    """``value`` if it is an integer >= 1 (bools excluded); else our error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        from config_explorer.errors import InvalidArgumentError

        raise InvalidArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def require_int_in(name: str, value: object, high: int) -> int:
    """``value`` if it is an integer in ``[1, high]`` (bools excluded); else our error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        from config_explorer.errors import InvalidArgumentError

        raise InvalidArgumentError(f"{name} must be an integer in [1, {high:,}], got {short_repr(value)}")
    return value


def short_repr(value: object, limit: int = 40, ellipsis: str = "...") -> str:
    """``repr(value)`` cut to ``limit`` characters: error messages quote arbitrary input without echoing it all."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's digit limit for str()
        text = (
            f"<int of {value.bit_length()} bits>" if isinstance(value, int) else f"<{type(value).__name__}>"
        )
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis


_NON_ALNUM = re.compile(r"[^a-z0-9.]+")


def normalize_name(name: str) -> str:
    """Lower-case ``name`` and drop spaces, dashes and underscores (``H100-SXM`` -> ``h100sxm``)."""
    return _NON_ALNUM.sub("", name.lower())


def closest(query: str, index: Mapping[str, str], n: int = 3) -> list[str]:
    """Up to ``n`` distinct display names whose normalised keys are closest to ``query``.

    ``index`` maps normalised keys to display names; substring hits rank before fuzzy ones.
    """
    key = normalize_name(query)
    hits: list[str] = []
    if key:
        hits.extend(index[k] for k in sorted(index, key=len) if key in k or k in key)
    hits.extend(index[k] for k in difflib.get_close_matches(key, list(index), n=n * 4, cutoff=0.4))
    return _unique(hits)[:n]


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
