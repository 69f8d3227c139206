"""Readers for the benchmark result files people already have, as :class:`MeasuredPoint` records.

Each reader follows the layout its tool writes (the keys are cited, with the tool's commit, in
``tests/fixtures/bench_results/README.md``):

- ``vllm``: ``vllm bench serve --save-result`` JSON, and the older ``benchmarks/benchmark_serving.py``
  JSON (the same keys): ``mean_ttft_ms``, ``median_tpot_ms``, ``p99_itl_ms``, ``mean_e2el_ms``, ...
- ``sglang``: ``python -m sglang.bench_serving --output-file`` JSONL, one result object a line
  (``mean_e2e_latency_ms``, ``total_output_tokens_retokenized``, ...).
- ``guidellm``: ``guidellm benchmark --output-path report.json``: ``{"benchmarks": [...]}``, each with
  ``metrics.time_to_first_token_ms.successful.{mean, median, percentiles.p99}`` and its strategy.
- ``genai-perf``: ``profile_export_genai_perf.json`` and aiperf's ``profile_export_aiperf.json``:
  ``{"time_to_first_token": {"unit": "ms", "avg": ..., "p50": ..., "p99": ...}, ...}``.
- ``trtllm-bench``: ``trtllm-bench throughput|latency --report_json``: ``performance``,
  ``streaming_metrics``, ``dataset`` / ``request_info`` sections.
- ``aiperf-records``: aiperf's per-request ``profile_export.jsonl``, one ``{"metadata", "metrics",
  "error"}`` record a line; the run's statistics are computed from the successful profiling-phase records
  (warm-up and failed ones are left out). The load is not in the file: the point is a closed loop of the
  requests in flight on average (Little's law: the summed latencies over the run's span).

genai-perf's raw per-request ``profile_export.json`` (``{"experiments": [{"requests": [...]}]}``) holds the
prompt text and streamed chunks but no token counts (genai-perf counts them with the model's tokenizer);
it is recognised and refused with a message pointing at the ``profile_export_genai_perf.json`` beside it.

The files do not say which GPU, how many or which layout ran them: the caller says so. A file in
none of these layouts, or a point missing what every point needs (its lengths and at least one
latency or throughput), raises :class:`~config_explorer.errors.ParseError` naming the file and the
field; the message never quotes the file's contents.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from config_explorer._files import REPORT_LIMIT_BYTES, quote, read_text
from config_explorer.errors import ParseError

__all__ = [
    "ARRIVALS",
    "FORMATS",
    "MeasuredPoint",
    "parse_results",
    "read_many",
    "read_results",
]

#: the result formats :func:`read_results` knows, by the name it reports
FORMATS: Final = ("vllm", "sglang", "guidellm", "genai-perf", "trtllm-bench", "aiperf-records")
#: how the benchmark sent requests: a closed loop of ``concurrency`` clients, Poisson arrivals at
#: ``request_rate`` per second, or every request at once (offline)
ARRIVALS: Final = ("closed_loop", "poisson", "offline")


def _optional_figure(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"a measured figure must be finite and >= 0, got {number!r}")
    return number


def _figure() -> Any:
    return attrs.field(default=None, converter=_optional_figure)


@attrs.frozen(kw_only=True)
class MeasuredPoint:
    """One measured run: its workload and what the benchmark reported (means unless named otherwise).

    Lengths are the mean tokens per request the run actually sent and received.
    """

    source_file: str
    format: str
    #: which result in the file (0-based), for messages
    index: int = 0
    model_id: str | None = None
    input_length: int = attrs.field(validator=attrs.validators.ge(1))
    output_length: int = attrs.field(validator=attrs.validators.ge(1))
    arrival: str = attrs.field(validator=attrs.validators.in_(ARRIVALS))
    concurrency: int | None = None
    request_rate: float | None = None
    num_prompts: int | None = None
    ttft_ms_mean: float | None = _figure()
    ttft_ms_median: float | None = _figure()
    ttft_ms_p99: float | None = _figure()
    itl_ms_mean: float | None = _figure()
    itl_ms_median: float | None = _figure()
    itl_ms_p99: float | None = _figure()
    tpot_ms_mean: float | None = _figure()
    tpot_ms_median: float | None = _figure()
    tpot_ms_p99: float | None = _figure()
    e2e_ms_mean: float | None = _figure()
    e2e_ms_median: float | None = _figure()
    e2e_ms_p99: float | None = _figure()
    output_throughput_tok_s: float | None = _figure()
    request_throughput_req_s: float | None = _figure()

    @property
    def label(self) -> str:
        """A short name of the point: file, index and load."""
        load = {
            "closed_loop": f"c={self.concurrency}",
            "poisson": f"rate={self.request_rate:g}/s" if self.request_rate else "poisson",
            "offline": "offline",
        }[self.arrival]
        return f"{self.source_file}#{self.index} {self.input_length}/{self.output_length} {load}"

    @property
    def ttft_ms(self) -> float | None:
        """Mean TTFT, or the median where the file has no mean."""
        return self.ttft_ms_mean if self.ttft_ms_mean is not None else self.ttft_ms_median

    @property
    def itl_ms(self) -> float | None:
        return self.itl_ms_mean if self.itl_ms_mean is not None else self.itl_ms_median

    @property
    def tpot_ms(self) -> float | None:
        return self.tpot_ms_mean if self.tpot_ms_mean is not None else self.tpot_ms_median

    @property
    def e2e_ms(self) -> float | None:
        return self.e2e_ms_mean if self.e2e_ms_mean is not None else self.e2e_ms_median

    def load_key(self) -> tuple[int, int, str, int | None, float | None]:
        """What identifies the configuration measured (two points with one key measured the same thing)."""
        return (self.input_length, self.output_length, self.arrival, self.concurrency, self.request_rate)


class _Reader:
    """Field access that words a missing or malformed field as a ParseError naming file and field."""

    def __init__(self, source: str, fmt: str, index: int) -> None:
        self.source = source
        self.fmt = fmt
        self.index = index

    def fail(self, field: str, problem: str) -> ParseError:
        return ParseError(f"{self.source}: {self.fmt} result #{self.index}: field {field!r} {problem}")

    def number(self, data: Mapping[str, Any], key: str, *, where: str = "") -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
            return math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where + key, "is not a number")
        number = float(value)
        if math.isnan(number):
            return None
        if number < 0:
            raise self.fail(where + key, "is negative")
        return number

    def section(self, data: Mapping[str, Any], key: str, *, where: str = "") -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(where + key, "is not an object")
        return value

    def length(self, value: float | None, field: str) -> int:
        if value is None:
            raise self.fail(field, "is missing (the point's token lengths are needed)")
        if not math.isfinite(value) or value < 0.5:
            raise self.fail(field, "is not a token count >= 1")
        return max(1, round(value))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _ratio(total: float | None, count: float | None) -> float | None:
    if total is None or not count:
        return None
    return total / count


def _load(
    reader: _Reader, concurrency: float | None, rate: float | None, field: str
) -> tuple[str, int | None, float | None]:
    """(arrival, concurrency, request_rate) from a tool's load settings."""
    c = None if concurrency is None or not math.isfinite(concurrency) else concurrency
    r = None if rate is None or not math.isfinite(rate) or rate <= 0 else rate
    if c is not None and c < 1:
        raise reader.fail(field, "is not a concurrency >= 1")
    clients = None if c is None else round(c)
    if r is not None:
        return "poisson", clients, r
    if clients is not None:
        return "closed_loop", clients, None
    return "offline", None, None


