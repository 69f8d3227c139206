"""Time the llm-optimizer report parser on hostile input: single long lines and a 50 MB file.

Run: ``python benchmarks/parser_speed.py``. Prints one timing per case (best of three for the lines).
Before the parser went linear, one 20,000-character line of letters took 11-23 s (the label/value
pattern backtracked quadratically); every line case below should now take milliseconds, and the 50 MB
file (read through the same capped reader as ``config-explorer parse``) a few seconds.
The 50 MB file is generated in a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from config_explorer._files import REPORT_LIMIT_BYTES, read_text
from config_explorer.backends.llm_optimizer_text import parse_llm_optimizer_output
from config_explorer.errors import ParseError

FIXTURE = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "fixtures"
    / "llm_optimizer"
    / "qwen3_4b_4xl40_bf16.txt"
)


def line_shapes(length: int) -> dict[str, str]:
    """Single lines of ``length`` characters shaped after the patterns that used to backtrack."""
    return {
        "letters, no separator": "a" * length,
        "words, no separator": ("a " * length)[:length],
        "letters then ':'": "x" * (length - 1) + ":",
        "'Input/Output:' + digits": "Input/Output: " + "1" * (length - 14),
        "'Model:' + parameters + digits": "Model: 8.0B parameters " + "1" * (length - 23),
        "'GPU:' + name + spaces": "GPU: " + "H100 x" * (length // 6),
        "label + '(' runs": "TTFT " + "(" * (length - 8) + ": 1",
        "dots": "a" + "." * (length - 1),
        "emoji": "🚀" * length,
    }


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(ParseError):
            fn()
        times.append(time.perf_counter() - start)
    return min(times)


def write_report_file(path: Path, size_bytes: int, filler: str) -> Path:
    """The real report once, then ``filler`` repeated up to about ``size_bytes``."""
    report = FIXTURE.read_text(encoding="utf-8")
    block = filler * max(1, 65536 // len(filler))
    block_bytes = len(block.encode("utf-8"))
    with path.open("w", encoding="utf-8") as out:
        out.write(report)
        written = len(report.encode("utf-8"))
        while written + block_bytes <= size_bytes:
            out.write(block)
            written += block_bytes
    return path


FILLERS = {
    "a log": (
        "INFO 2025-10-01 12:00:00 worker 3: step 1234 took 16.8 ms, 512 tokens, kv 0.42\n"
        "🚀 progress ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 100% 0:00:01\n"
        + ("DEBUG: " + "0123456789abcdef" * 64 + "\n")
        + ("a" * 4000 + "\n")
    ),
    "2-byte lines ('a')": "a\n",
    "lines of a known label ('TTFT: 1 ms')": "TTFT: 1 ms\n",
}


def main() -> None:
    for length in (20_000, 30_000):
        print(f"one line of {length:,} characters (best of 3):")
        for name, line in line_shapes(length).items():
            print(f"  {name:34s} {best_of(lambda line=line: parse_llm_optimizer_output(line)) * 1e3:8.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        for name, filler in FILLERS.items():
            path = write_report_file(Path(folder) / "report.log", 50 * 1024**2, filler)
            size = path.stat().st_size
            start = time.perf_counter()
            text = read_text(path, what="llm-optimizer report", limit_bytes=REPORT_LIMIT_BYTES)
            read_s = time.perf_counter() - start
            start = time.perf_counter()
            estimate = parse_llm_optimizer_output(text, source=str(path))
            parse_s = time.perf_counter() - start
            print(
                f"{size / 1024**2:.1f} MiB file, {text.count(chr(10)):>10,} lines of {name}: read {read_s:.2f} s, "
                f"parse {parse_s:.2f} s (found {estimate.model}, TTFT {estimate.ttft_ms} ms)"
            )
            del text
            path.unlink()


if __name__ == "__main__":
    main()
