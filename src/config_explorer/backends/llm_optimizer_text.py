"""Read the report that BentoML llm-optimizer's ``estimate`` command prints, and run that command.

Why a text parser at all: upstream (github.com/bentoml/llm-optimizer) is not on PyPI, its Python API
changes between commits, and a PyPI project of the same name installs an unrelated ``llm_optimizer``
package. Its command line is the one interface that stayed put, so we can compare against it even
when all we have is a report someone pasted, or an ``llm-optimizer`` executable in another virtualenv.

What upstream prints (read from ``llm_optimizer/performance.py``, ``display_performance_estimation_results``,
and ``llm_optimizer/cli.py``): sections headed ``=== Configuration ===``, ``=== Performance Analysis ===``
(blocks ``Best Latency (concurrency=N):`` and ``Best Throughput (concurrency=N):``),
``=== Roofline Analysis ===``, ``=== Concurrency Analysis ===``, optionally
``=== Performance under Constraints ===`` or ``❌ Cannot satisfy the given constraints ...``, then
``=== Tuning Commands ===``. Each value sits on its own ``Label: value unit`` line.

The parser reads those lines by label, never by position, because reports reach us through terminals,
log viewers and chat windows that add emoji, box drawing, colour codes and odd spacing. Whatever it does
not recognise it skips; whatever the report lacks stays ``None``.
"""

from __future__ import annotations

import functools
import heapq
import math
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from config_explorer.errors import (
    BackendError,
    BackendUnavailableError,
    InvalidArgumentError,
    ParseError,
    UpstreamReportedError,
)

__all__ = [
    "INSTALL_HINT",
    "SUPPORTED_PRECISIONS",
    "ParsedEstimate",
    "llm_optimizer_cli_path",
    "parse_bentoml_output",
    "parse_llm_optimizer_output",
    "run_llm_optimizer_cli",
]

INSTALL_HINT: Final = (
    "install BentoML's llm-optimizer from its repository: "
    "pip install git+https://github.com/bentoml/llm-optimizer.git "
    "(the PyPI package named llm-optimizer is an unrelated project)"
)

#: The values upstream's ``estimate --precision`` accepts (a ``click.Choice``); anything else exits 2.
SUPPORTED_PRECISIONS: Final = ("fp16", "bf16", "fp8")

_BOUNDS: Final = ("compute", "memory")

# No message quotes more than this of llm-optimizer's own output: enough to recognise it, one line.
_QUOTE_CHARS: Final = 80

# Integers above this are not concurrency levels or GPU counts but garbage; refusing them also keeps
# int() away from Python's limit on the number of digits it will convert.
_MAX_COUNT: Final = 10**15


# --------------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------------


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT


