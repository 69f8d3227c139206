"""The text parser on reports BentoML's real ``llm-optimizer estimate`` printed.

The ``real_*.txt`` fixtures are upstream's stdout byte for byte (how and when they were captured:
tests/fixtures/llm_optimizer/README.md; ``tools/capture_llm_optimizer_fixtures.py`` regenerates them).
These tests need no upstream: they read the files. Each report is read twice, by the parser and by a
second, deliberately naive reader below (one exact regular expression per line upstream prints, taken
from ``display_performance_estimation_results``), and the two must agree field for field.
"""

from __future__ import annotations

import re
import stat
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from config_explorer.backends.llm_optimizer_text import (
    ParsedEstimate,
    parse_llm_optimizer_output,
    run_llm_optimizer_cli,
)
from config_explorer.errors import BackendError, ParseError, UpstreamReportedError

FIXTURES = Path(__file__).parent / "fixtures" / "llm_optimizer"

LLAMA_8B = "real_llama31_8b_1xh100_bf16.txt"
LLAMA_70B = "real_llama31_70b_4xh100_bf16.txt"
CONSTRAINED = "real_llama31_8b_instruct_1xh100_fp8_constraints.txt"
OUT_OF_MEMORY = "real_llama31_70b_instruct_1xl40_bf16_oom.txt"
FP8_ON_A100 = "real_llama31_8b_1xa100_fp8_error.txt"
UNSATISFIABLE = "real_llama31_8b_1xh100_unsatisfiable.txt"
REPORTS = (LLAMA_8B, LLAMA_70B, CONSTRAINED, OUT_OF_MEMORY)
ERRORS = (FP8_ON_A100, UNSATISFIABLE)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake executables are #! scripts")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# The naive reader: upstream's exact line formats, nothing else
# --------------------------------------------------------------------------------------------------

NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
#: a regular expression for one whole line, the fields its groups fill, how to convert each group
Line = tuple[str, tuple[str, ...], tuple[Callable[[str], object], ...]]

#: every line upstream prints with a value, outside the constrained section
LINES: tuple[Line, ...] = (
    (r"💡 Inferred precision from model config: (fp16|bf16|fp8)", ("precision",), (str,)),
    (r"🔧 Using user-specified precision: (fp16|bf16|fp8)", ("precision",), (str,)),
    (r"Model: ([\w.-]+/[\w.-]+)", ("model",), (str,)),
    (r"GPU: ([0-9]+)x ([\w-]+)", ("num_gpus", "gpu"), (int, str)),
    (r"Precision: (fp16|bf16|fp8)", ("precision",), (str,)),
    (r"Input/Output: ([0-9]+)/([0-9]+) tokens", ("input_length", "output_length"), (int, int)),
    (r"Target: (throughput|latency)", ("target",), (str,)),
    (r"Constraints: (\S+)", ("constraints",), (str,)),
    (r"Model: ([0-9]+)\.0B parameters, ([0-9]+) layers", ("num_parameters", "num_layers"), (int, int)),
    (r"Best Latency \(concurrency=([0-9]+)\):", ("best_latency_concurrency",), (int,)),
    (rf"  TTFT: {NUMBER} ms", ("ttft_ms",), (float,)),
    (rf"  ITL: {NUMBER} ms", ("itl_ms",), (float,)),
    (rf"  E2E: {NUMBER} s", ("e2e_latency_s",), (float,)),
    (r"Best Throughput \(concurrency=([0-9]+)\):", ("best_throughput_concurrency",), (int,)),
    (rf"  Output: {NUMBER} tokens/s", ("output_throughput_tok_s",), (float,)),
    (rf"  Input: {NUMBER} tokens/s", ("input_throughput_tok_s",), (float,)),
    (rf"  Requests: {NUMBER} req/s", ("requests_per_s",), (float,)),
    (r"  Bottleneck: (Memory|Compute)", ("bottleneck",), (str.lower,)),
    (rf"Hardware Ops/Byte Ratio: {NUMBER} ops/byte", ("hardware_ops_per_byte",), (float,)),
    (rf"Prefill Arithmetic Intensity: {NUMBER} ops/byte", ("prefill_arithmetic_intensity",), (float,)),
    (rf"Decode Arithmetic Intensity: {NUMBER} ops/byte", ("decode_arithmetic_intensity",), (float,)),
    (r"Prefill Phase: (Memory|Compute) Bound", ("prefill_bound",), (str.lower,)),
    (r"Decode Phase: (Memory|Compute) Bound", ("decode_bound",), (str.lower,)),
    (r"KV Cache Memory Limit: ([0-9]+) concurrent requests", ("kv_cache_limit",), (int,)),
    (r"Prefill Compute Limit: ([0-9]+) concurrent requests", ("prefill_compute_limit",), (int,)),
    (r"Decode Capacity Limit: ([0-9]+) concurrent requests", ("decode_capacity_limit",), (int,)),
    (r"Theoretical Overall Limit: ([0-9]+) concurrent requests", ("theoretical_overall_limit",), (int,)),
    (
        r"Empirical Optimal Concurrency: ([0-9]+) concurrent requests",
        ("empirical_optimal_concurrency",),
        (int,),
    ),
)
#: the same labels in the '=== Performance under Constraints ===' section fill other fields
CONSTRAINED_LINES: tuple[Line, ...] = (
    (r"Concurrency: ([0-9]+)", ("constrained_concurrency",), (int,)),
    (rf"TTFT: {NUMBER} ms", ("constrained_ttft_ms",), (float,)),
    (rf"ITL: {NUMBER} ms", ("constrained_itl_ms",), (float,)),
    (rf"Output throughput: {NUMBER} tokens/s", ("constrained_output_throughput_tok_s",), (float,)),
)
#: lines that carry no value
FILLER = (r"=== [A-Za-z ]+ ===", r"Fetching model configuration\.\.\.", r"Parsed [0-9]+ constraint\(s\)")