def _vllm_like(reader: _Reader, data: Mapping[str, Any], e2e_prefix: str) -> MeasuredPoint:
    n = reader.number
    completed = n(data, "completed")
    isl = _ratio(n(data, "total_input_tokens"), completed)
    osl = _ratio(n(data, "total_output_tokens"), completed)
    if isl is None and reader.fmt == "sglang":
        isl = n(data, "random_input_len")
    if osl is None and reader.fmt == "sglang":
        osl = n(data, "random_output_len")
    arrival, concurrency, rate = _load(
        reader, n(data, "max_concurrency"), n(data, "request_rate"), "max_concurrency"
    )
    model = data.get("model_id")
    return MeasuredPoint(
        source_file=reader.source,
        format=reader.fmt,
        index=reader.index,
        model_id=model if isinstance(model, str) else None,
        input_length=reader.length(isl, "total_input_tokens"),
        output_length=reader.length(osl, "total_output_tokens"),
        arrival=arrival,
        concurrency=concurrency,
        request_rate=rate,
        num_prompts=_int(n(data, "num_prompts")) or _int(completed),
        ttft_ms_mean=n(data, "mean_ttft_ms"),
        ttft_ms_median=n(data, "median_ttft_ms"),
        ttft_ms_p99=n(data, "p99_ttft_ms"),
        itl_ms_mean=n(data, "mean_itl_ms"),
        itl_ms_median=n(data, "median_itl_ms"),
        itl_ms_p99=n(data, "p99_itl_ms"),
        tpot_ms_mean=n(data, "mean_tpot_ms"),
        tpot_ms_median=n(data, "median_tpot_ms"),
        tpot_ms_p99=n(data, "p99_tpot_ms"),
        e2e_ms_mean=n(data, f"mean_{e2e_prefix}_ms"),
        e2e_ms_median=n(data, f"median_{e2e_prefix}_ms"),
        e2e_ms_p99=n(data, f"p99_{e2e_prefix}_ms"),
        output_throughput_tok_s=_finite(n(data, "output_throughput")),
        request_throughput_req_s=_finite(n(data, "request_throughput")),
    )


