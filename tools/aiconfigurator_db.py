"""What the extract tools share: the installed aiconfigurator_core package they read, its tables, and the CSV
they write.

The ``tools/extract_*.py`` scripts each pull one table of NVIDIA aiconfigurator's kernel database (shipped in
the ``aiconfigurator-core`` wheel) into ``benchmarks/data``; nothing in the test suite runs them.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: the wheel the tables come from, named in each extracted row's ``source``
WHEEL = "aiconfigurator-core==0.12.0"
#: each framework directory of the database, as its rows' ``framework`` column names it
LABELS = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}
#: (query heads, key-value heads) per GPU the attention extracts keep: Llama-3.1-70B / Qwen3-32B at TP1-8
#: (64/8 ... 8/1), Llama-3.1-8B at TP1-8 (32/8 ... 4/1), Qwen3-14B at TP1-2 (40/8, 20/4), 48/8
TP_SHARD_HEADS = frozenset(
    {(64, 8), (32, 4), (16, 2), (8, 1), (32, 8), (16, 4), (8, 2), (4, 1), (40, 8), (20, 4), (48, 8)}
)


def package_folder(description: str) -> Path:
    """The installed ``aiconfigurator_core`` package folder named on the command line; a folder that is not
    one is a usage error naming it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("package", type=Path, help="the installed aiconfigurator_core package folder")
    args = parser.parse_args()
    package: Path = args.package
    if not (package / "systems" / "data").is_dir():
        parser.error(
            f"{package} is not an installed aiconfigurator_core package (no systems/data folder in it)"
        )
    return package


def read_table(package: Path, relative: str) -> tuple[Any, str]:
    """The parquet table at ``relative`` (``systems/data/...``) in ``package``, as a pandas DataFrame, and the
    ``source`` its rows carry (the wheel and the table's path under ``systems/data``)."""
    import pandas as pd  # only here: the project does not depend on it

    return pd.read_parquet(package / relative), f"{WHEEL}:{relative.removeprefix('systems/data/')}"


def read_moe_table(package: Path, gpu_dir: str, framework: str, version: str) -> tuple[Any, str]:
    """The MoE layer table (``moe_perf.parquet``) of one GPU folder, framework folder and release, and its source."""
    return read_table(package, f"systems/data/{gpu_dir}/moe/{framework}/{version}/moe_perf.parquet")


def moe_layer_fields(r: Any) -> dict[str, object]:
    """The columns every MoE-layer extract keeps from a ``moe_perf`` table row (its ``latency`` in ms, written in us)."""
    return {
        "kernel_source": r.kernel_source,
        "dtype": r.moe_dtype,
        "num_tokens": int(r.num_tokens),
        "hidden_size": int(r.hidden_size),
        "moe_intermediate_size": int(r.inter_size),
        "num_experts": int(r.num_experts),
        "topk": int(r.topk),
        "tp": int(r.moe_tp_size),
        "time_us": round(float(r.latency) * 1e3, 3),
    }


#: the columns of a MoE-layer extract whose experts are split by tensor parallelism only
TP_MOE_COLUMNS = (
    "source",
    "gpu",
    "framework",
    "kernel_source",
    "dtype",
    "num_tokens",
    "hidden_size",
    "moe_intermediate_size",
    "num_experts",
    "topk",
    "tp",
    "time_us",
)


#: the columns of a MoE-layer extract that keeps the routing and expert-parallel splits too
SPLIT_MOE_COLUMNS = (*TP_MOE_COLUMNS[:5], "distribution", *TP_MOE_COLUMNS[5:11], "ep", "time_us")


def split_moe_fields(r: Any) -> dict[str, object]:
    """:func:`moe_layer_fields` with the row's routing and expert-parallel ranks."""
    return {"distribution": r.distribution, "ep": int(r.moe_ep_size), **moe_layer_fields(r)}


