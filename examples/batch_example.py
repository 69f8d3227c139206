"""Estimate one model on several GPU configurations at once, including entries that cannot work.

Run from the repository root:

    PYTHONPATH=src python examples/batch_example.py

``estimate_performance_batch`` takes ``(gpu, num_gpus)`` or ``(gpu, num_gpus, tp)`` entries and returns
one record per entry, in input order. It never raises for one bad entry: an unknown GPU, a
tensor-parallel degree the model's heads cannot be split by, a layout that does not fit in memory,
or a malformed entry each come back as a record whose ``error`` says what went wrong, and the other
entries are still computed.
"""

from __future__ import annotations

from config_explorer.recommender import estimate_performance_batch
from config_explorer.reports import fmt, render_table

MODEL = "meta-llama/Llama-3.3-70B-Instruct"

CONFIGS = [
    ("H200", 1),  # does not fit at bf16: the record says what would (more TP, or fp8 weights)
    ("H200", 2, 2),  # tensor parallel over 2 GPUs
    ("H100", 4),  # the smallest TP that fits is chosen; spare GPUs become replicas
    ("H100", 8, 8),
    ("L40", 1),  # does not fit either
    ("L40", 4, 4),
    ("H100", 3, 3),  # invalid layout: 64 attention heads cannot be split 3 ways
    ("H300", 1),  # unknown GPU: the error lists the closest names in the catalog
    ("H100",),  # malformed entry: neither (gpu, num_gpus) nor (gpu, num_gpus, tp)
]


def main() -> None:
    records = estimate_performance_batch(
        MODEL,
        CONFIGS,
        input_length=2048,
        output_length=512,
        batch_size=16,  # requests in flight (the earlier tools' name for concurrency)
        backend="native",
    )
    print(f"{MODEL}: 2048 in / 512 out tokens, 16 requests in flight, backend native\n")
    rows = []
    for entry, record in zip(CONFIGS, records, strict=True):
        rows.append(
            [
                repr(entry),
                "yes" if record.ok else "no",
                fmt(record.tp if record.ok else None),
                fmt(record.ttft_ms),
                fmt(record.itl_ms, 2),
                fmt(record.output_throughput_tok_s, 0),
                fmt(record.memory_weights_gib),
                fmt(record.max_concurrency_kv),
            ]
        )
    headers = ["entry", "ok", "TP", "TTFT ms", "ITL ms", "out tok/s", "weights GiB/GPU", "KV max"]
    print(render_table(headers, rows))

    print("\nWhy the others have no numbers:")
    for entry, record in zip(CONFIGS, records, strict=True):
        if not record.ok:
            print(f"  {entry!r}: {record.error}")

    # The aliases kept for code written against the earlier tools read the same values.
    first = records[0]
    assert first.time_to_first_token_ms == first.ttft_ms
    assert first.throughput_tokens_per_sec == first.output_throughput_tok_s


if __name__ == "__main__":
    main()