def _int(value: float | None) -> int | None:
    return None if value is None or not math.isfinite(value) or value < 1 else round(value)


_GUIDELLM_STRATEGY_PLACES: Final = (("scheduler", "strategy"), ("config", "strategy"), ("args", "strategy"))


def _guidellm(reader: _Reader, bench: Mapping[str, Any]) -> MeasuredPoint:
    metrics = reader.section(bench, "metrics")
    if not metrics:
        raise reader.fail("metrics", "is missing")

    def stat(name: str, what: str, scale: float = 1.0) -> float | None:
        summary = reader.section(reader.section(metrics, name), "successful", where=f"metrics.{name}.")
        if what == "p99":
            value = reader.number(reader.section(summary, "percentiles"), "p99", where=f"metrics.{name}.")
        else:
            value = reader.number(summary, what, where=f"metrics.{name}.successful.")
        return None if value is None else value * scale

    strategy: Mapping[str, Any] = {}
    for outer, inner in _GUIDELLM_STRATEGY_PLACES:
        found = reader.section(reader.section(bench, outer), inner, where=f"{outer}.")
        if found:
            strategy = found
            break
    kind = strategy.get("type_", strategy.get("type"))
    concurrency: int | None
    rate: float | None
    if kind == "synchronous":
        arrival, concurrency, rate = "closed_loop", 1, None
    elif kind == "concurrent":
        arrival, concurrency, rate = _load(
            reader, reader.number(strategy, "streams"), None, "strategy.streams"
        )
    elif kind in ("constant", "poisson", "async"):
        arrival, concurrency, rate = _load(reader, None, reader.number(strategy, "rate"), "strategy.rate")
    elif kind == "throughput":
        arrival, concurrency, rate = "offline", None, None
    else:
        raise reader.fail(
            "scheduler.strategy.type_",
            "is missing or not one of synchronous, concurrent, constant, poisson, throughput",
        )
    totals = reader.section(reader.section(bench, "run_stats"), "requests_made", where="run_stats.")
    return MeasuredPoint(
        source_file=reader.source,
        format=reader.fmt,
        index=reader.index,
        input_length=reader.length(stat("prompt_token_count", "mean"), "metrics.prompt_token_count"),
        output_length=reader.length(stat("output_token_count", "mean"), "metrics.output_token_count"),
        arrival=arrival,
        concurrency=concurrency,
        request_rate=rate,
        num_prompts=_int(reader.number(totals, "successful")),
        ttft_ms_mean=stat("time_to_first_token_ms", "mean"),
        ttft_ms_median=stat("time_to_first_token_ms", "median"),
        ttft_ms_p99=stat("time_to_first_token_ms", "p99"),
        itl_ms_mean=stat("inter_token_latency_ms", "mean"),
        itl_ms_median=stat("inter_token_latency_ms", "median"),
        itl_ms_p99=stat("inter_token_latency_ms", "p99"),
        # guidellm's time_per_output_token_ms counts the first token too: not vLLM's TPOT, left out
        e2e_ms_mean=stat("request_latency", "mean", 1000.0),
        e2e_ms_median=stat("request_latency", "median", 1000.0),
        e2e_ms_p99=stat("request_latency", "p99", 1000.0),
        output_throughput_tok_s=stat("output_tokens_per_second", "mean"),
        request_throughput_req_s=stat("requests_per_second", "mean"),
    )