def split_moe_rows(
    keep: Any, order: Sequence[str], *, source: str, gpu: str, framework: str
) -> list[dict[str, object]]:
    """The rows of ``keep`` (a filtered MoE table) sorted by ``order``, under :data:`SPLIT_MOE_COLUMNS`, each labelled
    with its table's ``source``, ``gpu`` and ``framework``."""
    return [
        {"source": source, "gpu": gpu, "framework": framework, **split_moe_fields(r)}
        for r in keep.sort_values(list(order)).itertuples()
    ]


#: the order a split MoE extract sorts one table's kept rows in: expert shape, split, batch
SPLIT_ORDER = ("hidden_size", "inter_size", "num_experts", "topk", "moe_tp_size", "moe_ep_size", "num_tokens")


def balanced_split_layers(
    table: Any,
    *,
    kernel: str,
    dtype: str,
    tokens: Iterable[int],
    shapes: frozenset[tuple[int, int, int, int]],
    max_gpus: int,
) -> Any:
    """The rows of a MoE table on one ``kernel`` with ``dtype`` experts, balanced routing, at ``tokens``, of the
    expert ``shapes`` (hidden, intermediate, experts, top-k), split over at most ``max_gpus`` GPUs."""
    shape = table[["hidden_size", "inter_size", "num_experts", "topk"]].apply(tuple, axis=1)
    return table[
        (table.kernel_source == kernel)
        & (table.moe_dtype == dtype)
        & (table.distribution == "balanced")
        & table.num_tokens.isin(list(tokens))
        & (table.moe_tp_size * table.moe_ep_size <= max_gpus)
        & shape.isin(shapes)
    ]


def tensor_parallel_moe_rows(
    package: Path, tables: Mapping[tuple[str, str, str], tuple[str, str, Sequence[str]]], max_tp: int = 1024
) -> list[dict[str, object]]:
    """The balanced-routing, expert-parallelism-off rows of the kernels each ``(GPU folder, framework folder,
    release) -> (GPU label, framework label, kernel sources)`` table names, split at most ``max_tp`` ways, under
    :data:`TP_MOE_COLUMNS`, in kernel, shape, split and batch order."""
    rows: list[dict[str, object]] = []
    for (gpu_dir, framework, version), (gpu, label, kernels) in tables.items():
        table, source = read_moe_table(package, gpu_dir, framework, version)
        keep = table[
            table.kernel_source.isin(kernels)
            & (table.distribution == "balanced")
            & (table.moe_ep_size == 1)
            & (table.moe_tp_size <= max_tp)
        ]
        order = [
            "kernel_source",
            "hidden_size",
            "inter_size",
            "num_experts",
            "topk",
            "moe_tp_size",
            "num_tokens",
        ]
        for r in keep.sort_values(order).itertuples():
            rows.append({"source": source, "gpu": gpu, "framework": label, **moe_layer_fields(r)})
    return rows


def median_comm_rows(
    keep: Any, fields: Mapping[str, object], key: str | None = None
) -> list[dict[str, object]]:
    """One row per (``key`` column, GPU count, message size) of a communication table's kept rows, its latency the
    median over repeats (in us): ``fields`` first, then ``key``'s value under its own name, ``num_gpus``,
    ``message_elements`` and ``time_us``."""
    keys = ([key] if key else []) + ["num_gpus", "message_size"]
    rows: list[dict[str, object]] = []
    for index, latency_ms in keep.groupby(keys).latency.median().items():
        *named, gpus, elements = index
        row: dict[str, object] = dict(fields)
        if key:
            row[key] = named[0]
        row.update(
            {
                "num_gpus": int(gpus),
                "message_elements": int(elements),
                "time_us": round(float(latency_ms) * 1e3, 3),
            }
        )
        rows.append(row)
    return rows


def write_rows(out: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> int:
    """Write ``rows`` to ``out`` under ``columns``, say how many on stderr, and return the exit status 0."""
    rows = list(rows)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}", file=sys.stderr)
    return 0