def _is_quantity(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _check_count(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not _is_count(value):
        raise ValueError(f"{attribute.name} must be a whole number >= 0 or None, got {value!r}")


def _check_gpu_count(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not (_is_count(value) and isinstance(value, int) and value >= 1):
        raise ValueError(f"{attribute.name} must be a whole number >= 1 or None, got {value!r}")


def _check_quantity(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not _is_quantity(value):
        raise ValueError(f"{attribute.name} must be a finite number >= 0 or None, got {value!r}")


def _check_bound(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in _BOUNDS:
        raise ValueError(f"{attribute.name} must be one of {_BOUNDS} or None, got {value!r}")


_optional_str = attrs.validators.optional(attrs.validators.instance_of(str))
_optional_bool = attrs.validators.optional(attrs.validators.instance_of(bool))


def _count() -> Any:
    return attrs.field(default=None, validator=_check_count)


def _quantity() -> Any:
    return attrs.field(default=None, validator=_check_quantity)


def _text() -> Any:
    return attrs.field(default=None, validator=_optional_str)


@attrs.frozen(kw_only=True)
class ParsedEstimate:
    """What one ``llm-optimizer estimate`` report says, in our units; ``None`` where it says nothing.

    The fields follow upstream's report section by section. Upstream computes everything for its
    ``num_gpus`` GPUs pooled as one device (no tensor-parallel layout), and its latencies are means.
    """

    # Configuration
    model: str | None = _text()  # Hugging Face id, as printed after the first 'Model:'
    gpu: str | None = _text()  # upstream's short GPU name, e.g. 'H100'
    num_gpus: int | None = attrs.field(default=None, validator=_check_gpu_count)
    precision: str | None = _text()  # fp16 | bf16 | fp8, lower-cased
    input_length: int | None = _count()  # prompt tokens
    output_length: int | None = _count()  # generated tokens
    target: str | None = _text()  # 'throughput' or 'latency', upstream's --target
    constraints: str | None = _text()  # SLO string as given to --constraints
    num_parameters: int | None = _count()  # upstream's own count: dense, MoE experts not counted
    num_layers: int | None = _count()
    # Performance Analysis: Best Latency
    best_latency_concurrency: int | None = _count()
    ttft_ms: float | None = _quantity()
    itl_ms: float | None = _quantity()
    e2e_latency_s: float | None = _quantity()
    # Performance Analysis: Best Throughput
    best_throughput_concurrency: int | None = _count()
    output_throughput_tok_s: float | None = _quantity()
    input_throughput_tok_s: float | None = _quantity()
    requests_per_s: float | None = _quantity()
    bottleneck: str | None = _text()  # 'memory' or 'compute', lower-cased from upstream's 'Memory'/'Compute'
    # Roofline Analysis
    hardware_ops_per_byte: float | None = _quantity()
    prefill_arithmetic_intensity: float | None = _quantity()  # ops/byte
    decode_arithmetic_intensity: float | None = _quantity()  # ops/byte
    prefill_bound: str | None = attrs.field(default=None, validator=_check_bound)
    decode_bound: str | None = attrs.field(default=None, validator=_check_bound)
    # Concurrency Analysis
    kv_cache_limit: int | None = _count()
    prefill_compute_limit: int | None = _count()
    decode_capacity_limit: int | None = _count()
    theoretical_overall_limit: int | None = _count()
    empirical_optimal_concurrency: int | None = _count()
    # Performance under Constraints
    constraints_satisfied: bool | None = attrs.field(default=None, validator=_optional_bool)
    constrained_concurrency: int | None = _count()
    constrained_ttft_ms: float | None = _quantity()
    constrained_itl_ms: float | None = _quantity()
    constrained_output_throughput_tok_s: float | None = _quantity()
    # Derived from the report's shape, not printed as such
    fits_in_memory: bool | None = attrs.field(default=None, validator=_optional_bool)

    def to_dict(self) -> dict[str, object]:
        """Plain ``{field: value}``, for JSON and tables; ``ParsedEstimate(**d)`` rebuilds the record."""
        return attrs.asdict(self)


_FIELD_NAMES: Final = frozenset(field.name for field in attrs.fields(ParsedEstimate))


# --------------------------------------------------------------------------------------------------
# Cleaning a line
# --------------------------------------------------------------------------------------------------

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# Characters kept at the end of a line: they close something meaningful ("(concurrency=1)", "95%").
_KEEP_AT_END: Final = frozenset(")]%")


def _is_decoration(char: str) -> bool:
    """Emoji, box drawing, bullets, punctuation, spaces, marks: never part of a label or a number."""
    category = unicodedata.category(char)
    return category[0] in "SPZCM"


class _SpacingTable(dict[int, "int | str | None"]):
    """``str.translate`` table, filled on first sight of each character: control characters and
    spaces of any width become a plain space, format characters (zero-width joiners, BOMs) vanish."""

    def __missing__(self, code: int) -> int | str | None:
        category = unicodedata.category(chr(code))
        value: int | str | None = " " if category in ("Cc", "Zs") else None if category == "Cf" else code
        self[code] = value
        return value


_SPACING = _SpacingTable()
# ASCII decoration, stripped at either end of a line with str.strip (one C call instead of a loop).
_ASCII_DECORATION: Final = "".join(chr(c) for c in range(128) if not chr(c).isalnum())
_ASCII_DECORATION_AT_END: Final = "".join(c for c in _ASCII_DECORATION if c not in ")]%")


def _clean(raw_line: str) -> str:
    """One report line without colour codes, decoration at either end, or runs of spaces inside.

    Linear in the line's length, and mostly in C: reports can arrive inside logs of many megabytes.
    """
    line = _ANSI_ESCAPE.sub("", raw_line) if "\x1b" in raw_line else raw_line
    if not line.isascii():
        # NFKC folds fullwidth colons and digits, the micro sign and no-break spaces into plain forms.
        line = unicodedata.normalize("NFKC", line)
    line = line.translate(_SPACING)
    if line.isascii():
        return " ".join(line.lstrip(_ASCII_DECORATION).rstrip(_ASCII_DECORATION_AT_END).split())
    start = 0
    while start < len(line) and _is_decoration(line[start]):
        start += 1
    end = len(line)
    while end > start and _is_decoration(line[end - 1]) and line[end - 1] not in _KEEP_AT_END:
        end -= 1
    return " ".join(line[start:end].split())


def _label_key(label: str) -> str:
    """'Hardware Ops/Byte Ratio' -> 'hardware ops/byte ratio'; emoji and punctuation vanish."""
    kept = "".join(
        char if (char.isalnum() or char == "/") else " " for char in label.lower().replace("_", " ")
    )
    return " ".join(kept.split())


# --------------------------------------------------------------------------------------------------
# Numbers and units
# --------------------------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(?P<sign>[-+\u2212])?\s*"
    r"(?P<digits>(?:[0-9]{1,3}(?:[,_][0-9]{3})+|[0-9]+)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+)"
    r"|(?<![A-Za-z])(?P<nonfinite>inf(?:inity)?|nan)(?![A-Za-z])"
    r"|(?P<infinity>\u221e)",
    re.IGNORECASE,
)
_UNIT = re.compile(r"\s*(?P<unit>[a-zμ]+(?:\s*/\s*[a-z]+)?)", re.IGNORECASE)

_SECONDS_PER_UNIT: Final[Mapping[str, float]] = {
    **dict.fromkeys(("ns", "nsec", "nanosecond", "nanoseconds"), 1e-9),
    **dict.fromkeys(("us", "μs", "usec", "microsecond", "microseconds"), 1e-6),
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), 1e-3),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
}
_PER_SECOND: Final[Mapping[str, float]] = {
    **dict.fromkeys(("s", "sec", "second"), 1.0),
    **dict.fromkeys(("min", "minute"), 1.0 / 60.0),
}
_TOKEN_WORDS: Final = frozenset(("tokens", "token", "tok", "toks", "t"))
_REQUEST_WORDS: Final = frozenset(("requests", "request", "req", "reqs"))


def _read_number(text: str) -> tuple[float | None, str] | None:
    """First number in ``text`` and what follows it; the number is None when it is inf, nan or < 0.

    Upstream formats an impossible result (a model that does not fit) as ``inf``; a negative latency or
    count cannot be real. Both read as "no value" rather than as an error, so that one odd line never
    sinks the rest of a report.
    """
    match = _NUMBER.search(text)
    if match is None:
        return None
    rest = text[match.end() :]
    if match.group("digits") is None:
        return None, rest
    try:
        value = float(match.group("digits").replace(",", "").replace("_", ""))
    except ValueError:  # pragma: no cover - the pattern only admits float syntax
        return None
    if match.group("sign") in ("-", "\u2212") and value != 0:
        return None, rest
    if not math.isfinite(value):
        return None, rest
    return value, rest


def _read_unit(rest: str) -> str:
    match = _UNIT.match(rest)
    return "" if match is None else "".join(match.group("unit").lower().split())


def _as_count(text: str) -> int | None:
    """A whole number such as '1,258 concurrent requests' or '16.0'; None when not whole."""
    read = _read_number(text)
    if read is None or read[0] is None:
        return None
    value = read[0]
    if not value.is_integer() or value > _MAX_COUNT:
        return None
    return int(value)


def _as_plain(text: str) -> float | None:
    """A number whose unit needs no conversion (ops/byte ratios); the unit text is ignored."""
    read = _read_number(text)
    return None if read is None else read[0]


def _finite(value: float | None) -> float | None:
    """None for a conversion that overflowed ('1e308 min' in ms), so the record's validator never trips."""
    return value if value is not None and math.isfinite(value) else None


def _as_time(text: str, unit_hint: str, seconds_per_target: float) -> float | None:
    """A duration converted to the target unit; an unknown unit gives None rather than a guess."""
    read = _read_number(text)
    if read is None or read[0] is None:
        return None
    unit = _read_unit(read[1]) or unit_hint
    if not unit:
        return read[0]
    seconds = _SECONDS_PER_UNIT.get(unit)
    return None if seconds is None else _finite(read[0] * seconds / seconds_per_target)


def _rate_factor(unit: str, things: frozenset[str], shorthands: Mapping[str, float]) -> float | None:
    """Factor to 'per second' for units like 'tokens/s', 'tok/min', 'tps'; None for anything else."""
    if unit in shorthands:
        return shorthands[unit]
    what, slash, per = unit.partition("/")
    if not slash or what not in things:
        return None
    return _PER_SECOND.get(per)


def _as_rate(
    text: str, unit_hint: str, things: frozenset[str], shorthands: Mapping[str, float]
) -> float | None:
    read = _read_number(text)
    if read is None or read[0] is None:
        return None
    unit = _read_unit(read[1]) or unit_hint
    if not unit:
        return read[0]
    factor = _rate_factor(unit, things, shorthands)
    return None if factor is None else _finite(read[0] * factor)


def _as_tokens_per_s(text: str, unit_hint: str) -> float | None:
    return _as_rate(text, unit_hint, _TOKEN_WORDS, {"tps": 1.0, "tpm": 1.0 / 60.0})


def _as_requests_per_s(text: str, unit_hint: str) -> float | None:
    return _as_rate(text, unit_hint, _REQUEST_WORDS, {"rps": 1.0, "qps": 1.0, "rpm": 1.0 / 60.0})


def _as_bound(text: str) -> str | None:
    """'Compute Bound' -> 'compute'; 'Memory-bound' -> 'memory'; anything else -> None."""
    lowered = text.lower()
    found = [bound for bound in _BOUNDS if bound in lowered]
    return found[0] if len(found) == 1 else None


def _first_word(text: str) -> str | None:
    words = text.split()
    return words[0] if words else None


# --------------------------------------------------------------------------------------------------
# Values with more than one part
# --------------------------------------------------------------------------------------------------

# The patterns below never let a repetition run into a second, overlapping one: each runs in time
# linear in the value, whatever its length (a 20,000-character line once took 11 s).
_GPU_COUNT_BEFORE = re.compile(r"(?P<count>[0-9]+)\s*[x×*]\s*", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"[0-9][0-9,_]*")
_SLASH_THEN_COUNT = re.compile(r"\s*/\s*(?P<output>[0-9][0-9,_]*)")
_LAYERS_WORD = re.compile(r"\s*layers?\b", re.IGNORECASE)
# Upstream prints the raw count with a 'B' after it ("3668377600.0B parameters"), so a number that
# is already huge is the count itself; a small one with a suffix ("8.0B parameters") is scaled.
_PARAMETERS = re.compile(
    r"(?P<number>[0-9][0-9,_]*(?:\.[0-9]+)?)\s*(?P<suffix>[kmbt])?\s*param(?:eter)?s?\b", re.IGNORECASE
)
_SUFFIX_SCALE: Final[Mapping[str, float]] = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_RAW_COUNT_THRESHOLD: Final = 1e5


def _run_followed_by(
    value: str, follower: re.Pattern[str], start: int = 0
) -> tuple[str, re.Match[str]] | None:
    """The first run of digits (with ',' or '_' separators) that ``follower`` matches right after.

    What ``[0-9][0-9,_]*FOLLOWER`` searched for would find, but each run is tried once, from its
    first digit, instead of from every digit in it (which made a long digit run quadratic).
    """
    for run in _DIGIT_RUN.finditer(value, start):
        after = follower.match(value, run.end())
        if after is not None:
            return run.group(), after
    return None


def _gpu_fields(value: str) -> dict[str, object]:
    """'1x H100', 'H100 x 8', '4 × L40' -> GPU name and count."""
    name, count_text = value, None
    before = _GPU_COUNT_BEFORE.match(name)
    if before is not None and before.end() < len(name):
        name, count_text = name[before.end() :], before.group("count")
    digits_end = len(name)
    digits_start = len(name.rstrip("0123456789"))
    if digits_start < digits_end:  # 'H100 x 8': a count after the name
        rest = name[:digits_start].rstrip()
        if rest[-1:].lower() in ("x", "×", "*") and rest[:-1].strip():
            count_text = count_text or name[digits_start:digits_end]
            name = rest[:-1]
    fields: dict[str, object] = {"gpu": name.strip() or None}
    if count_text is not None:
        count = _as_count(count_text)
        fields["num_gpus"] = count if count is not None and count >= 1 else None
    return fields


def _length_fields(value: str) -> dict[str, object]:
    found = _run_followed_by(value, _SLASH_THEN_COUNT)
    if found is None:
        return {}
    return {
        "input_length": _as_count(found[0]),
        "output_length": _as_count(found[1].group("output")),
    }


def _parameter_fields(value: str) -> dict[str, object] | None:
    """Fields of upstream's second 'Model:' line, or None when the value is a model id instead."""
    match = _PARAMETERS.match(value)
    if match is None:
        return None
    read = _read_number(match.group("number"))
    number = None if read is None else read[0]
    suffix = (match.group("suffix") or "").lower()
    if number is not None and suffix and number < _RAW_COUNT_THRESHOLD:
        number *= _SUFFIX_SCALE[suffix]
    parameters = int(number) if number is not None and number <= _MAX_COUNT else None
    layers_found = _run_followed_by(value, _LAYERS_WORD, match.end())
    layers = _as_count(layers_found[0]) if layers_found is not None else None
    return {"num_parameters": parameters, "num_layers": layers}


# --------------------------------------------------------------------------------------------------
# Sections, blocks and labels
# --------------------------------------------------------------------------------------------------

_CONFIGURATION: Final = "configuration"
_PERFORMANCE: Final = "performance analysis"
_ROOFLINE: Final = "roofline analysis"
_CONCURRENCY: Final = "concurrency analysis"
_CONSTRAINED: Final = "performance under constraints"
_TUNING: Final = "tuning commands"
_SECTIONS: Final = frozenset((_CONFIGURATION, _PERFORMANCE, _ROOFLINE, _CONCURRENCY, _CONSTRAINED, _TUNING))

_LATENCY_BLOCK: Final = "latency"
_THROUGHPUT_BLOCK: Final = "throughput"
_BLOCK_HEADING = re.compile(
    r"^best\s+(?:output\s+)?(?P<kind>latency|throughput)\b(?P<rest>[^:=]*(?:[=:].*)?)$"
)
_BLOCK_CONCURRENCY = re.compile(r"concurrency\s*[=:]\s*(?P<count>[0-9][0-9,_]*)")
_UNSATISFIABLE = "cannot satisfy the given constraints"
_ERROR_LINE = re.compile(r"^error\b", re.IGNORECASE)
_ERROR_PREFIX = re.compile(r"^error\b\s*[:\-]?", re.IGNORECASE)
# How much of upstream's own error message is repeated: one line, enough for its longest real messages.
_UPSTREAM_MESSAGE_CHARS: Final = 200

_FIRST_LETTER = re.compile(r"[^\W\d_]")
_LABEL_STOP = re.compile(r"[:=│┃║|]")
_SEPARATOR = re.compile(r"[:=│┃║|]|\.{3,}|…+")
# Upstream's labels are at most ~40 characters; a longer 'label' is prose or garbage, never looked up.
_MAX_LABEL_CHARS: Final = 120


def _label_and_value(line: str) -> tuple[str, str] | None:
    """'Label: value', 'Label = value', 'Label .... value', 'Label │ value'; the label must hold a letter.

    The label ends at the first separator after its first letter; a ':', '=' or bar before that letter
    means the line is not a label line. Three searches, each linear in the line.
    """
    letter = _FIRST_LETTER.search(line)
    if letter is None or _LABEL_STOP.search(line, 0, letter.start()) is not None:
        return None
    separator = _SEPARATOR.search(line, letter.end())
    if separator is None:
        return None
    return line[: separator.start()].rstrip(), line[separator.end() :].strip()


def _label_unit(label: str) -> tuple[str, str] | None:
    """'TTFT (ms)' -> ('TTFT', 'ms'): a unit in parentheses closing the label, else None."""
    stripped = label.rstrip()
    if not stripped.endswith(")"):
        return None
    opening = stripped.rfind("(")
    unit = stripped[opening + 1 : -1]
    if opening < 0 or ")" in unit:
        return None
    return stripped[:opening].rstrip(), unit


# A handler turns a label's value (and a unit named in the label, if any) into record fields.
_Handler = Callable[[str, str], dict[str, object]]


def _one(field: str, convert: Callable[[str], object]) -> _Handler:
    return lambda value, _unit: {field: convert(value)}


def _timed(field: str, seconds_per_target: float) -> _Handler:
    return lambda value, unit: {field: _as_time(value, unit, seconds_per_target)}


def _tokens(field: str) -> _Handler:
    return lambda value, unit: {field: _as_tokens_per_s(value, unit)}


def _requests(field: str) -> _Handler:
    return lambda value, unit: {field: _as_requests_per_s(value, unit)}


def _lower_word(value: str) -> str | None:
    word = _first_word(value)
    return None if word is None else word.lower()


def _stripped(value: str) -> str | None:
    return value.strip() or None


def _bottleneck(value: str) -> str | None:
    return _as_bound(value) or (value.strip().lower() or None)


def _model_or_parameters(value: str, _unit: str) -> dict[str, object]:
    parameters = _parameter_fields(value)
    return parameters if parameters is not None else {"model": _first_word(value)}


# Labels that mean the same thing wherever they appear.
_ANYWHERE: Final[Mapping[str, _Handler]] = {
    "model": _model_or_parameters,
    "gpu": lambda value, _unit: _gpu_fields(value),
    "auto detected gpu": lambda value, _unit: {"gpu": _first_word(value)},
    "precision": _one("precision", _lower_word),
    "inferred precision from model config": _one("precision", _lower_word),
    "using user specified precision": _one("precision", _lower_word),
    "input/output": lambda value, _unit: _length_fields(value),
    "input length": _one("input_length", _as_count),
    "input len": _one("input_length", _as_count),
    "output length": _one("output_length", _as_count),
    "output len": _one("output_length", _as_count),
    "target": _one("target", _lower_word),
    "constraints": _one("constraints", _stripped),
    "hardware ops/byte ratio": _one("hardware_ops_per_byte", _as_plain),
    "hardware ops/byte": _one("hardware_ops_per_byte", _as_plain),
    "prefill arithmetic intensity": _one("prefill_arithmetic_intensity", _as_plain),
    "decode arithmetic intensity": _one("decode_arithmetic_intensity", _as_plain),
    "prefill phase": _one("prefill_bound", _as_bound),
    "decode phase": _one("decode_bound", _as_bound),
    "kv cache memory limit": _one("kv_cache_limit", _as_count),
    "kv cache limit": _one("kv_cache_limit", _as_count),
    "prefill compute limit": _one("prefill_compute_limit", _as_count),
    "decode capacity limit": _one("decode_capacity_limit", _as_count),
    "theoretical overall limit": _one("theoretical_overall_limit", _as_count),
    "overall limit": _one("theoretical_overall_limit", _as_count),
    "empirical optimal concurrency": _one("empirical_optimal_concurrency", _as_count),
    "optimal concurrency": _one("empirical_optimal_concurrency", _as_count),
}

_BEST_LATENCY: Final[Mapping[str, _Handler]] = {
    "ttft": _timed("ttft_ms", 1e-3),
    "time to first token": _timed("ttft_ms", 1e-3),
    "itl": _timed("itl_ms", 1e-3),
    "inter token latency": _timed("itl_ms", 1e-3),
    "e2e": _timed("e2e_latency_s", 1.0),
    "e2e latency": _timed("e2e_latency_s", 1.0),
    "end to end latency": _timed("e2e_latency_s", 1.0),
    "concurrency": _one("best_latency_concurrency", _as_count),
}

_BEST_THROUGHPUT: Final[Mapping[str, _Handler]] = {
    "output": _tokens("output_throughput_tok_s"),
    "output throughput": _tokens("output_throughput_tok_s"),
    "input": _tokens("input_throughput_tok_s"),
    "input throughput": _tokens("input_throughput_tok_s"),
    "requests": _requests("requests_per_s"),
    "request throughput": _requests("requests_per_s"),
    "requests per second": _requests("requests_per_s"),
    "bottleneck": _one("bottleneck", _bottleneck),
    "concurrency": _one("best_throughput_concurrency", _as_count),
}

_UNDER_CONSTRAINTS: Final[Mapping[str, _Handler]] = {
    "concurrency": _one("constrained_concurrency", _as_count),
    "ttft": _timed("constrained_ttft_ms", 1e-3),
    "time to first token": _timed("constrained_ttft_ms", 1e-3),
    "itl": _timed("constrained_itl_ms", 1e-3),
    "inter token latency": _timed("constrained_itl_ms", 1e-3),
    "output throughput": _tokens("constrained_output_throughput_tok_s"),
    "output": _tokens("constrained_output_throughput_tok_s"),
}


_IN_CONSTRAINED_SECTION: Final[Mapping[str, _Handler]] = {**_ANYWHERE, **_UNDER_CONSTRAINTS}
_IN_LATENCY_BLOCK: Final[Mapping[str, _Handler]] = {**_ANYWHERE, **_BEST_LATENCY}
_IN_THROUGHPUT_BLOCK: Final[Mapping[str, _Handler]] = {**_ANYWHERE, **_BEST_THROUGHPUT}
# A block heading lost in copy-and-paste: TTFT or Requests still say which block they belong to, but
# 'Concurrency' would not, so it is left out.
_OUTSIDE_ANY_BLOCK: Final[Mapping[str, _Handler]] = {
    **_ANYWHERE,
    **{label: handler for label, handler in _BEST_THROUGHPUT.items() if label != "concurrency"},
    **{label: handler for label, handler in _BEST_LATENCY.items() if label != "concurrency"},
}


def _first_words_pattern(flags: int = 0) -> re.Pattern[str]:
    """A line whose first word (after ASCII decoration) may start a label, heading or Error line.

    Labels, headings and upstream's Error line all begin a cleaned line, and cleaning only strips
    decoration, so a line that can mean anything to _read_line starts with one of these words, or
    holds a character that cleaning may fold into one (non-ASCII, colour codes: looked for apart).
    """
    labels = [*_ANYWHERE, *_BEST_LATENCY, *_BEST_THROUGHPUT, *_UNDER_CONSTRAINTS, *_SECTIONS]
    words = {re.split(r"[^a-z0-9]+", label)[0] for label in labels} | {"best", "error"}
    alternatives = "|".join(sorted(map(re.escape, words), key=lambda word: (-len(word), word)))
    return re.compile(rf"^[^a-z0-9\n]*(?:{alternatives})", re.MULTILINE | flags)


_FIRST_WORDS: Final = _first_words_pattern()
_FIRST_WORDS_ANY_CASE: Final = _first_words_pattern(re.IGNORECASE)


@attrs.define
class _Reading:
    """Where the parser is in a report, and what it has found so far."""

    source: str | None = None
    unsatisfiable_is_answer: bool = False
    section: str | None = None
    block: str | None = None
    recognised: int = 0
    values: dict[str, Any] = attrs.Factory(dict)  # only values the record's validators accept
    saw_performance_heading: bool = False
    saw_best_block: bool = False
    saw_section_after_performance: bool = False

    def state(self) -> tuple[object, ...]:
        """Everything but the values and the count that decides what the next line means."""
        return (
            self.section,
            self.block,
            self.saw_performance_heading,
            self.saw_best_block,
            self.saw_section_after_performance,
        )

    def put(self, fields: Mapping[str, object]) -> None:
        """Keep the first value seen for a field: a repeated label (two reports pasted) never overwrites."""
        for name, value in fields.items():
            if value is not None and name not in self.values:
                self.values[name] = value

    def enter_section(self, section: str) -> None:
        if self.saw_performance_heading and section != _PERFORMANCE:
            self.saw_section_after_performance = True
        self.section = section
        self.block = None
        if section == _PERFORMANCE:
            self.saw_performance_heading = True
        elif section == _CONSTRAINED:
            self.put({"constraints_satisfied": True})

    def handlers(self) -> Mapping[str, _Handler]:
        """Label table for the current place: 'TTFT' means best-latency TTFT, unless under constraints."""
        if self.section == _CONSTRAINED:
            return _IN_CONSTRAINED_SECTION
        if self.block == _LATENCY_BLOCK:
            return _IN_LATENCY_BLOCK
        if self.block == _THROUGHPUT_BLOCK:
            return _IN_THROUGHPUT_BLOCK
        if self.section in (None, _PERFORMANCE):
            return _OUTSIDE_ANY_BLOCK
        return _ANYWHERE


def _read_line(reading: _Reading, line: str, number: int) -> None:
    lowered = line.lower()
    if lowered in _SECTIONS:
        reading.enter_section(lowered)
        reading.recognised += 1
        return
    if reading.section == _TUNING:
        return  # generated commands are full of '=' and ':' and mean nothing to us
    is_error = _ERROR_LINE.match(line) is not None
    if _UNSATISFIABLE in lowered and (reading.unsatisfiable_is_answer or not is_error):
        reading.put({"constraints_satisfied": False})
        reading.recognised += 1
        return
    if is_error:
        # Upstream catches its own exceptions and prints 'Error: <message>' instead of (the rest of)
        # a report: nothing it printed can be trusted as an estimate.
        raise _upstream_error(line, number, reading.source)
    block = _BLOCK_HEADING.match(lowered)
    if block is not None:
        reading.block = block.group("kind")
        reading.saw_best_block = True
        if reading.section is None:
            reading.section = _PERFORMANCE
        concurrency = _BLOCK_CONCURRENCY.search(block.group("rest"))
        field = (
            "best_latency_concurrency" if reading.block == _LATENCY_BLOCK else "best_throughput_concurrency"
        )
        if concurrency is not None:
            reading.put({field: _as_count(concurrency.group("count"))})
        reading.recognised += 1
        return
    pair = _label_and_value(line)
    if pair is None or len(pair[0]) > _MAX_LABEL_CHARS:
        return
    label, value = pair
    unit_hint = ""
    with_unit = _label_unit(label)
    if with_unit is not None:  # 'TTFT (s): 0.0168'
        label, unit_hint = with_unit[0], "".join(with_unit[1].lower().split())
    handler = reading.handlers().get(_label_key(label))
    if handler is None:
        return
    reading.recognised += 1
    if value:
        reading.put(handler(value, unit_hint))


def _in(source: str | None) -> str:
    return f" in {source}" if source else ""


def _upstream_error(line: str, number: int, source: str | None) -> UpstreamReportedError:
    words = _ERROR_PREFIX.sub("", line, count=1).strip() or line
    shown = words if len(words) <= _UPSTREAM_MESSAGE_CHARS else words[: _UPSTREAM_MESSAGE_CHARS - 1] + "…"
    return UpstreamReportedError(
        f"llm-optimizer reported an error instead of an estimate{_in(source)} (line {number}): {shown}",
        upstream_message=shown,
    )


def _no_report(report: str, source: str | None) -> ParseError:
    # Never quotes the text: it may be any file at all, secrets included.
    first = _NOT_SPACE.search(report)
    if first is None:
        return ParseError(f"no llm-optimizer estimate report found{_in(source)}: the text is empty")
    number = report.count("\n", 0, first.start()) + 1
    return ParseError(
        f"no llm-optimizer estimate report found{_in(source)}: no line, from the first non-empty one "
        f"(line {number}) on, matches its labels (expected lines such as '=== Performance Analysis ===', "
        "'TTFT: 16.8 ms' or 'KV Cache Memory Limit: 1258 concurrent requests')"
    )


# Every line break str.splitlines knows but '\n' (and '\r\n', replaced first).
_OTHER_LINE_BREAKS: Final = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_NOT_SPACE = re.compile(r"\S")
_REMEMBERED_LINE_CHARS: Final = 256
_REMEMBERED_LINES: Final = 65536
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _one_line_break(report: str) -> str:
    """``report`` with every line break made '\n', so that lines split as ``str.splitlines`` splits them."""
    report = report.replace("\r\n", "\n")
    for other in _OTHER_LINE_BREAKS:
        if other in report:
            report = report.replace(other, "\n")
    return report


def _lines_holding(report: str, find: Callable[[int], int]) -> Iterator[tuple[int, int]]:
    """(start, end) of each line holding a hit of ``find(from_position)`` (-1: no more), each once."""
    position = 0  # always the start of a line, so that the backward search never passes it
    while True:
        hit = find(position)
        if hit < 0:
            return
        previous_break = report.rfind("\n", position, hit)
        end = report.find("\n", hit)
        yield (position if previous_break < 0 else previous_break + 1), (len(report) if end < 0 else end)
        if end < 0:
            return
        position = end + 1


def _searcher(pattern: re.Pattern[str], text: str) -> Callable[[int], int]:
    def find(position: int) -> int:
        found = pattern.search(text, position)
        return -1 if found is None else found.start()

    return find


def _lines_worth_reading(report: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for the lines of ``report`` (split on '\n') that may hold something.

    The others are skipped by searches over the whole text, in C, without a string made for each:
    a 50 MB log of short lines is millions of them, and Python-level work per line would take a minute.
    """
    lowered = report.lower()
    if len(lowered) == len(report):  # lower-casing kept every offset: search the lower-case copy
        first_words = _searcher(_FIRST_WORDS, lowered)
    else:
        lowered, first_words = report, _searcher(_FIRST_WORDS_ANY_CASE, report)
    finders: list[Callable[[int], int]] = [first_words, functools.partial(lowered.find, "cannot")]
    if "\x1b" in report:
        finders.append(functools.partial(report.find, "\x1b"))
    if not report.isascii():
        finders.append(_searcher(_NOT_ASCII, report))
    counted_to, number, previous = 0, 1, -1
    for start, end in heapq.merge(*(_lines_holding(report, find) for find in finders)):
        if start == previous:
            continue
        previous = start
        number += report.count("\n", counted_to, start)
        counted_to = start
        yield number, report[start:end]


def _parse(text: object, *, source: str | None, unsatisfiable_is_answer: bool) -> ParsedEstimate:
    report = text  # checked at run time too: callers outside mypy pass anything
    if isinstance(report, bytes):
        report = report.decode("utf-8", errors="replace")
    if not isinstance(report, str):
        raise InvalidArgumentError(f"report text must be str or bytes, got {type(report).__name__}")
    report = _one_line_break(report)
    reading = _Reading(source=source, unsatisfiable_is_answer=unsatisfiable_is_answer)
    # A line read again where nothing changed since reads the same: its values are in already (first
    # value wins), so only the count of recognised lines moves. Remembering short lines' outcomes keeps
    # a text of one line repeated millions of times as fast as skipping it.
    outcomes: dict[tuple[str, tuple[object, ...]], int] = {}
    for number, raw_line in _lines_worth_reading(report):
        key = (raw_line, reading.state()) if len(raw_line) <= _REMEMBERED_LINE_CHARS else None
        if key is not None and key in outcomes:
            reading.recognised += outcomes[key]
            continue
        recognised_before = reading.recognised
        line = _clean(raw_line)
        if line:
            _read_line(reading, line, number)
        if key is not None and reading.state() == key[1] and len(outcomes) < _REMEMBERED_LINES:
            outcomes[key] = reading.recognised - recognised_before
    if reading.recognised == 0:
        raise _no_report(report, source)
    if reading.saw_performance_heading and reading.saw_section_after_performance:
        # Upstream prints no Best blocks exactly when concurrency 1 already overflows GPU memory.
        reading.put({"fits_in_memory": reading.saw_best_block})
    elif reading.saw_best_block:
        reading.put({"fits_in_memory": True})
    return ParsedEstimate(**{k: v for k, v in reading.values.items() if k in _FIELD_NAMES})


def parse_llm_optimizer_output(text: str | bytes, *, source: str | None = None) -> ParsedEstimate:
    """Read the report ``llm-optimizer estimate`` printed; fields the report lacks come back ``None``.

    Tolerates emoji, box drawing, colour codes, ``:``/``=``/dotted separators, unit suffixes (converted
    into each field's unit) and thousands separators, and skips every line it does not know. Bytes are
    decoded as UTF-8, which is what upstream writes. Runs in time linear in the text's length.
    ``source`` names where the text came from (a file name) in error messages.

    "Cannot satisfy the given constraints" is an answer (``constraints_satisfied=False``), whether as
    the ``❌`` line of older releases or the ``Error: ...`` line upstream's CLI prints now (its
    ``run_performance_estimation`` raises it before printing a report); any other line starting
    ``Error`` is what upstream prints when it failed, and raises.

    Raises:
        UpstreamReportedError: the text holds upstream's ``Error: ...`` line; ``upstream_message`` has
            its words (at most 200 characters). Both a BackendError and a ParseError.
        ParseError: when not one line looks like part of an llm-optimizer report. The message gives
            line numbers, never the text itself (it may be any file, secrets included).
        InvalidArgumentError: when ``text`` is neither ``str`` nor ``bytes``.
    """
    return _parse(text, source=source, unsatisfiable_is_answer=True)


parse_bentoml_output = parse_llm_optimizer_output
"""Alias kept for code written against the earlier ``config_recommender`` tool."""


# --------------------------------------------------------------------------------------------------
# Running the CLI
# --------------------------------------------------------------------------------------------------


def llm_optimizer_cli_path(executable: str = "llm-optimizer") -> str | None:
    """Full path of the ``llm-optimizer`` executable on PATH (or of ``executable`` itself), else None."""
    return shutil.which(executable)


def _require_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _require_positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgumentError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


def _quote(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= _QUOTE_CHARS else line[: _QUOTE_CHARS - 1] + "…"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "(no output)")


def _last_line(*texts: str) -> str:
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "(no output)"


def _wrong_program_hint(stderr: str) -> str:
    # Click says "No such command 'estimate'" when some other llm-optimizer is on PATH.
    if "no such command" in stderr.lower() or "unrecognized arguments" in stderr.lower():
        return f"; is this BentoML's llm-optimizer? {INSTALL_HINT}"
    return ""


def run_llm_optimizer_cli(
    model: str,
    gpu: str,
    num_gpus: int,
    input_length: int,
    output_length: int,
    *,
    precision: str | None = None,
    constraints: str | None = None,
    executable: str = "llm-optimizer",
    timeout_s: float = 120.0,
    extra_args: Sequence[str] = (),
) -> ParsedEstimate:
    """Run ``llm-optimizer estimate`` for one configuration and parse what it prints.

    Upstream fetches the model's config.json from the Hugging Face hub, so this needs network (or a
    warm hub cache). Flags are upstream's own: ``--model --input-len --output-len --gpu --num-gpus``
    and, when given, ``--precision`` and ``--constraints``; ``extra_args`` go last (e.g.
    ``["--target", "latency"]``). Fields the report omits but the caller supplied (model, GPU, lengths)
    are filled in from the arguments.

    Upstream catches its own exceptions, prints ``Error: ...`` and still exits 0, so an ``Error:``
    line is treated as failure, except "Cannot satisfy the given constraints", which is an answer:
    it comes back as ``constraints_satisfied=False``.

    Raises:
        InvalidArgumentError: an argument is out of range (named in the message).
        BackendUnavailableError: the executable is not found or cannot be started.
        BackendError: it timed out or exited non-zero; :class:`UpstreamReportedError` (a BackendError)
            when it printed an ``Error:`` line, ``upstream_message`` holding its words.
        ParseError: it exited 0 but printed nothing that reads as a report.
    """
    _require_text("model", model)
    _require_text("gpu", gpu)
    _require_positive_int("num_gpus", num_gpus)
    _require_positive_int("input_length", input_length)
    _require_positive_int("output_length", output_length)
    if precision is not None and precision not in SUPPORTED_PRECISIONS:
        raise InvalidArgumentError(
            f"precision {precision!r} is not accepted by llm-optimizer; use one of {SUPPORTED_PRECISIONS}"
        )
    if constraints is not None:
        _require_text("constraints", constraints)
    # A bare string is a Sequence[str] too, and would be passed on one character at a time.
    if isinstance(extra_args, str) or not all(isinstance(arg, str) for arg in extra_args):
        raise InvalidArgumentError(f"extra_args must be a sequence of strings, got {extra_args!r}")
    timeout: object = timeout_s
    if (
        not isinstance(timeout, (int, float))
        or isinstance(timeout, bool)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidArgumentError(f"timeout_s must be a finite number of seconds > 0, got {timeout_s!r}")

    path = llm_optimizer_cli_path(executable)
    if path is None:
        raise BackendUnavailableError(f"{executable!r} was not found on PATH; {INSTALL_HINT}")
    argv = [
        path,
        "estimate",
        "--model",
        model,
        "--input-len",
        str(input_length),
        "--output-len",
        str(output_length),
        "--gpu",
        gpu,
        "--num-gpus",
        str(num_gpus),
    ]
    if precision is not None:
        argv += ["--precision", precision]
    if constraints is not None:
        argv += ["--constraints", constraints]
    argv += list(extra_args)
    # Upstream prints emoji; under a C/POSIX locale Python would fail to encode them mid-report.
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout_s,
            check=False,
            env=environment,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackendError(
            f"llm-optimizer estimate did not finish within the timeout of {timeout_s:g} s "
            f"(model {model!r}, {num_gpus}x {gpu}); raise timeout_s or check its network access"
        ) from exc
    except OSError as exc:
        raise BackendUnavailableError(f"cannot start {path!r}: {exc}; {INSTALL_HINT}") from exc

    if completed.returncode != 0:
        raise BackendError(
            f"llm-optimizer estimate exited with status {completed.returncode}: "
            f"{_quote(_last_line(completed.stderr, completed.stdout))!r}{_wrong_program_hint(completed.stderr)}"
        )
    try:
        estimate = _parse(completed.stdout, source=None, unsatisfiable_is_answer=True)
    except UpstreamReportedError as exc:
        raise UpstreamReportedError(
            f"llm-optimizer estimate reported an error: {exc.upstream_message} (model {model!r})",
            upstream_message=exc.upstream_message,
        ) from None
    except ParseError as exc:
        # Our own subprocess's output, not a user's file: its first line is worth quoting (shortened).
        raise ParseError(
            f"llm-optimizer estimate printed no report (model {model!r}); its output begins "
            f"{_quote(_first_line(completed.stdout))!r}"
        ) from exc
    supplied: dict[str, Any] = {
        "model": model,
        "gpu": gpu,
        "num_gpus": num_gpus,
        "input_length": input_length,
        "output_length": output_length,
        "precision": precision,
        "constraints": constraints,
    }
    missing: dict[str, Any] = {
        name: value
        for name, value in supplied.items()
        if value is not None and getattr(estimate, name) is None
    }
    return attrs.evolve(estimate, **missing) if missing else estimate