def read_naively(text: str) -> dict[str, object]:
    """Every value of the report up to its tuning commands; fails on any line it does not know."""
    values: dict[str, object] = {}
    section = None
    for line in text.split("\n"):
        if not line:
            continue
        if line == "=== Tuning Commands ===":
            break
        heading = re.fullmatch(r"=== ([A-Za-z ]+) ===", line)
        if heading:
            section = heading[1]
            if section == "Performance under Constraints":
                values["constraints_satisfied"] = True
            continue
        table = CONSTRAINED_LINES if section == "Performance under Constraints" else LINES
        for pattern, fields, converters in table:
            match = re.fullmatch(pattern, line)
            if match:
                for field, converter, group in zip(fields, converters, match.groups(), strict=True):
                    values.setdefault(field, converter(group))
                break
        else:
            assert any(re.fullmatch(filler, line) for filler in FILLER), f"unknown line {line!r}"
    # upstream prints Best blocks exactly when concurrency 1 fits
    if "=== Performance Analysis ===" in text:
        values["fits_in_memory"] = "best_latency_concurrency" in values
    return values


# --------------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------------

#: what the naive reader must find in each report, so that it cannot agree by finding nothing
EXPECTED_FIELDS: dict[str, int] = {LLAMA_8B: 29, LLAMA_70B: 29, CONSTRAINED: 35, OUT_OF_MEMORY: 15}


@pytest.mark.parametrize("name", REPORTS)
def test_parser_agrees_with_the_naive_reader_field_for_field(name: str) -> None:
    expected = read_naively(fixture_text(name))
    assert len(expected) == EXPECTED_FIELDS[name], sorted(expected)
    parsed = parse_llm_optimizer_output(fixture_text(name)).to_dict()
    for field, value in parsed.items():
        assert value == expected.get(field), field
    assert set(expected) <= set(parsed)


def test_llama_8b_on_one_h100_by_hand() -> None:
    """The dense 8B report, numbers copied from the fixture by eye."""
    estimate = parse_llm_optimizer_output(fixture_text(LLAMA_8B))
    assert (estimate.model, estimate.gpu, estimate.num_gpus, estimate.precision) == (
        "meta-llama/Llama-3.1-8B",
        "H100",
        1,
        "bf16",
    )
    # upstream prints its own raw count followed by a literal 'B'
    assert (estimate.num_parameters, estimate.num_layers) == (8_029_995_008, 32)
    assert (estimate.ttft_ms, estimate.itl_ms, estimate.e2e_latency_s) == (27.2, 3.2, 0.84)
    assert (estimate.best_throughput_concurrency, estimate.output_throughput_tok_s) == (256, 14160.1)
    assert (estimate.requests_per_s, estimate.bottleneck) == (22.10, "memory")
    assert (estimate.prefill_bound, estimate.decode_bound) == ("compute", "memory")
    assert (estimate.kv_cache_limit, estimate.theoretical_overall_limit) == (365, 11)
    assert estimate.fits_in_memory is True and estimate.constraints_satisfied is None


def test_seventy_b_on_four_gpus_is_one_pooled_report() -> None:
    estimate = parse_llm_optimizer_output(fixture_text(LLAMA_70B))
    assert (estimate.gpu, estimate.num_gpus, estimate.num_layers) == ("H100", 4, 80)
    assert (estimate.best_latency_concurrency, estimate.best_throughput_concurrency) == (1, 128)