_TIME_UNITS: Final = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "us": 1e-3, "ns": 1e-6}


def _genai_perf(reader: _Reader, data: Mapping[str, Any]) -> MeasuredPoint:
    records = reader.section(data, "records") or data

    def stat(name: str, what: str, *, time: bool = True) -> float | None:
        metric = reader.section(records, name)
        if not metric:
            return None
        value = reader.number(metric, what, where=f"{name}.")
        if value is None or not time:
            return value
        unit = metric.get("unit", "ms")
        if unit not in _TIME_UNITS:
            raise reader.fail(f"{name}.unit", f"is not a time unit ({', '.join(_TIME_UNITS)})")
        return value * _TIME_UNITS[unit]

    config = reader.section(data, "input_config")
    loadgen = reader.section(config, "loadgen", where="input_config.") or config
    arrival, concurrency, rate = _load(
        reader,
        reader.number(loadgen, "concurrency", where="input_config."),
        reader.number(loadgen, "request_rate", where="input_config."),
        "input_config.concurrency",
    )
    model = config.get("model")
    if isinstance(model, list) and model:
        model = model[0]
    return MeasuredPoint(
        source_file=reader.source,
        format=reader.fmt,
        index=reader.index,
        model_id=model if isinstance(model, str) else None,
        input_length=reader.length(stat("input_sequence_length", "avg", time=False), "input_sequence_length"),
        output_length=reader.length(
            stat("output_sequence_length", "avg", time=False), "output_sequence_length"
        ),
        arrival=arrival,
        concurrency=concurrency,
        request_rate=rate,
        num_prompts=_int(stat("request_count", "avg", time=False)),
        ttft_ms_mean=stat("time_to_first_token", "avg"),
        ttft_ms_median=stat("time_to_first_token", "p50"),
        ttft_ms_p99=stat("time_to_first_token", "p99"),
        itl_ms_mean=stat("inter_token_latency", "avg"),
        itl_ms_median=stat("inter_token_latency", "p50"),
        itl_ms_p99=stat("inter_token_latency", "p99"),
        e2e_ms_mean=stat("request_latency", "avg"),
        e2e_ms_median=stat("request_latency", "p50"),
        e2e_ms_p99=stat("request_latency", "p99"),
        output_throughput_tok_s=stat("output_token_throughput", "avg", time=False),
        request_throughput_req_s=stat("request_throughput", "avg", time=False),
    )


