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

import math
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from config_explorer.errors import BackendError, BackendUnavailableError, InvalidArgumentError, ParseError

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

# No report quotes more than this of an offending line: enough to recognise it, short enough for one line.
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


def _clean(raw_line: str) -> str:
    """One report line without colour codes, decoration at either end, or runs of spaces inside."""
    line = _ANSI_ESCAPE.sub("", raw_line)
    # NFKC folds fullwidth colons and digits, the micro sign and no-break spaces into plain forms.
    line = unicodedata.normalize("NFKC", line)
    line = "".join(" " if unicodedata.category(char) in ("Cc", "Zs") else char for char in line)
    line = "".join(char for char in line if unicodedata.category(char) != "Cf")
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

_GPU_VALUE = re.compile(
    r"^(?:(?P<count>[0-9]+)\s*[x×*]\s*)?(?P<name>.+?)(?:\s*[x×*]\s*(?P<count_after>[0-9]+))?$", re.I
)
_LENGTHS = re.compile(r"(?P<input>[0-9][0-9,_]*)\s*/\s*(?P<output>[0-9][0-9,_]*)")
# Upstream prints the raw count with a 'B' after it ("3668377600.0B parameters"), so a number that
# is already huge is the count itself; a small one with a suffix ("8.0B parameters") is scaled.
_PARAMETERS = re.compile(
    r"^(?P<number>[0-9][0-9,_]*(?:\.[0-9]+)?)\s*(?P<suffix>[kmbt])?\s*param(?:eter)?s?\b"
    r"(?:.*?(?P<layers>[0-9][0-9,_]*)\s*layers?\b)?",
    re.IGNORECASE,
)
_SUFFIX_SCALE: Final[Mapping[str, float]] = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_RAW_COUNT_THRESHOLD: Final = 1e5


def _gpu_fields(value: str) -> dict[str, object]:
    match = _GPU_VALUE.match(value)
    if match is None:  # pragma: no cover - '.+?' matches any non-empty value
        return {}
    count_text = match.group("count") or match.group("count_after")
    fields: dict[str, object] = {"gpu": match.group("name").strip() or None}
    if count_text is not None:
        count = _as_count(count_text)
        fields["num_gpus"] = count if count is not None and count >= 1 else None
    return fields


def _length_fields(value: str) -> dict[str, object]:
    match = _LENGTHS.search(value)
    if match is None:
        return {}
    return {
        "input_length": _as_count(match.group("input")),
        "output_length": _as_count(match.group("output")),
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
    layers = _as_count(match.group("layers")) if match.group("layers") else None
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

# 'Label: value', 'Label = value', 'Label .... value', 'Label │ value'; the label must hold a letter.
_KEY_VALUE = re.compile(
    r"^(?P<label>[^:=│┃║|]*?[^\W\d_][^:=│┃║|]*?)\s*(?::|=|\.{3,}|…+|[│┃║|])\s*(?P<value>.*)$"
)
_LABEL_UNIT = re.compile(r"^(?P<label>.*?)\s*\((?P<unit>[^()]*)\)\s*$")

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


@attrs.define
class _Reading:
    """Where the parser is in a report, and what it has found so far."""

    section: str | None = None
    block: str | None = None
    recognised: int = 0
    values: dict[str, Any] = attrs.Factory(dict)  # only values the record's validators accept
    saw_performance_heading: bool = False
    saw_best_block: bool = False
    saw_section_after_performance: bool = False

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


def _read_line(reading: _Reading, line: str) -> None:
    lowered = line.lower()
    if lowered in _SECTIONS:
        reading.enter_section(lowered)
        reading.recognised += 1
        return
    if reading.section == _TUNING:
        return  # generated commands are full of '=' and ':' and mean nothing to us
    if _UNSATISFIABLE in lowered:
        reading.put({"constraints_satisfied": False})
        reading.recognised += 1
        return
    if _ERROR_LINE.match(line):
        return
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
    pair = _KEY_VALUE.match(line)
    if pair is None:
        return
    label, value = pair.group("label"), pair.group("value").strip()
    unit_hint = ""
    with_unit = _LABEL_UNIT.match(label)
    if with_unit is not None:  # 'TTFT (s): 0.0168'
        label, unit_hint = with_unit.group("label"), "".join(with_unit.group("unit").lower().split())
    handler = reading.handlers().get(_label_key(label))
    if handler is None:
        return
    reading.recognised += 1
    if value:
        reading.put(handler(value, unit_hint))


def _quote(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= _QUOTE_CHARS else line[: _QUOTE_CHARS - 1] + "…"


def _no_report(raw_lines: Sequence[str]) -> ParseError:
    meaningful = [line for line in raw_lines if line.strip()]
    if not meaningful:
        return ParseError("no llm-optimizer estimate report found: the text is empty")
    # An 'Error: ...' line is what upstream prints instead of a report; it explains the most.
    errors = [line for line in meaningful if _ERROR_LINE.match(_clean(line))]
    offending = _quote((errors or meaningful)[0].strip())
    return ParseError(
        f"no llm-optimizer estimate report found: {offending!r} matches none of its labels "
        "(expected lines such as '=== Performance Analysis ===', 'TTFT: 16.8 ms' or "
        "'KV Cache Memory Limit: 1258 concurrent requests')"
    )


def parse_llm_optimizer_output(text: str | bytes) -> ParsedEstimate:
    """Read the report ``llm-optimizer estimate`` printed; fields the report lacks come back ``None``.

    Tolerates emoji, box drawing, colour codes, ``:``/``=``/dotted separators, unit suffixes (converted
    into each field's unit) and thousands separators, and skips every line it does not know. Bytes are
    decoded as UTF-8, which is what upstream writes.

    Raises:
        ParseError: when not one line looks like part of an llm-optimizer report; the message quotes
            the first such line (or upstream's ``Error:`` line), shortened to 80 characters.
        InvalidArgumentError: when ``text`` is neither ``str`` nor ``bytes``.
    """
    report: object = text  # checked at run time too: callers outside mypy pass anything
    if isinstance(report, bytes):
        report = report.decode("utf-8", errors="replace")
    if not isinstance(report, str):
        raise InvalidArgumentError(f"report text must be str or bytes, got {type(report).__name__}")
    raw_lines = report.splitlines()
    reading = _Reading()
    for raw_line in raw_lines:
        line = _clean(raw_line)
        if line:
            _read_line(reading, line)
    if reading.recognised == 0:
        raise _no_report(raw_lines)
    if reading.saw_performance_heading and reading.saw_section_after_performance:
        # Upstream prints no Best blocks exactly when concurrency 1 already overflows GPU memory.
        reading.put({"fits_in_memory": reading.saw_best_block})
    elif reading.saw_best_block:
        reading.put({"fits_in_memory": True})
    return ParsedEstimate(**{k: v for k, v in reading.values.items() if k in _FIELD_NAMES})


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
        BackendError: it timed out, exited non-zero, or printed an ``Error:`` line.
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
            f"{_last_line(completed.stderr, completed.stdout)!r}{_wrong_program_hint(completed.stderr)}"
        )
    for raw_line in completed.stdout.splitlines():
        line = _clean(raw_line)
        if _ERROR_LINE.match(line) and _UNSATISFIABLE not in line.lower():
            raise BackendError(f"llm-optimizer estimate reported {_quote(line)!r} (model {model!r})")

    estimate = parse_llm_optimizer_output(completed.stdout)
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