def test_constrained_report_fills_the_constrained_fields() -> None:
    estimate = parse_llm_optimizer_output(fixture_text(CONSTRAINED))
    assert estimate.constraints == "ttft:p95<300ms;itl:p95<=20ms"
    assert estimate.constraints_satisfied is True
    assert (estimate.constrained_concurrency, estimate.constrained_ttft_ms) == (8, 227.4)
    # the best-latency TTFT is not overwritten by the constrained section's 'TTFT:' line
    assert estimate.ttft_ms == 28.4


def test_out_of_memory_report_has_no_latencies() -> None:
    estimate = parse_llm_optimizer_output(fixture_text(OUT_OF_MEMORY))
    assert estimate.fits_in_memory is False
    assert estimate.ttft_ms is None and estimate.output_throughput_tok_s is None
    assert estimate.kv_cache_limit == 1


@pytest.mark.parametrize("name", REPORTS)
def test_parsed_records_round_trip(name: str) -> None:
    estimate = parse_llm_optimizer_output((FIXTURES / name).read_bytes())
    assert ParsedEstimate(**estimate.to_dict()) == estimate


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


def upstream_error_line(text: str) -> tuple[int, str]:
    """(line number, message) of the one 'Error: ' line, found without the parser."""
    found = [
        (n, line[len("Error: ") :])
        for n, line in enumerate(text.split("\n"), 1)
        if line.startswith("Error: ")
    ]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (FP8_ON_A100, "FP8 precision not supported on A100"),
    ],
)
def test_error_report_raises_upstream_reported_error(name: str, message: str) -> None:
    number, words = upstream_error_line(fixture_text(name))
    assert words == message
    with pytest.raises(UpstreamReportedError) as caught:
        parse_llm_optimizer_output(fixture_text(name), source=name)
    assert caught.value.upstream_message == message
    assert str(caught.value) == (
        f"llm-optimizer reported an error instead of an estimate in {name} (line {number}): {message}"
    )
    assert isinstance(caught.value, BackendError) and isinstance(caught.value, ParseError)


# --------------------------------------------------------------------------------------------------
# The same reports through the CLI runner (a fake executable printing them)
# --------------------------------------------------------------------------------------------------


def printing_cli(tmp_path: Path, fixture: str) -> Path:
    """An executable that prints ``fixture`` as upstream printed it, and exits 0 as upstream does."""
    script = tmp_path / "llm-optimizer"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""\
            import pathlib, sys
            sys.stdout.buffer.write(pathlib.Path({str(FIXTURES / fixture)!r}).read_bytes())
            """
        ),
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


@posix_only
def test_runner_reads_a_real_report_as_the_parser_does(tmp_path: Path) -> None:
    script = printing_cli(tmp_path, LLAMA_8B)
    estimate = run_llm_optimizer_cli("meta-llama/Llama-3.1-8B", "H100", 1, 1024, 256, executable=str(script))
    assert estimate == parse_llm_optimizer_output(fixture_text(LLAMA_8B))


@posix_only
def test_runner_raises_upstreams_error(tmp_path: Path) -> None:
    script = printing_cli(tmp_path, FP8_ON_A100)
    with pytest.raises(UpstreamReportedError) as caught:
        run_llm_optimizer_cli(
            "meta-llama/Llama-3.1-8B", "A100", 1, 1024, 256, precision="fp8", executable=str(script)
        )
    assert caught.value.upstream_message == "FP8 precision not supported on A100"
    assert str(caught.value) == (
        "llm-optimizer estimate reported an error: FP8 precision not supported on A100 "
        "(model 'meta-llama/Llama-3.1-8B')"
    )


@posix_only
def test_runner_reads_unsatisfiable_constraints_as_an_answer(tmp_path: Path) -> None:
    """Through the CLI, unmet constraints are an 'Error:' line; the runner makes them an answer."""
    script = printing_cli(tmp_path, UNSATISFIABLE)
    estimate = run_llm_optimizer_cli(
        "meta-llama/Llama-3.1-8B", "H100", 1, 1024, 256, constraints="ttft<1ms", executable=str(script)
    )
    assert estimate.constraints_satisfied is False
    assert (estimate.precision, estimate.constraints) == ("bf16", "ttft<1ms")
    assert estimate.ttft_ms is None and estimate.fits_in_memory is None


def test_the_real_unsatisfiable_report_is_an_answer() -> None:
    """Upstream's CLI prints 'Error: Cannot satisfy ...' for constraints no concurrency meets; pasted
    into the parser it reads as it does from run_llm_optimizer_cli: constraints not satisfied."""
    estimate = parse_llm_optimizer_output(fixture_text(UNSATISFIABLE), source=UNSATISFIABLE)
    assert estimate.constraints_satisfied is False