def _trtllm_bench(reader: _Reader, data: Mapping[str, Any]) -> MeasuredPoint:
    n = reader.number
    performance = reader.section(data, "performance")
    streaming = reader.section(data, "streaming_metrics")
    dataset = reader.section(data, "dataset")
    requests = reader.section(data, "request_info")
    engine = reader.section(data, "engine")
    isl = n(dataset, "avg_isl", where="dataset.")
    if isl is None:
        isl = n(requests, "avg_input_length", where="request_info.")
    osl = n(dataset, "avg_osl", where="dataset.")
    if osl is None:
        osl = n(requests, "avg_output_length", where="request_info.")
    concurrency = n(requests, "avg_num_concurrent_requests", where="request_info.")
    arrival, clients, _ = _load(reader, concurrency, None, "request_info.avg_num_concurrent_requests")
    latency_pct = reader.section(performance, "request_latency_percentiles_ms", where="performance.")
    ttft_pct = reader.section(streaming, "ttft_percentiles", where="streaming_metrics.")
    tpot_pct = reader.section(streaming, "tpot_percentiles", where="streaming_metrics.")
    model = engine.get("model")
    num = n(requests, "num_requests", where="request_info.")
    if num is None:
        num = n(dataset, "num_requests", where="dataset.")
    return MeasuredPoint(
        source_file=reader.source,
        format=reader.fmt,
        index=reader.index,
        model_id=model if isinstance(model, str) else None,
        input_length=reader.length(isl, "dataset.avg_isl"),
        output_length=reader.length(osl, "dataset.avg_osl"),
        arrival=arrival,
        concurrency=clients,
        num_prompts=_int(num),
        ttft_ms_mean=n(streaming, "avg_ttft_ms", where="streaming_metrics."),
        ttft_ms_median=n(ttft_pct, "p50", where="streaming_metrics.ttft_percentiles."),
        ttft_ms_p99=n(ttft_pct, "p99", where="streaming_metrics.ttft_percentiles."),
        tpot_ms_mean=n(streaming, "avg_tpot_ms", where="streaming_metrics."),
        tpot_ms_median=n(tpot_pct, "p50", where="streaming_metrics.tpot_percentiles."),
        tpot_ms_p99=n(tpot_pct, "p99", where="streaming_metrics.tpot_percentiles."),
        e2e_ms_mean=n(performance, "avg_request_latency_ms", where="performance."),
        e2e_ms_median=n(latency_pct, "p50", where="performance.request_latency_percentiles_ms."),
        e2e_ms_p99=n(latency_pct, "p99", where="performance.request_latency_percentiles_ms."),
        output_throughput_tok_s=n(performance, "system_output_throughput_tok_s", where="performance."),
        request_throughput_req_s=n(performance, "request_throughput_req_s", where="performance."),
    )


def _format_of(data: Mapping[str, Any]) -> str | None:
    if isinstance(data.get("benchmarks"), list):
        return "guidellm"
    if isinstance(data.get("performance"), Mapping) and (
        "system_output_throughput_tok_s" in data["performance"]
        or "request_throughput_req_s" in data["performance"]
    ):
        return "trtllm-bench"
    records = data.get("records") if isinstance(data.get("records"), Mapping) else data
    if isinstance(records, Mapping) and any(
        isinstance(records.get(key), Mapping)
        for key in ("time_to_first_token", "request_latency", "request_throughput")
    ):
        return "genai-perf"
    if "mean_e2e_latency_ms" in data or "total_output_tokens_retokenized" in data:
        return "sglang"
    if "output_throughput" in data and (
        "mean_ttft_ms" in data or "mean_e2el_ms" in data or "completed" in data
    ):
        return "vllm"
    return None


_FORMAT_HELP: Final = (
    "known formats: vLLM `bench serve --save-result` JSON, SGLang bench_serving JSONL, guidellm report JSON, "
    "genai-perf/aiperf profile_export*.json, aiperf's per-request profile_export.jsonl, "
    "trtllm-bench --report_json"
)


def _is_aiperf_record(data: object) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("metadata"), Mapping)
        and isinstance(data.get("metrics"), Mapping)
    )


