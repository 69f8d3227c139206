"""Time causal prefill attention on the GPU at hand, by backend, length, chunking and head shape.

Run on a CUDA machine with PyTorch (and Triton, for ``do_bench``); it needs nothing from this package. Writes
``$OUT/prefill_attention_<gpu>.csv`` (one row per case, also on failure) and ``$OUT/prefill_attention_<gpu>.json``
(versions, clocks, the measured dense bf16 GEMM rate), and stops adding cases at ``--budget-s`` seconds.

What it times (bf16, one forward of ``torch.nn.functional.scaled_dot_product_attention``):

* backends: ``cudnn`` (cuDNN's fused attention, the Hopper-class kernel PyTorch ships) and ``flash``
  (PyTorch's FlashAttention-2). The serving engines run FlashAttention-3 (vLLM, SGLang) or their own FMHA
  (TensorRT-LLM) on Hopper, which neither is; the two bracket them.
* shapes per GPU shard: the query / key-value heads and head sizes of Llama-3.1-8B, Llama-3.1-70B and
  Qwen3-14B at several tensor-parallel sizes, gpt-oss (head size 64) and DeepSeek-V3's MLA prefill
  (192-wide query-key heads, 128-wide values, as many key-value heads as query heads).
* cases: one prompt (``batch`` 1, ``q_len == kv_len``, causal); several prompts of one length in one call
  (the packed prefill of a step with many short prompts); and a chunk of ``q_len`` new tokens against
  ``kv_len`` tokens of context (the chunked prefill of a long prompt: causal, aligned at the lower right);
  and, with ``--only context``, that chunk's context part alone: ``q_len`` queries against ``kv_len`` earlier
  keys, no mask (a backend that takes the lower-right mask as a dense bias, as cuDNN does here, is timed on a
  chunk as this plus its square causal part).

``pairs`` counts the query-key pairs the causal mask keeps, per head and sequence; ``flops`` is
``2 * pairs * (d_qk + d_v) * q_heads * batch``, the multiply-adds of both matrix products on those pairs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

FIELDS = [
    "backend",
    "case",
    "batch",
    "q_heads",
    "kv_heads",
    "d_qk",
    "d_v",
    "q_len",
    "kv_len",
    "pairs",
    "time_us",
    "flops",
    "tflops",
    "note",
]

#: (label, query heads, key-value heads, query-key head size, value head size), per GPU shard
SHAPES = [
    ("Llama-3.1-8B tp1", 32, 8, 128, 128),
    ("Llama-3.1-8B tp8 / Llama-3.1-70B tp16", 4, 1, 128, 128),
    ("Llama-3.1-70B tp1", 64, 8, 128, 128),
    ("Llama-3.1-70B tp8", 8, 1, 128, 128),
    ("Qwen3-14B tp1", 40, 8, 128, 128),
    ("gpt-oss tp1", 64, 8, 64, 64),
    ("DeepSeek-V3 MLA prefill tp8", 16, 16, 192, 128),
    ("DeepSeek-V3 MLA prefill tp1", 128, 128, 192, 128),
]
SQUARE = [512, 1024, 2048, 4096, 8192, 16384, 32768]
PACKED_TOKENS = 16384
PACKED = [512, 1024, 2048, 4096]
CHUNKS = [(2048, 8192), (2048, 16384), (2048, 32768), (8192, 16384), (8192, 32768)]


#: (new tokens, earlier keys) of the context part of each chunk in CHUNKS
CONTEXTS = [(q, kv - q) for q, kv in CHUNKS]


def causal_pairs(q_len: int, kv_len: int, *, causal: bool = True) -> int:
    """Query-key pairs a causal mask aligned at the lower right keeps (the new tokens see all the context);
    every pair without the mask."""
    if not causal:
        return q_len * kv_len
    return q_len * (kv_len - q_len) + q_len * (q_len + 1) // 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=300.0, help="stop adding cases after this long")
    parser.add_argument("--dry-run", action="store_true", help="tiny shapes on the CPU's math kernel")
    parser.add_argument("--only", choices=["all", "context"], default="all", help="which cases to time")
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.bias import causal_lower_right

    dry = args.dry_run
    dev = torch.device("cpu" if dry else "cuda")
    dtype = torch.float32 if dry else torch.bfloat16
    out_dir = Path(os.environ.get("OUT", "/tmp/out"))
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "cpu" if dry else torch.cuda.get_device_name(0)
    tag = name.lower().replace("nvidia", "").strip().replace(" ", "_")
    if args.only != "all":
        tag += f"_{args.only}"
    csv_path = out_dir / f"prefill_attention_{tag}.csv"
    started = time.monotonic()

    if dry:
        backends = {"math": SDPBackend.MATH}
        square, packed_tokens, packed, chunks = [16, 32], 64, [16, 32], [(8, 32), (16, 64)]
        contexts = [(8, 24)]

        def bench(fn: Callable[[], object]) -> float:
            fn()
            t0 = time.perf_counter()
            fn()
            return (time.perf_counter() - t0) * 1e3

    else:
        from triton.testing import do_bench

        backends = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION}
        square, packed_tokens, packed, chunks = SQUARE, PACKED_TOKENS, PACKED, CHUNKS
        contexts = CONTEXTS

        def bench(fn: Callable[[], object]) -> float:
            return float(do_bench(fn, warmup=10, rep=40, return_mode="median"))

    rows: list[dict[str, object]] = []
    handle = csv_path.open("w", newline="")
    writer = csv.DictWriter(handle, fieldnames=FIELDS)
    writer.writeheader()

    def record(**row: object) -> None:
        full = {k: row.get(k, "") for k in FIELDS}
        rows.append(full)
        writer.writerow(full)
        handle.flush()

    def case(
        backend: str, kind: str, shape: tuple[str, int, int, int, int], b: int, lq: int, lk: int
    ) -> None:
        label, hq, hkv, dqk, dv = shape
        causal = kind != "context of a chunk"
        pairs = causal_pairs(lq, lk, causal=causal)
        flops = 2 * pairs * (dqk + dv) * hq * b
        base: dict[str, object] = {
            "backend": backend,
            "case": kind,
            "batch": b,
            "q_heads": hq,
            "kv_heads": hkv,
            "d_qk": dqk,
            "d_v": dv,
            "q_len": lq,
            "kv_len": lk,
            "pairs": pairs,
            "flops": flops,
        }
        notes = [label]
        try:
            q = torch.randn(b, hq, lq, dqk, device=dev, dtype=dtype)
            k = torch.randn(b, hkv, lk, dqk, device=dev, dtype=dtype)
            v = torch.randn(b, hkv, lk, dv, device=dev, dtype=dtype)
            mask = None if lq == lk or not causal else causal_lower_right(lq, lk)

            def run(q=q, k=k, v=v, gqa: bool = hq != hkv) -> object:
                if mask is None:
                    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)
                return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=gqa)

            with sdpa_kernel([backends[backend]]):
                attempts: list[tuple[str, Callable[[], object]]] = [("", run)]
                if hq != hkv:  # a backend without grouped-query support: the key-value heads repeated
                    ke = k.repeat_interleave(hq // hkv, dim=1)
                    ve = v.repeat_interleave(hq // hkv, dim=1)
                    attempts.append(("kv heads repeated", lambda: run(q, ke, ve, False)))
                if dqk != dv:  # a backend that needs one head size: the values padded (timed, not counted)
                    vp = torch.randn(b, hkv, lk, dqk, device=dev, dtype=dtype)
                    attempts.append((f"values padded to {dqk}", lambda: run(q, k, vp)))
                errors = []
                for note, fn in attempts:
                    try:
                        ms = bench(fn)
                    except Exception as e:
                        errors.append(f"{type(e).__name__}")
                        continue
                    notes.append(note) if note else None
                    us = ms * 1e3
                    record(
                        **base, time_us=round(us, 3), tflops=round(flops / us / 1e6, 2), note="; ".join(notes)
                    )
                    return
                record(**base, note="; ".join([*notes, "failed: " + ", ".join(errors)]))
        except Exception as e:
            record(**base, note="; ".join([*notes, f"failed: {type(e).__name__}"]))
        finally:
            if not dry:
                torch.cuda.empty_cache()

    meta: dict[str, object] = {
        "gpu": name,
        "torch": torch.__version__,
        "started": time.strftime("%Y-%m-%d %H:%M"),
    }
    if not dry:
        meta["cuda"] = torch.version.cuda
        meta["cudnn"] = torch.backends.cudnn.version()
        props = torch.cuda.get_device_properties(0)
        meta["sm_count"] = props.multi_processor_count
        a = torch.randn(8192, 8192, device=dev, dtype=dtype)
        ms = float(do_bench(lambda: a @ a, warmup=10, rep=100, return_mode="median"))
        meta["bf16_gemm_8192_tflops"] = round(2 * 8192**3 / ms / 1e9, 1)
        del a

    plan: list[tuple[str, str, tuple[str, int, int, int, int], int, int, int]] = []
    for shape in SHAPES if not dry else SHAPES[:2] + SHAPES[-2:-1]:
        for backend in backends:
            if args.only == "context":
                plan += [(backend, "context of a chunk", shape, 1, q, kv) for q, kv in contexts]
                continue
            plan += [(backend, "one prompt", shape, 1, n, n) for n in square]
            plan += [(backend, "packed prompts", shape, packed_tokens // n, n, n) for n in packed]
            plan += [(backend, "chunk of a long prompt", shape, 1, q, kv) for q, kv in chunks]
    skipped = 0
    for item in plan:
        if time.monotonic() - started > args.budget_s:
            skipped += 1
            continue
        case(*item)
    handle.close()
    if not dry:
        with suppress(OSError, subprocess.SubprocessError):
            meta["clocks"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=clocks.sm,clocks.mem,power.draw,temperature.gpu", "--format=csv"],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout.strip()
    meta.update(rows=len(rows), skipped_for_time=skipped, seconds=round(time.monotonic() - started, 1))
    with (out_dir / f"prefill_attention_{tag}.json").open("w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))
    for r in rows:
        print(
            r["backend"],
            r["case"],
            r["batch"],
            r["q_heads"],
            r["kv_heads"],
            r["d_qk"],
            r["q_len"],
            r["kv_len"],
            r["time_us"],
            r["tflops"],
            r["note"],
        )


if __name__ == "__main__":
    main()
