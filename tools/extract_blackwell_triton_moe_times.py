"""Append SGLang's Triton fused-MoE layer times and vLLM's FlashInfer TensorRT-LLM MoE layer times on a B200 to
benchmarks/data/moe_kernel_times.csv.

NVIDIA aiconfigurator's kernel database holds SGLang 0.5.9's and 0.5.10's and vLLM 0.24.0's MoE tables for the B200
(``systems/data/b200_sxm/moe/<engine>/<release>/moe_perf.parquet``) in its repository, not in the
``aiconfigurator-core`` 0.12.0 wheel the other extract tools read. This script keeps, of SGLang's, the
``sglang_fused_moe_triton`` rows (the Triton fused-MoE kernel SGLang runs 16-bit and FP8 experts on when no
other runner is picked: the collector times ``select_experts`` top-k and ``fused_moe``, both grouped GEMMs with
the activation and the weighted combine, on one GPU), and of vLLM's, the rows of the FlashInfer TensorRT-LLM
expert kernels its MoE methods pick there (``*_flashinfer_trtllm_*``: the collector times the layer's
``FusedMoE`` forward from router logits, routing included), for the expert shapes ``benchmarks/moe_layers.py``
knows, ``power_law_1.01`` routing (as the file's SGLang 0.5.14 B200 rows), every split of at most eight GPUs and
the batches in ``TOKENS``. Rows of the same tables already in the file are replaced, every other row is kept as it
is.

Usage, from a checkout of the repository at the commit the rows name (a bare mirror works through
``git archive``)::

    git -C <aiconfigurator> archive 095f58a51c4ca8e61b66ec108d86f223f8d559ce \\
        aic-core/src/aiconfigurator_core/systems/data/b200_sxm/moe | tar -x -C /tmp/aic
    /tmp/aicv/bin/python tools/extract_blackwell_triton_moe_times.py \\
        /tmp/aic/aic-core/src/aiconfigurator_core 095f58a51c4ca8e61b66ec108d86f223f8d559ce

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "moe_kernel_times.csv"
#: (engine folder, release, the framework as the file names it, which kernels to keep, which formats, what a row covers)
TABLES = (
    *(
        (
            "sglang",
            release,
            f"SGLang {release}",
            lambda kernel: kernel == "sglang_fused_moe_triton",
            ("bfloat16", "fp8_block"),
            f"SGLang {release} select_experts top-k and the Triton fused_moe (both grouped GEMMs with the activation, "
            "weighted combine) on 1 GPU, timed as five back-to-back calls on the same weights (no cache flush), "
            "averaged",
        )
        for release in ("0.5.9", "0.5.10")
    ),
    (
        "vllm",
        "0.24.0",
        "vLLM 0.24.0",
        lambda kernel: "_flashinfer_trtllm_" in kernel,
        ("bfloat16", "fp8_block", "fp8", "nvfp4"),
        "vLLM 0.24.0 FusedMoE layer forward from given router logits (routing and the MoE method's FlashInfer "
        "TensorRT-LLM experts) on 1 GPU, five router-logit draws averaged",
    ),
)
DISTRIBUTION = "power_law_1.01"
TOKENS = (1, 2, 4, 8, 16, 64, 256, 1024, 4096)
MAX_GPUS = 8
#: (hidden, expert intermediate, experts, top-k) -> the model with that expert shape (as benchmarks/expert_shapes.py)
SHAPES = {
    (7168, 2048, 256, 8): "DeepSeek-V3",
    (2048, 768, 128, 8): "Qwen3-30B-A3B",
    (4096, 14336, 8, 2): "Mixtral-8x7B",
    (4096, 1536, 128, 8): "Qwen3-235B-A22B",
    (2880, 2880, 128, 4): "gpt-oss-120b",
    (5120, 8192, 16, 1): "Llama-4-Scout",
}


def _source(engine: str, release: str, commit: str) -> str:
    return (
        f"github:ai-dynamo/aiconfigurator aic-core/src/aiconfigurator_core/systems/data/b200_sxm/moe/{engine}/"
        f"{release}/moe_perf.parquet @{commit}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the aiconfigurator_core folder of the checkout")
    parser.add_argument("commit", help="the commit the checkout is at (named in each row's source)")
    args = parser.parse_args()
    import pandas as pd  # only here: the project does not depend on it

    sources = {_source(engine, release, args.commit) for engine, release, *_ in TABLES}
    with OUT.open(newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or ())
        kept = [row for row in reader if row["source"] not in sources]
    added = []
    for engine, release, framework, keeps, dtypes, covers in TABLES:
        path = args.package / "systems" / "data" / "b200_sxm" / "moe" / engine / release / "moe_perf.parquet"
        if not path.is_file():
            parser.error(
                f"{path} is not there: is {args.package} an aiconfigurator_core folder of the checkout?"
            )
        table = pd.read_parquet(path)
        keep = table[
            table.kernel_source.map(keeps)
            & table.moe_dtype.isin(dtypes)
            & (table.distribution == DISTRIBUTION)
            & table.num_tokens.isin(TOKENS)
            & (table.moe_tp_size * table.moe_ep_size <= MAX_GPUS)
        ]
        order = [
            "kernel_source",
            "moe_dtype",
            "hidden_size",
            "inter_size",
            "moe_tp_size",
            "moe_ep_size",
            "num_tokens",
        ]
        for r in keep.sort_values(order).itertuples():
            shape = (int(r.hidden_size), int(r.inter_size), int(r.num_experts), int(r.topk))
            if shape not in SHAPES:
                continue
            tp, ep = int(r.moe_tp_size), int(r.moe_ep_size)
            latency_ms = float(r.latency)
            added.append(
                {
                    "source": _source(engine, release, args.commit),
                    "gpu": "B200-SXM",
                    "framework": framework,
                    "kernel": f"{r.kernel_source} (full MoE expert layer, one GPU shard)",
                    "dtype": r.moe_dtype,
                    "num_tokens": int(r.num_tokens),
                    "hidden_size": shape[0],
                    "moe_intermediate_size": shape[1],
                    "num_experts": shape[2],
                    "topk": shape[3],
                    "tp": tp,
                    "ep": ep,
                    "time_us": round(latency_ms * 1e3, 3),
                    "notes": (
                        f"{SHAPES[shape]}; routing dist={DISTRIBUTION}; per-GPU shard: inter/tp={shape[1] // tp}, "
                        f"local experts={shape[2] // ep}; covers: {covers}; NO TP all-reduce / EP dispatch-combine; "
                        f"printed latency={latency_ms:g} ms (x1000 -> us)"
                    ),
                }
            )
    with OUT.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(kept)
        writer.writerows(added)
    print(f"kept {len(kept)} rows, added {len(added)} to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