def _percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, linear between ranks (numpy's default)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _aiperf_records(source: str, records: Sequence[Mapping[str, Any]]) -> MeasuredPoint:
    """One point from aiperf's per-request records (see the module text)."""
    reader = _Reader(source, "aiperf-records", 0)
    kept: list[tuple[int, Mapping[str, Any], Mapping[str, Any]]] = []
    for line, record in enumerate(records, start=1):
        meta, metrics = record["metadata"], record["metrics"]
        if record.get("error") is not None or meta.get("benchmark_phase", "profiling") != "profiling":
            continue
        if meta.get("was_cancelled") is True:
            continue
        kept.append((line, meta, metrics))
    if not kept:
        raise ParseError(f"{source}: aiperf records: no successful profiling-phase request to measure")

    def metric(line: int, metrics: Mapping[str, Any], name: str, *, time: bool) -> float | None:
        entry = metrics.get(name)
        if entry is None:
            return None
        if not isinstance(entry, Mapping):
            raise ParseError(
                f"{source}: aiperf record on line {line}: field 'metrics.{name}' is not an object"
            )
        value = reader.number(entry, "value", where=f"line {line}: metrics.{name}.")
        if value is None or not time:
            return value
        unit = entry.get("unit", "ms")
        if unit not in _TIME_UNITS:
            raise ParseError(
                f"{source}: aiperf record on line {line}: field 'metrics.{name}.unit' is not a time unit "
                f"({', '.join(_TIME_UNITS)})"
            )
        return value * _TIME_UNITS[unit]

    def column(name: str, *, time: bool = True) -> list[float]:
        values = [metric(line, m, name, time=time) for line, _, m in kept]
        return [v for v in values if v is not None]

    def stats(values: list[float]) -> tuple[float | None, float | None, float | None]:
        if not values:
            return None, None, None
        return sum(values) / len(values), _percentile(values, 0.5), _percentile(values, 0.99)

    inputs, outputs = (
        column("input_sequence_length", time=False),
        column("output_sequence_length", time=False),
    )
    ttft, itl, e2e = column("time_to_first_token"), column("inter_token_latency"), column("request_latency")
    tpot = [  # vLLM's TPOT of each request: (E2E - TTFT) / (output - 1)
        (latency - first) / (osl - 1)
        for line, _, m in kept
        if (latency := metric(line, m, "request_latency", time=True)) is not None
        and (first := metric(line, m, "time_to_first_token", time=True)) is not None
        and (osl := metric(line, m, "output_sequence_length", time=False)) is not None
        and osl > 1
    ]
    starts = [reader.number(meta, "request_start_ns", where="metadata.") for _, meta, _ in kept]
    ends = [reader.number(meta, "request_end_ns", where="metadata.") for _, meta, _ in kept]
    span_s = None
    if all(v is not None for v in (*starts, *ends)):
        span_s = (max(e for e in ends if e is not None) - min(s for s in starts if s is not None)) / 1e9
    in_flight = sum(e2e) / 1000.0 / span_s if span_s and e2e else None
    arrival, concurrency, _ = _load(reader, max(in_flight, 1.0) if in_flight else None, None, "metadata")
    (ttft_mean, ttft_median, ttft_p99), (itl_mean, itl_median, itl_p99) = stats(ttft), stats(itl)
    (e2e_mean, e2e_median, e2e_p99), (tpot_mean, tpot_median, tpot_p99) = stats(e2e), stats(tpot)
    return MeasuredPoint(
        source_file=source,
        format="aiperf-records",
        index=0,
        input_length=reader.length(
            sum(inputs) / len(inputs) if inputs else None, "metrics.input_sequence_length"
        ),
        output_length=reader.length(
            sum(outputs) / len(outputs) if outputs else None, "metrics.output_sequence_length"
        ),
        arrival=arrival,
        concurrency=concurrency,
        num_prompts=len(kept),
        ttft_ms_mean=ttft_mean,
        ttft_ms_median=ttft_median,
        ttft_ms_p99=ttft_p99,
        itl_ms_mean=itl_mean,
        itl_ms_median=itl_median,
        itl_ms_p99=itl_p99,
        tpot_ms_mean=tpot_mean,
        tpot_ms_median=tpot_median,
        tpot_ms_p99=tpot_p99,
        e2e_ms_mean=e2e_mean,
        e2e_ms_median=e2e_median,
        e2e_ms_p99=e2e_p99,
        output_throughput_tok_s=sum(outputs) / span_s if span_s and outputs else None,
        request_throughput_req_s=len(kept) / span_s if span_s else None,
    )


def _points_of(source: str, data: object, index: int) -> list[MeasuredPoint]:
    if not isinstance(data, Mapping):
        raise ParseError(f"{source}: result #{index} is not a JSON object; {_FORMAT_HELP}")
    experiments = data.get("experiments")
    if isinstance(experiments, list) and all(isinstance(e, Mapping) and "requests" in e for e in experiments):
        raise ParseError(
            f"{source}: this is genai-perf's per-request profile_export.json: it holds prompt text and streamed "
            "chunks but no token counts (genai-perf counts them with the model's tokenizer); give the "
            "profile_export_genai_perf.json genai-perf wrote beside it instead"
        )
    fmt = _format_of(data)
    if fmt is None:
        raise ParseError(f"{source}: result #{index} is in none of the known layouts; {_FORMAT_HELP}")
    if fmt == "guidellm":
        benches = data["benchmarks"]
        if not benches:
            raise ParseError(f"{source}: guidellm report: field 'benchmarks' is empty")
        points = []
        for i, bench in enumerate(benches):
            if not isinstance(bench, Mapping):
                raise ParseError(f"{source}: guidellm report: field 'benchmarks[{i}]' is not an object")
            points.append(_guidellm(_Reader(source, fmt, i), bench))
        return points
    reader = _Reader(source, fmt, index)
    if fmt == "trtllm-bench":
        return [_trtllm_bench(reader, data)]
    if fmt == "genai-perf":
        return [_genai_perf(reader, data)]
    return [_vllm_like(reader, data, "e2e_latency" if fmt == "sglang" else "e2el")]


def parse_results(text: str, source: str = "<text>") -> tuple[MeasuredPoint, ...]:
    """The measured points in a result file's text (one JSON document, or JSON Lines).

    ``source`` names the file in messages and in each point's ``source_file``.
    """
    documents: list[object]
    try:
        documents = [json.loads(text)]
    except json.JSONDecodeError:
        documents = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                documents.append(json.loads(line))
            except (json.JSONDecodeError, RecursionError):
                raise ParseError(f"{source}: line {number} is not JSON; {_FORMAT_HELP}") from None
    except (RecursionError, ValueError):
        raise ParseError(f"{source}: it is not JSON that can be read; {_FORMAT_HELP}") from None
    if not documents:
        raise ParseError(f"{source}: the file holds no results; {_FORMAT_HELP}")
    if all(_is_aiperf_record(d) for d in documents):  # one run, one record per request
        try:
            return (_aiperf_records(source, documents),)  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            if isinstance(exc, ParseError):
                raise
            raise ParseError(f"{source}: aiperf records: a value out of range ({exc})") from None
    points: list[MeasuredPoint] = []
    for index, document in enumerate(documents):
        try:
            points.extend(_points_of(source, document, index))
        except (ValueError, TypeError) as exc:
            if isinstance(exc, ParseError):
                raise
            raise ParseError(f"{source}: result #{index} has a value out of range ({exc})") from None
    return tuple(points)


def read_results(path: str | os.PathLike[str]) -> tuple[MeasuredPoint, ...]:
    """Read one benchmark result file (any format in :data:`FORMATS`, detected from its keys)."""
    text = read_text(path, what="benchmark result file", limit_bytes=REPORT_LIMIT_BYTES, error=ParseError)
    return parse_results(text, Path(path).name or quote(os.fspath(path)))


def read_many(paths: Sequence[str | os.PathLike[str]]) -> tuple[MeasuredPoint, ...]:
    """Every point of every file, in order."""
    points: list[MeasuredPoint] = []
    for path in paths:
        points.extend(read_results(path))
    return tuple(points)
