"""Compare the native engine with every measured point we have and print error figures.

Run: ``python benchmarks/accuracy.py [--data DIR] [--serving-model simulated|analytic] [--json]
[--fit-request-overhead] [--worst N]``.

Every row is estimated the way it was measured, with the profile of the engine that measured it:

* ``../shared/data/trtllm_max_throughput.csv``: offline maximum throughput (every request queued at
  once; TensorRT-LLM, ``trtllm-bench`` sizing its batch and token budget from the lengths);
* ``../shared/data/trtllm_static_batch.csv``: static batches of N requests (an offline run of N) and
  batch-1 TTFT with one output token. That data has no ITL column; for decode-dominated rows
  (output >= 8 x prompt) ITL is read as batch / total output rate, for the measurement and the
  estimate alike ("itl (proxy)"). Its throughput rows are read per GPU, as every table of the page it
  transcribes is headed (:data:`STATIC_BATCH_PER_GPU_SOURCE`), whatever their label;
* ``benchmarks/data/trtllm_max_throughput_rtx_pro_6000.csv``: the release-1.0 Performance Overview's RTX PRO 6000
  Blackwell Server Edition cells in the first file's columns, pipeline-parallel layouts replayed as such (read with
  or without ``../shared/data``);
* ``benchmarks/data/published_serving_points.csv``, ``published_serving_points_more.csv``,
  ``published_serving_points_inferencex.csv``, ``published_serving_points_inferencex_new_gpus.csv``,
  ``published_serving_points_inferencex_dpa.csv``, ``published_serving_points_inferencex_gptoss.csv``,
  ``published_serving_points_nim.csv``, ``published_serving_points_dense_2026.csv``,
  ``published_serving_points_vllm_recipes.csv``, ``published_serving_points_rocm_blogs.csv``,
  ``published_serving_points_vllm_blog.csv``, ``published_serving_points_dsa.csv`` (DeepSeek sparse attention:
  DeepSeek-V3.2, GLM-5), ``published_serving_points_2026_models.csv`` (Qwen3.5, MiniMax-M2.5 / M2.7),
  ``published_serving_points_dsv4.csv`` (DeepSeek-V4's compressed attention),
  ``published_serving_points_gpustack_trtllm.csv`` (GPUStack's trtllm-serve runs and their pages' vLLM / SGLang
  ShareGPT runs) and ``published_serving_points_vllm_lab.csv`` (one lab's raw ``vllm bench serve`` result files:
  Qwen3-14B, bf16 and AWQ, vLLM 0.29 on an L40S) and ``published_serving_points_h20.csv`` (the first runs on the
  export-limited H20: gpt-oss-20b on vLLM, DeepSeek-V3 and Qwen3-235B-A22B on SGLang) and
  ``published_serving_points_cloudrift.csv`` (one lab's raw ``vllm bench serve`` files on the RTX PRO 6000
  Blackwell Server and Workstation Editions, with the same harness's H100, H200, B200 and L40S runs) (vLLM, SGLang,
  TensorRT-LLM; sources in the README and the notes beside them):
  closed loops at a fixed concurrency (``--max-concurrency``, with the run's number of prompts),
  all-at-once runs (offline, the run's number of prompts) and N-at-once runs (offline N). Lengths that
  varied per request are drawn as the benchmark client drew them: SGLang's ``random`` dataset uniform
  over [1, L] (its default range ratio 0); a stated range ratio R as the named client draws it
  (``vllm bench serve``: [L(1-R), L(1+R)]; ``sglang.bench_serving`` and ``benchmark_serving.py``:
  [L R, L]); ShareGPT as its length distribution is shaped (outputs
  Weibull, prompts log-normal, fitted on the vLLM paper's length file: data/sharegpt_lengths_evidence.md),
  scaled to the row's printed means and replayed once per request, so the run's totals are the printed ones.
  The scheduler and memory flags the row's launch command sets (``--max-num-seqs``,
  ``--max-num-batched-tokens``, ``--gpu-memory-utilization``, ``--max-model-len`` and SGLang's
  ``--max-running-requests``, ``--chunked-prefill-size``, ``--mem-fraction-static``,
  ``--context-length``, TensorRT-LLM's ``--max_num_tokens``, ``--max_seq_len``, the expert-parallel size
  (``--ep-size``, ``--ep_size``, SGLang's ``--ep`` and ``--expert-parallel-size``), the pipeline stages
  (``--pipeline-parallel-size``, ``-pp``, SGLang's ``--pp-size``), and the options that
  hold requests back: SGLang's ``--scheduler-recv-interval``, TensorRT-LLM's ``batch_wait_timeout_iters`` /
  ``batch_wait_max_tokens_ratio``, read from the notes' ``server:``/``launch:`` command) are replayed;
  others keep the engine's defaults.
  Data-parallel attention is read from SGLang's ``--enable-dp-attention`` with its ``--dp`` size (the server
  then splits ``--max-running-requests`` and ``--chunked-prefill-size`` over the attention groups) and from
  TensorRT-LLM's ``enable_attention_dp: true`` (one group a rank; its batch limits are a rank's already), and
  from vLLM's ``--data-parallel-size`` / ``-dp`` (each data-parallel rank its own attention group over its
  ``--tensor-parallel-size`` GPUs; ``--enable-expert-parallel`` spreads the experts over all of them).
  An SGLang launch with data-parallel attention that states no ``--mem-fraction-static`` is replayed at
  SGLang's own default, which keeps room for its padded graphs (``own_memory_fraction``; a plan budgets more
  and states it in its launch command).
  Rows whose run drafted tokens (multi-token prediction: ``MTP=yes`` in the notes) are kept in the files but
  not estimated: the acceptance rates those runs reached are not printed.
  Rows with experts split over ranks form their own group (``by layout:expert parallel``), and those that
  also run data-parallel attention another (``by layout:expert parallel + DP attention``).

Two scale groups come from ``benchmarks/scale.py`` (published expert-parallel / data-parallel-attention
deployments: each phase of a disaggregated deployment on its own pool, and whole aggregated runs), scored
apart from the rows above. Two feature groups come from ``benchmarks/features.py``: the error of
estimated vs published speedup ratios of speculative decoding (``published_feature_speedups.csv``) and of prefix caching
(``published_prefix_cache_points.csv``); nothing in the engine is fitted on them.

Each published data file's held-out rows are also scored on their own (``held out by published data file``):
the files collected for models first added to the catalog (DeepSeek sparse attention, Qwen3.5, MiniMax-M2.5)
score the engine on architectures no earlier row measured.

Latency rows are also grouped by the statistic their metric reports (``by statistic:mean``, ``median``,
``p99``), and the signed median error of each such group is printed under the table (negative: the engine
reads low), which says whether a miss is in the typical request or in the tail.

In-sample and held-out figures are printed apart. The only constant fitted on serving measurements
is vLLM's front-end time (calibration.REQUEST_OVERHEAD_MS), fitted on the rows this script names ``fit``
(``--fit-request-overhead`` prints the fit); every other row is held out. Everything
else in the engine comes from kernel measurements (``shared/data/kernels``, ``benchmarks/data/
moe_kernel_times.csv``) and datasheets, never from these rows.

With ``CONFIG_EXPLORER_BENCH_CACHE`` set to a folder (the docs renderer sets one per render), the scored
rows are kept there and later runs with the same data and serving model print from them.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import re
import statistics
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import attrs

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import parse_version, profile_for
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import estimate, estimate_static_batch, plan_deployment
from config_explorer.engine.traffic import Lengths, Traffic, sglang_bench_random_lengths
from config_explorer.errors import ConfigExplorerError, UnknownModelError
from config_explorer.precision import bytes_per_value

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
PUBLISHED = (
    HERE / "data" / "published_serving_points.csv",
    HERE / "data" / "published_serving_points_more.csv",
    HERE / "data" / "published_serving_points_inferencex.csv",
    HERE / "data" / "published_serving_points_inferencex_new_gpus.csv",
    HERE / "data" / "published_serving_points_inferencex_dpa.csv",
    HERE / "data" / "published_serving_points_nim.csv",
    HERE / "data" / "published_serving_points_dense_2026.csv",
    HERE / "data" / "published_serving_points_inferencex_gptoss.csv",
    HERE / "data" / "published_serving_points_vllm_recipes.csv",
    HERE / "data" / "published_serving_points_rocm_blogs.csv",
    HERE / "data" / "published_serving_points_vllm_blog.csv",
    HERE / "data" / "published_serving_points_dsa.csv",
    HERE / "data" / "published_serving_points_2026_models.csv",
    HERE / "data" / "published_serving_points_dsv4.csv",
    HERE / "data" / "published_serving_points_dsv4_hopper.csv",
    HERE / "data" / "published_serving_points_new_models.csv",
    HERE / "data" / "published_serving_points_gpustack_trtllm.csv",
    HERE / "data" / "published_serving_points_vllm_lab.csv",
    HERE / "data" / "published_serving_points_h20.csv",
    HERE / "data" / "published_serving_points_cloudrift.csv",
)

#: published metric -> how to read it off an estimate
READERS: dict[str, Callable[[PerformanceEstimate], float | None]] = {
    "output_tok_s_total": lambda e: e.output_throughput_tok_s,
    "total_tok_s_total": lambda e: (e.output_throughput_tok_s or 0) + (e.input_throughput_tok_s or 0) or None,
    "request_s": lambda e: e.requests_per_s,
    "ttft_ms_mean": lambda e: e.ttft_ms,
    "ttft_ms_median": lambda e: e.ttft_p50_ms,
    "ttft_ms_p99": lambda e: e.ttft_p99_ms,
    "tpot_ms_mean": lambda e: e.tpot_ms,
    "tpot_ms_median": lambda e: e.tpot_p50_ms,
    "tpot_ms_p99": lambda e: e.tpot_p99_ms,
    "itl_ms_mean": lambda e: e.itl_ms,
    "itl_ms_median": lambda e: e.itl_p50_ms,
    "itl_ms_p99": lambda e: e.itl_p99_ms,
    "e2e_s_mean": lambda e: e.e2e_latency_s,
}
#: metric -> the family it is summarised under
FAMILY = {
    "ttft_ms": "ttft",
    "ttft_ms_mean": "ttft",
    "ttft_ms_median": "ttft",
    "ttft_ms_p99": "ttft",
    "tpot_ms_mean": "itl",
    "tpot_ms_median": "itl",
    "tpot_ms_p99": "itl",
    "itl_ms_mean": "itl",
    "itl_ms_median": "itl",
    "itl_ms_p99": "itl",
    "itl_ms_proxy": "itl (proxy)",
    "e2e_s_mean": "e2e",
}
#: the rows vLLM's front-end time is fitted on: closed-loop TTFT at low load (at most 4 in flight), one row
#: per benchmark page, so no page's setup dominates: GPUStack's vLLM pages (Qwen3-8B on an H100 at 1,
#: gpt-oss-120b on an H100 and on an A100 at 4). SGLang's and TensorRT-LLM's front-end times are measured
#: elsewhere (calibration.REQUEST_OVERHEAD_MS), so their rows are all held out
FIT_ROWS = (
    ("vllm", "Qwen/Qwen3-8B", "1"),
    ("vllm", "openai/gpt-oss-120b", "4"),
)
#: the rows vLLM's eager MoE-layer host time (calibration.VLLM_EAGER_MOE_LAYER_US) is fitted on: closed-loop TTFT
#: at one request in flight of CloudRift's vLLM runs (GLM-4.6-FP8 at TP8, Qwen3-Coder-480B-AWQ at TP4, on H100,
#: H200 and RTX PRO 6000 GPUs), whose 1,000-token prompts each run as one step above vLLM's largest captured
#: graph. Every other row, CloudRift's runs at higher concurrency among them, is held out
EAGER_FIT_ROWS = (
    ("vllm", "zai-org/GLM-4.5-FP8", "1"),
    ("vllm", "Qwen/Qwen3-Coder-480B-A35B-Instruct", "1"),
)
EAGER_FIT_SOURCE = "cloudrift-ai/deplodock"


def _model(data_dir: Path, name: str) -> ModelArchitecture:
    """The row's model: a config path under the data folder, a bundled id, or its base model."""
    path = data_dir / name
    if path.exists():
        return load_model(str(path))
    try:
        return load_model(name)
    except UnknownModelError:
        return load_model(name.removesuffix("-Instruct"))


def trtllm_bench_settings(isl: int, osl: int, kv_limit: int) -> tuple[int, int]:
    """``trtllm-bench throughput``'s own batch size and token budget for these lengths.

    ``bench/build/tuning.py``: the batch is what the KV cache holds (at most 4096), the token budget
    that batch times (1 + ISL / OSL) capped at 32768 (batch at least 64, budget at least 2048); with
    chunked context off the budget also holds the longest prompt plus the batch.
    """
    batch = max(min(kv_limit, 4096), 64)
    tokens = max(min(int(batch * (1 + isl / osl)), 32768), 2048)
    return batch, max(tokens, isl + batch)


#: the decode batch sizes TensorRT-LLM's Performance Overview captures (its ``llm_options.yml`` for every model but
#: Kimi K2: ``cuda_graph_config: enable_padding: true, batch_sizes: [...]``, docs/source/developer-guide/perf-overview.md
#: as of release 1.2, PR #12098, and its release-1.0-era revision for dense and MoE models alike); the scale CSV's
#: notes abbreviate it "batch_sizes 1..8192"
PERF_OVERVIEW_GRAPH_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192)


def trtllm_bench_graphs(batch: int) -> dict[str, Any]:
    """The decode CUDA graphs ``trtllm-bench throughput`` runs its PyTorch backend with: ``get_settings``
    (tensorrt_llm/bench/benchmark/utils/general.py) sets ``cuda_graph_config`` to its own batch size, padded."""
    return {"cuda_graph_max_batch_size": batch, "cuda_graph_padding": True}


#: TensorRT-LLM Performance Overview cells this repository transcribes in ``trtllm_max_throughput.csv``'s columns,
#: read beside it: the release-1.0 page's RTX PRO 6000 Blackwell Server Edition tables (benchmarks/data/README.md)
REPO_MAX_THROUGHPUT = (HERE / "data" / "trtllm_max_throughput_rtx_pro_6000.csv",)


def max_throughput_rows(data_dir: Path, serving_model: str, path: Path | None = None) -> list[dict[str, Any]]:
    """TensorRT-LLM's offline maximum-throughput cells (``trtllm-bench throughput``) of ``path`` (``data_dir``'s
    ``trtllm_max_throughput.csv`` unless given; :data:`REPO_MAX_THROUGHPUT` holds the repository's), each replayed
    on its own layout (pipeline stages included) with ``trtllm-bench``'s own batch and token budget."""
    rows = []
    path = path or data_dir / "trtllm_max_throughput.csv"
    with path.open() as fh:
        for row in csv.DictReader(fh):
            arch = _model(data_dir, row["model"])
            isl, osl = int(row["input_len"]), int(row["output_len"])
            layout = _layout(row, "trtllm", "fp8")
            probe = plan_deployment(
                arch, get_gpu(row["gpu"]), **_planned(layout), input_length=isl, output_length=osl
            )
            batch, tokens = trtllm_bench_settings(isl, osl, probe.kv_limit_per_replica)
            # the page's own llm_options.yml for dense models (the release-1.0-era perf-overview.md: padded graphs at
            # PERF_OVERVIEW_GRAPH_BATCHES), which replaces trtllm-bench's own cuda_graph_config
            graphs = {"cuda_graph_padding": True, "cuda_graph_batch_sizes": PERF_OVERVIEW_GRAPH_BATCHES}
            layout = {**layout, "engine_options": graphs}
            predicted = None
            if probe.memory.fits:
                if serving_model == "analytic":
                    predicted = _best_analytic(arch, row, layout, isl, osl, batch, tokens)
                else:
                    traffic = Traffic(
                        input_lengths=Lengths.fixed(isl),
                        output_lengths=Lengths.fixed(osl),
                        arrival="offline",
                        num_requests=min(max(3 * min(batch, probe.kv_limit_per_replica), 500), 6000),
                    )
                    e = _run(arch, row, layout, traffic, max_num_seqs=batch, max_num_batched_tokens=tokens)
                    predicted = e.output_throughput_tok_s if e.ok else None
            rows.append(
                _row("trtllm", "offline", row, "output_tok_s_total", float(row["value"]), predicted, arch)
            )
    return rows


def _best_analytic(
    arch: ModelArchitecture,
    row: dict[str, str],
    layout: dict[str, Any],
    isl: int,
    osl: int,
    batch: int,
    tokens: int,
) -> float | None:
    best = None
    for c in (64, 128, 256, 512, 1024, 2048, 4096):
        e = estimate(
            arch,
            get_gpu(row["gpu"]),
            **layout,
            input_length=isl,
            output_length=osl,
            concurrency=c,
            serving_model="analytic",
            max_num_seqs=batch,
            max_num_batched_tokens=tokens,
        )
        if e.ok and e.output_throughput_tok_s:
            best = max(best or 0.0, e.output_throughput_tok_s)
    return best


#: launch flags a row's notes may state -> the estimate's knob (and its type); the scheduler limits and
#: the memory fraction change what the engine runs, so a row is replayed with them
SERVE_FLAGS: dict[str, tuple[str, type]] = {
    "--max-num-seqs": ("max_num_seqs", int),
    # argparse takes an unambiguous prefix, as a vLLM issue's command does
    "--max-num-seq": ("max_num_seqs", int),
    "--max-num-batched-tokens": ("max_num_batched_tokens", int),
    "--gpu-memory-utilization": ("gpu_memory_utilization", float),
    "--max-running-requests": ("max_num_seqs", int),
    "--chunked-prefill-size": ("max_num_batched_tokens", int),
    "--mem-fraction-static": ("gpu_memory_utilization", float),
    "--max_num_tokens": ("max_num_batched_tokens", int),
    "--max_batch_size": ("max_num_seqs", int),  # trtllm-serve's scheduler limit (not its graphs' batch)
    "--max-model-len": ("max_model_len", int),
    "--context-length": ("max_model_len", int),
    "--max_seq_len": ("max_model_len", int),
    "--ep-size": ("ep", int),
    "--ep_size": ("ep", int),
    "--ep": ("ep", int),  # SGLang's aliases of --ep-size
    "--expert-parallel-size": ("ep", int),
    # pipeline stages (vLLM's flag and its short form; SGLang's --pp-size)
    "--pipeline-parallel-size": ("pp", int),
    "-pp": ("pp", int),
    "--pp-size": ("pp", int),
}

#: how a row's notes introduce the server's launch command or its flags
LAUNCH_PREFIXES = ("server:", "server flags:", "serve:", "launch:")

#: the engine options (config_explorer.engine.options) a row's launch command may set, by the engine's spelling
OPTION_FLAGS: dict[str, tuple[str, type]] = {
    "--scheduler-recv-interval": ("scheduler_recv_interval", int),
    "--cuda-graph-max-bs": ("cuda_graph_max_bs", int),
    "--cuda-graph-max-bs-decode": ("cuda_graph_max_bs", int),
    "--max-cudagraph-capture-size": ("max_cudagraph_capture_size", int),  # vLLM from 0.12
    "batch_wait_timeout_iters": ("batch_wait_timeout_iters", int),
    "batch_wait_max_tokens_ratio": ("batch_wait_max_tokens_ratio", float),
    "--prefill-delayer-max-delay-passes": ("prefill_delayer_max_delay_passes", int),
}
#: the engine switches a row's launch command turns on, by the pattern that turns each on
OPTION_SWITCHES: dict[str, str] = {
    # SGLang's piecewise graphs: off with their own flag, and with symmetric memory (server_args.py, 0.5.12)
    "disable_piecewise_cuda_graph": r"--disable-piecewise-cuda-graph\b|--enable-symm-mem\b",
    "enforce_eager": r"--enforce-eager\b",  # vLLM: no CUDA graphs, no compiled code
    "disable_overlap_schedule": r"--disable-overlap-schedule\b",
    "disable_radix_cache": r"--disable-radix-cache\b",  # SGLang: no prefix cache (recurrent models: state pool)
    "enable_prefill_delayer": r"--enable-prefill-delayer\b",  # SGLang: DP-attention groups prefill together
    "disable_overlap_scheduler": r"(?i)disable_overlap_scheduler:\s*true\b",  # an LLM-API option
}


def flag_value(text: str, flag: str) -> float | None:
    """The number a launch command in ``text`` gives ``flag`` (``--flag 8`` or ``--flag=8``), else None."""
    found = re.search(re.escape(flag) + r"[ =]([0-9.]+)", text)
    return float(found.group(1)) if found else None


def first_flag_value(text: str, flags: Iterable[str]) -> float | None:
    """The number a launch command in ``text`` gives the first of ``flags`` (one flag's spellings) it states."""
    return next((v for v in (flag_value(text, f) for f in flags) if v is not None), None)


#: SGLang's data-parallel size flags (``--dp-size``, its alias ``--data-parallel-size``, and ``--dp``)
SGLANG_DP_FLAGS = ("--dp-size", "--data-parallel-size", "--dp")


#: vLLM's data-parallel size flags
VLLM_DP_FLAGS = ("--data-parallel-size", "-dp")

#: a row's notes saying its run drafted tokens with multi-token prediction (its acceptance rate unprinted)
SPECULATIVE_RUN = r"(?i)\bMTP=yes\b"

#: the split of a row not estimated because its run drafted tokens (:data:`SPECULATIVE_RUN`)
SPECULATIVE = "speculative run"


#: a launch command's switch for SGLang's data-parallel attention (a note's "no --enable-dp-attention" is not one)
SGLANG_DP_ATTENTION = r"(?<!no )--enable-dp-attention\b"


def attention_groups(text: str, tp: int) -> int:
    """The data-parallel attention groups a launch command ``text`` runs over ``tp`` ranks: SGLang's
    ``--enable-dp-attention`` with its data-parallel size (default 1: one group of all ``tp`` ranks, as
    without the switch), TensorRT-LLM's ``enable_attention_dp: true`` (every rank its own group); 1 without
    either."""
    if re.search(r"(?i)(?<!no )enable_attention_dp\s*[:=]\s*true\b", text):
        return tp
    if not re.search(SGLANG_DP_ATTENTION, text):
        return 1
    size = first_flag_value(text, SGLANG_DP_FLAGS)
    return int(size) if size else 1


def serve_knobs(notes: str, tp: int = 1) -> dict[str, Any]:
    """The scheduler and memory flags of the launch command a row's notes quote (``server: ...``,
    ``server flags: ...``, ``serve: ...``, ``launch: ...`` or an offline ``benchmark_throughput.py``
    command), as estimate knobs; ``tp`` is the row's tensor-parallel size. With SGLang's data-parallel
    attention, the server's running-request limit and prefill chunk are split over the attention groups
    (``ServerArgs``: each group's scheduler takes its share), which is what a group's knobs hold."""
    knobs: dict[str, Any] = {}
    for segment in re.split(r";| \| ", notes):
        text = segment.strip()
        if not (text.startswith(LAUNCH_PREFIXES) or "benchmark_throughput.py" in text):
            continue
        groups = attention_groups(text, tp)
        if groups > 1:
            knobs["dp_attention"] = groups
        if re.search(r"\bvllm serve\b", text):
            # vLLM's data parallelism: each rank its own attention group over --tensor-parallel-size GPUs, the
            # experts spread over all of them with --enable-expert-parallel
            ranks = first_flag_value(text, VLLM_DP_FLAGS)
            world = tp * int(ranks or 1)
            if ranks and ranks > 1:
                knobs["dp_attention"], knobs["tp"] = int(ranks), world
            if re.search(r"--enable-expert-parallel\b", text):
                knobs["ep"] = world
        all_to_all = re.search(r"--moe-a2a-backend[ =](deepep|megamoe|mooncake)\b", text)
        if all_to_all and flag_value(text, "--ep-size") is None:
            # SGLang's all-to-all backends spread the experts over every rank (server_args.py, 0.5.12: ep_size = tp_size)
            knobs["ep"] = tp
        options: dict[str, Any] = {}
        for flags, into in ((SERVE_FLAGS, knobs), (OPTION_FLAGS, options)):
            for flag, (name, kind) in flags.items():
                value = flag_value(text, flag)
                if value is not None:
                    into[name] = kind(value)
        for name in ("async_scheduling", "enable_prefix_caching"):  # vLLM's switches (unset: the release's)
            switch = re.search(rf"--(no-)?{name.replace('_', '-')}\b", text)
            if switch:
                options[name] = switch.group(1) is None
        reuse = re.search(r"(?i)enable_block_reuse\s*[=:]\s*(true|false)\b", text)
        if reuse:  # TensorRT-LLM's prefix cache, an LLM-API option (kv_cache_config.enable_block_reuse)
            options["enable_block_reuse"] = reuse.group(1).lower() == "true"
        options.update({name: True for name, pattern in OPTION_SWITCHES.items() if re.search(pattern, text)})
        ssm = re.search(r"--mamba-ssm-dtype[ =](\w+)", text)
        if ssm:  # SGLang: the recurrent layers' SSM state type, over the checkpoint's
            options["mamba_ssm_dtype"] = ssm.group(1)
        # SGLang: the experts' kernel (DeepSeek-V4's MXFP4 ones on Hopper, Triton's)
        runner = re.search(r"--moe-runner-backend[ =](marlin|flashinfer_mxfp4|triton)\b", text)
        if runner and "sglang" in text:
            options["moe_runner_backend"] = runner.group(1)
        # vLLM: the experts on Marlin's MoE kernel, by its argument or (before vLLM PR #33807) its MXFP4 variable
        if re.search(r"--moe-backend[ =]marlin\b|VLLM_MXFP4_USE_MARLIN=1\b", text) and "vllm" in text:
            options["moe_backend"] = "marlin"
        # vLLM: the CUDA-graph mode its --compilation-config names (the notes may double the JSON's quotes)
        graph_mode = re.search(
            r"--compilation-config[ =]'?\{[^}]*cudagraph_mode\W+(PIECEWISE|FULL_AND_PIECEWISE)\b", text
        )
        if graph_mode and "vllm" in text:
            options["cudagraph_mode"] = graph_mode.group(1)
        if options:
            knobs["engine_options"] = options
        if groups > 1 and re.search(SGLANG_DP_ATTENTION, text):
            for name in ("max_num_seqs", "max_num_batched_tokens"):
                if name in knobs:
                    knobs[name] = max(knobs[name] // groups, 1)
    return knobs


#: NIM 1.x releases before this one serve TensorRT-LLM through TensorRT engines by default (NIM 1.15 made the
#: PyTorch backend the default, per its release notes), and TensorRT-LLM's C++ executor finishes each step
#: before it reads new requests: no overlap scheduler, so such rows are planned with it off
NIM_PYTORCH_BACKEND_SINCE = (1, 15)


#: TensorRT-LLM releases before this one build TensorRT engines by default (1.0 made the PyTorch backend the
#: default: the v1.0 performance overview runs ``trtllm-bench`` on it, ../shared/data/README.md)
TRTLLM_PYTORCH_BACKEND_SINCE = (1, 0)


def engine_backend_options(engine: str, version: str) -> dict[str, Any]:
    """The engine options a row's release implies beyond its launch command: a NIM 1.x release that runs
    TensorRT engines has no overlap scheduler; it and a TensorRT-LLM release before 1.0 run a TensorRT engine."""
    if engine != "trtllm":
        return {}
    nim = re.match(r"NIM (\d+)\.(\d+)", version.strip())
    if nim:
        if (int(nim.group(1)), int(nim.group(2))) < NIM_PYTORCH_BACKEND_SINCE:
            return {"disable_overlap_scheduler": True, "tensorrt_engine": True}
        return {}
    plain = re.match(r"(\d+)\.(\d+)", version.strip())
    if plain and (int(plain.group(1)), int(plain.group(2))) < TRTLLM_PYTORCH_BACKEND_SINCE:
        return {"tensorrt_engine": True}
    return {}


#: sources whose vLLM had no DeepGEMM installed: GPUStack's performance lab runs its runner image, which installs
#: vLLM with pip and no DeepGEMM step (gpustack/runner pack/cuda/Dockerfile @01961f4: ``uv pip install
#: vllm==0.11.0`` and FlashInfer 0.3.1; benchmarks/data/vllm011_deepseek_hopper_evidence.md)
NO_DEEP_GEMM_SOURCES = ("github.com/gpustack/gpustack",)


#: GPUStack pages whose vLLM had DeepGEMM all the same: the DeepSeek-V3.2 page turns it off as one of its
#: experiments (``VLLM_USE_DEEP_GEMM=0``, "Turn off DeepGEMM in vLLM"), so its baseline ran with it (and vLLM's
#: DeepSeek-V3.2 indexer needs it)
DEEP_GEMM_SOURCES = (
    "github.com/gpustack/gpustack/blob/1f37f1b8bd79c6b424a0cb55c7abd08a5c2132dc/docs/performance-lab/deepseek-v3.2/",
)


def installed_options(engine: str, source: str) -> dict[str, Any]:
    """The engine options a row's installation implies: vLLM without DeepGEMM where the source's image has none."""
    if engine != "vllm" or any(marker in source for marker in DEEP_GEMM_SOURCES):
        return {}
    if any(marker in source for marker in NO_DEEP_GEMM_SOURCES):
        return {"deep_gemm": False}
    return {}


#: SGLang releases by the day PyPI received them (their wheels' file dates), oldest first: a row that ran a nightly image
#: (``nightly-dev-YYYYMMDD``) is planned as the last release before it, whose rules it carries (a nightly between
#: 0.5.9 and 0.5.10 has none of 0.5.14's)
SGLANG_RELEASE_DAYS: Final = (
    ("20251208", "0.5.6.post1"),
    ("20260123", "0.5.8"),
    ("20260223", "0.5.9"),
    ("20260405", "0.5.10"),
    ("20260507", "0.5.11"),
    ("20260516", "0.5.12"),
    ("20260611", "0.5.13"),
    ("20260626", "0.5.14"),
)


def nightly_release(engine: str, version: str) -> str:
    """The SGLang release a nightly image's ``version`` (``nightly-dev-20260310-0fd9a57d``) follows, else ``version``."""
    day = re.match(r"nightly(?:-dev)?-(\d{8})", version.strip())
    if engine != "sglang" or not day:
        return version
    before = [release for released_on, release in SGLANG_RELEASE_DAYS if released_on <= day.group(1)]
    return before[-1] if before else version


def released(engine: str, version: str) -> str:
    """``engine`` pinned to the release a row ran (``vllm==0.11.0``, ``sglang==0.5.6``, ``trtllm==0.6.1``),
    where it names one: a vLLM profile then follows that release's memory budget, host time and MoE kernels,
    an SGLang one the MoE kernels that release picks, a TensorRT-LLM one its decode attention kernel (a NIM
    release names no TensorRT-LLM release and stays unpinned; a nightly SGLang image, :func:`nightly_release`)."""
    head = nightly_release(engine, version).strip().split(" ")[0].split("+")[0]
    if engine not in ("vllm", "sglang", "trtllm") or not head:
        return engine
    try:
        parse_version(head)
    except ConfigExplorerError:
        return engine
    return f"{engine}=={head}"


def trtllm_graph_options(engine: str, notes: str) -> dict[str, Any]:
    """The decode CUDA graphs a TensorRT-LLM row's launch states (its LLM-API ``cuda_graph_config``, written as
    ``cuda_graph_config(enable_padding=true,max_batch_size=N)``, ``{enable_padding: true, batch_sizes [1, 2, ...]}``
    or, for the Performance Overview's list, ``batch_sizes 1..8192``), as engine options; none stated, the engine's
    default (:data:`config_explorer.engine.calibration.TRTLLM_GRAPH_MAX_BATCH` without padding)."""
    stated = re.search(r"cuda_graph_config\s*[({]([^)}]*)", notes)
    if not engine.startswith("trtllm") or not stated:
        return {}
    body = stated.group(1)
    options: dict[str, Any] = {}
    if re.search(r"(?i)enable_padding\s*[:=]\s*true\b", body):
        options["cuda_graph_padding"] = True
    listed = re.search(r"batch_sizes\s*[:=]?\s*\[([\d,\s]+)\]", body)
    largest = re.search(r"max_batch_size\s*[:=]\s*(\d+)", body)
    if listed:
        options["cuda_graph_batch_sizes"] = tuple(int(size) for size in listed.group(1).split(","))
    elif re.search(r"batch_sizes\s+1\.\.8192\b", body):
        options["cuda_graph_batch_sizes"] = PERF_OVERVIEW_GRAPH_BATCHES
    elif largest:
        options["cuda_graph_max_batch_size"] = int(largest.group(1))
    return options


def trtllm_balance_options(engine: str, notes: str) -> dict[str, Any]:
    """The attention-DP balance a TensorRT-LLM row's launch states (its LLM-API ``attention_dp_config``, written as
    ``attention_dp_config(batching_wait_iters=0,enable_balance=true,timeout_iters=60)`` or ``{batching_wait_iters: 0,
    enable_balance: true, timeout_iters: 60}``), as engine options; none stated or not enabled, none."""
    stated = re.search(r"attention_dp_config\s*[({]([^)}]*)", notes)
    if not engine.startswith(("trtllm", "tensorrt")) or not stated:
        return {}
    body = stated.group(1)
    if not re.search(r"(?i)enable_balance\s*[:=]\s*true\b", body):
        return {}
    options: dict[str, Any] = {"attention_dp_enable_balance": True}
    for key, name in (
        ("timeout_iters", "attention_dp_timeout_iters"),
        ("batching_wait_iters", "attention_dp_batching_wait_iters"),
    ):
        value = re.search(rf"{key}\s*[:=]\s*(\d+)", body)
        if value:
            options[name] = int(value.group(1))
    return options


def _layout(row: dict[str, str], engine: str, kv: str | None) -> dict[str, Any]:
    knobs = serve_knobs(row.get("notes", ""), int(row["tp"]))
    implied = engine_backend_options(row.get("engine", ""), row.get("engine_version", ""))
    implied.update(installed_options(row.get("engine", ""), row.get("source", "")))
    implied.update(trtllm_graph_options(row.get("engine", ""), row.get("notes", "")))
    implied.update(trtllm_balance_options(row.get("engine", ""), row.get("notes", "")))
    if implied:
        knobs["engine_options"] = {**implied, **knobs.get("engine_options", {})}
    stages = int(row.get("pp") or 1)
    return {
        "num_gpus": int(row["num_gpus"]),
        "tp": int(row["tp"]),
        # pipeline stages where the row states more than one (the published files' ``pp`` column)
        **({"pp": stages} if stages > 1 else {}),
        "precision": row["weight_precision"] or None,
        "kv_precision": kv,
        "engine": engine,
        **knobs,
    }


def _run(
    arch: ModelArchitecture, row: dict[str, str], layout: dict[str, Any], traffic: Traffic, **knobs: Any
) -> PerformanceEstimate:
    return estimate(arch, get_gpu(row["gpu"]), **layout, traffic=traffic, **knobs)


#: the page ``trtllm_static_batch.csv`` transcribes (TensorRT-LLM's ``docs/source/performance.md``, v0.5-v0.6.1)
#: heads every throughput column of its H100, L40S and A100 tables "Throughput (out tok/s/GPU)"; the file
#: labels the L40S and A100 rows ``output_tok_s_total``, which is the same figure on one GPU and not on the
#: A100's TP2 and TP4 rows (Llama-2-70B at TP4: 670, 525 and 79 tok/s per GPU). Rows from that page are read
#: per GPU whatever their label says.
STATIC_BATCH_PER_GPU_SOURCE = "docs/source/performance.md (v0.5-v0.6.1 era)"


#: the share of free memory a static batch's KV cache may take. ``gptSessionBenchmark`` ran each batch in one
#: ``GptSession::generate`` call, which cannot queue part of it: the session's cache is allocated for
#: ``max_batch_size x max_seq_len`` (contiguous), or as paged blocks that the whole batch must get
#: (``GptSession::createKvCacheManager``, v0.6.1). A published row is a batch that fit, so the simulated run
#: lets the pool take all free memory rather than the 0.9 of today's executor, which would queue part of it.
STATIC_BATCH_KV_FRACTION = 1.0


def static_batch_metric(row: dict[str, str]) -> str:
    """The unit a static-batch row's value is in: its ``metric``, but per GPU for every throughput row of the
    performance page whose tables are all per GPU (:data:`STATIC_BATCH_PER_GPU_SOURCE`)."""
    metric = row["metric"]
    if metric == "output_tok_s_total" and STATIC_BATCH_PER_GPU_SOURCE in row["source"]:
        return "output_tok_s_per_gpu"
    return metric


def _planned(layout: dict[str, Any]) -> dict[str, Any]:
    """``layout`` for ``plan_deployment``, which takes its engine options checked (``estimate`` checks them)."""
    if not layout.get("engine_options"):
        return layout
    engine = profile_for(layout["engine"]).name
    return {**layout, "engine_options": check_engine_options(layout["engine_options"], engine)}


def own_memory_fraction(arch: ModelArchitecture, row: dict[str, str], layout: dict[str, Any]) -> float | None:
    """The memory fraction a row's engine took itself where its launch stated none and the plan budgets another:
    SGLang with data-parallel attention keeps room for its padded graphs out of its default
    (``Deployment.engine_default_fraction``), where a plan states its own fraction in the launch command."""
    if "gpu_memory_utilization" in layout or layout.get("dp_attention", 1) <= 1:
        return None
    plan = plan_deployment(
        arch,
        get_gpu(row["gpu"]),
        **_planned(layout),
        input_length=int(row["input_len"]) + chat_template_tokens(row),
        output_length=int(row["output_len"]),
    )
    return plan.engine_default_fraction


def static_batch_rows(data_dir: Path, serving_model: str) -> list[dict[str, Any]]:
    rows = []
    with (data_dir / "trtllm_static_batch.csv").open() as fh:
        for row in csv.DictReader(fh):
            arch = _model(data_dir, row["model"])
            n = int(row["num_gpus"])
            isl, osl, batch = int(row["input_len"]), int(row["output_len"]), int(row["batch_size"])
            layout = _layout(row, released("trtllm", row["engine_version"]), row["kv_precision"])
            knobs = {
                "max_num_batched_tokens": max(isl * batch, 8192),
                "max_num_seqs": batch,
                "gpu_memory_utilization": STATIC_BATCH_KV_FRACTION,
            }
            dep = plan_deployment(
                arch, get_gpu(row["gpu"]), **_planned(layout), input_length=isl, output_length=osl, **knobs
            )
            metric = static_batch_metric(row)
            predicted: float | None = None
            if dep.memory.fits:
                if serving_model == "analytic":
                    result = estimate_static_batch(dep, batch)
                    ttft_s, total_rate = result.ttft_s, result.output_throughput_tok_s
                else:
                    traffic = Traffic(
                        input_lengths=Lengths.fixed(isl),
                        output_lengths=Lengths.fixed(osl),
                        arrival="offline",
                        num_requests=batch * dep.replicas,
                    )
                    e = _run(arch, row, layout, traffic, **knobs)
                    ttft_s = (e.ttft_p99_ms or 0) / 1e3
                    total_rate = e.output_throughput_tok_s or 0.0
                if metric == "ttft_ms":
                    predicted = ttft_s * 1e3
                elif metric == "output_tok_s_per_gpu":
                    predicted = total_rate / n
                else:
                    predicted = total_rate
            rows.append(_row("trtllm", "static_batch", row, metric, float(row["value"]), predicted, arch))
            if metric != "ttft_ms" and osl >= 8 * isl:
                # Decode-dominated static batch: the time per output token is the batch over the total rate.
                per_gpu = metric == "output_tok_s_per_gpu"
                measured_total = float(row["value"]) * (n if per_gpu else 1)
                predicted_total = None if predicted is None else predicted * (n if per_gpu else 1)
                rows.append(
                    _row(
                        "trtllm",
                        "static_batch",
                        row,
                        "itl_ms_proxy",
                        batch / measured_total * 1e3,
                        None if predicted_total is None else batch / predicted_total * 1e3,
                        arch,
                    )
                )
    return rows


def _number(pattern: str, text: str) -> int | None:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else None


#: ShareGPT as the benchmark clients sample it (prompt <= 1024 tokens, prompt + output <= 2048), shapes
#: fitted on the vLLM paper's length file (data/sharegpt_lengths_evidence.md): outputs Weibull with shape
#: 1.24, prompts log-normal with sigma 1.35 (log tokens); each scaled to the row's printed mean
SHAREGPT_OUTPUT_WEIBULL_SHAPE = 1.24
SHAREGPT_INPUT_LOG_SIGMA = 1.35
SHAREGPT_MAX_INPUT, SHAREGPT_MAX_TOTAL = 1024, 2048


def _scaled_to_mean(quantiles: list[float], mean: float, cap: int) -> Lengths:
    """``quantiles`` (a shape) scaled so that, capped at ``cap`` and rounded, their mean is ``mean``."""
    scale = 1.0
    for _ in range(30):
        values = [max(1, min(cap, round(q * scale))) for q in quantiles]
        got = sum(values) / len(values)
        if abs(got - mean) < 0.5:
            break
        scale *= mean / got
    return Lengths.replay(values)


def sharegpt_lengths(mean_input: float, mean_output: float, requests: int) -> tuple[Lengths, Lengths]:
    """A run of ``requests`` ShareGPT requests with the printed means: the shapes' quantiles at
    ``(k + 1/2) / requests``, replayed once each, so the run's totals are the printed ones."""
    n = max(requests, 1)
    probs = [(k + 0.5) / n for k in range(n)]
    normal = statistics.NormalDist(0.0, SHAREGPT_INPUT_LOG_SIGMA)
    inputs = [math.exp(normal.inv_cdf(p)) for p in probs]
    outputs = [(-math.log(1.0 - p)) ** (1.0 / SHAREGPT_OUTPUT_WEIBULL_SHAPE) for p in probs]
    return (
        _scaled_to_mean(inputs, mean_input, SHAREGPT_MAX_INPUT),
        _scaled_to_mean(outputs, mean_output, SHAREGPT_MAX_TOTAL - SHAREGPT_MAX_INPUT // 2),
    )


#: prompt tokens a chat template adds around one user message, by model family (the first name part that
#: matches), from printed token ids and usage figures (data/chat_template_tokens_evidence.md): gpt-oss's
#: harmony system block and headers 67, Llama 3.1's system header with its dates 35, Qwen3's role markers
#: 8, DeepSeek-R1's markers and opening think tag 5. A row measured through a chat endpoint
#: (``--backend openai-chat``) counts only the raw prompt, while the engine prefills these as well
CHAT_TEMPLATE_TOKENS: dict[str, int] = {"gpt-oss": 67, "llama-3.1": 35, "qwen3": 8, "deepseek-r1": 5}


def chat_template_tokens(row: dict[str, str]) -> int:
    """The prompt tokens the engine adds to each of the row's prompts and its client did not count: the
    model's chat template where the client sent chat requests, else none."""
    notes = row.get("notes", "")
    if "openai-chat" not in notes and "/v1/chat/completions" not in notes:
        return 0
    name = row["model"].split("/")[-1].lower()
    return next((tokens for family, tokens in CHAT_TEMPLATE_TOKENS.items() if name.startswith(family)), 0)


#: the checkpoints a row's notes name whose weights the bundled config (the model's own release) does not describe:
#: MXFP8 keeps 8-bit weights with one shared scale per block of 32 values, a block-scaled FP8 checkpoint to the
#: engines' kernel choices (vLLM's FP8 MoE method takes it on Blackwell's DeepGEMM, Hopper's Marlin); Qwen's own FP8
#: releases scale per 128 x 128 block (``weight_block_size`` in the bundled Qwen3-30B-A3B-FP8 and Qwen3-235B-A22B-FP8
#: configs), taken to hold for the releases whose FP8 config is not bundled (Qwen3.5's)
BLOCK_SCALED_CHECKPOINT = re.compile(r"checkpoint (?:\S+-MXFP8|Qwen/\S+-FP8)\b")


def checkpoint_model(row: dict[str, str], text: str | None = None) -> ModelArchitecture:
    """The row's model as its run loaded it: the bundled config, its weights block-scaled FP8 where ``text`` (the
    row's notes unless given) names a checkpoint stored so (MXFP8, Qwen's own FP8 releases:
    :data:`BLOCK_SCALED_CHECKPOINT`)."""
    arch = load_model(row["model"])
    named = row.get("notes", "") if text is None else text
    if BLOCK_SCALED_CHECKPOINT.search(named) and not arch.weight_block_scaled:
        return attrs.evolve(arch, native_precision="fp8", weight_block_scaled=True)
    return arch


def run_prompts(row: dict[str, str]) -> int | None:
    """Requests the row's benchmark run sent (its ``num_prompts`` column, else its notes), if stated."""
    prompts = int(row["num_prompts"]) if row.get("num_prompts") else None
    return prompts or _number(r"num[-_ ]prompts[^0-9]{0,5}(\d+)", row["notes"])


def sglang_client_draws(
    row: dict[str, str], nominal_in: int, nominal_out: int, requests: int
) -> tuple[Lengths, Lengths] | None:
    """The very lengths a ``sglang.bench_serving`` random run sent, in order (its seeded NumPy draws,
    ``traffic.sglang_bench_random_lengths``), where its printed means identify them: the client's output
    lower end changed in 0.5.6.post2 (0 before, 1 after), and the row's printed means (its ``input_len``
    and ``output_len`` columns, rounded) say which one the run drew with. None when neither reproduces
    them (another seed or client): the row is then drawn from the distribution."""
    seed = _number(r"--seed[ =](\d+)", row["notes"])
    for floor in (1, 0):
        inputs, outputs = sglang_bench_random_lengths(
            nominal_in, nominal_out, requests, seed=seed if seed is not None else 1, output_floor=floor
        )
        if (round(inputs.mean), round(outputs.mean)) == (int(row["input_len"]), int(row["output_len"])):
            return inputs, outputs
    return None


def client_lengths(row: dict[str, str], requests: int) -> tuple[Lengths, Lengths]:
    """Per-request lengths as the row's benchmark client drew them."""
    isl, osl = int(row["input_len"]), int(row["output_len"])
    dataset = row["dataset"]
    if dataset == "random_uniform":  # SGLang random, range ratio 0: uniform over [1, L]
        # the flag spelled out or abbreviated (argparse takes a prefix: --random-input 180)
        nominal_in = _number(r"random-input(?:-len)?[ =](\d+)", row["notes"]) or 2 * isl
        nominal_out = _number(r"random-output(?:-len)?[ =](\d+)", row["notes"]) or 2 * osl
        exact = sglang_client_draws(row, nominal_in, nominal_out, requests)
        if exact is not None:
            return exact
        return Lengths.sglang_random(nominal_in), Lengths.sglang_random(nominal_out)
    if dataset == "random_range":  # nominal lengths with the client's range ratio, as the client draws them
        found = re.search(r"--random-range-ratio[ =]([0-9.]+)", row["notes"])
        ratio = float(found.group(1)) if found else 0.0
        # vllm bench serve draws from [L(1 - r), L(1 + r)]; sglang.bench_serving and the older
        # benchmark_serving.py lineage (InferenceX's client) from [L r, L]
        client = re.search(r"client:\s*([^|;]*)", row["notes"])
        vllm_client = client is not None and client.group(1).strip().startswith("vllm bench serve")
        draw = Lengths.vllm_random if vllm_client else Lengths.sglang_random
        return draw(isl, ratio), draw(osl, ratio)
    if dataset == "sharegpt":
        return sharegpt_lengths(isl, osl, requests)
    return Lengths.fixed(isl), Lengths.fixed(osl)


#: the split of a row whose printed figure no run of its stated setup could produce (:func:`ttft_floor_ms`)
NOT_SCORED = "not scored"


def ttft_floor_ms(
    metric: str, concurrency: int, requests: int, inputs: Lengths, flops_per_token: float, peak_flops: float
) -> float | None:
    """The least mean or p99 TTFT (ms) a closed loop of ``requests`` could print when its first
    ``concurrency`` requests are sent at once, all GPUs prefilling at their datasheet peak (a run that sends
    every request at once is the wave of all of them, and then its median is bounded too); None where the
    first wave's prompt lengths are not known exactly (only fixed lengths and replayed client draws are).

    The k-th first token of that wave comes no sooner than the k shortest of its prompts take to prefill,
    whatever the order and however they are batched, and the rest of the run only adds to the times. The
    mean is at least the wave's bounds summed over ``requests``; the p99 (linear interpolation, as the
    benchmark clients compute it) at least the bound of the wave's request of the same rank from the top,
    and so is the median of a run that is one wave.
    """
    wave = min(concurrency, requests)
    bounded = ("ttft_ms_mean", "ttft_ms_p99") + (("ttft_ms_median",) if wave == requests else ())
    if metric not in bounded or inputs.kind not in ("fixed", "sequence"):
        return None
    lengths = [inputs.low] * wave if inputs.kind == "fixed" else list(inputs.values[:wave])
    if len(lengths) < wave or peak_flops <= 0:
        return None
    seconds = flops_per_token / peak_flops
    bounds = [tokens * seconds for tokens in itertools.accumulate(sorted(lengths))]
    if metric == "ttft_ms_mean":
        return 1e3 * sum(bounds) / requests
    if metric == "ttft_ms_median":
        return 1e3 * bounds[math.floor(0.5 * (requests - 1))]
    rank = requests - math.floor(0.99 * (requests - 1))  # the p99 is at least the rank-th largest TTFT
    return 1e3 * bounds[wave - rank] if wave >= rank else None


#: the per-token latency metrics a run's decode steps bound from below (:func:`token_gap_floor_ms`)
TOKEN_GAP_METRICS = frozenset(("itl_ms_mean", "itl_ms_median", "tpot_ms_mean", "tpot_ms_median"))


def token_gap_floor_ms(metric: str, weight_bytes_per_step: float, bandwidth_bytes_s: float) -> float | None:
    """The least inter-token gap or TPOT (mean or median, ms) an engine can print when every decode step reads
    at least ``weight_bytes_per_step`` (one token's active weights at the checkpoint's precision) over
    ``bandwidth_bytes_s`` (the datasheet bandwidth of every GPU of the deployment); None for other metrics.

    Each token after a request's first comes from its own decode step, so a request's gaps sum to at least that many
    step floors: no mean can be lower, and no median either while the client reads each token as it comes. A printed
    median far below it is a client draining streamed chunks that queued up behind it (consecutive tokens read
    back to back), which measures the client, not the engine's steps. Runs that draft tokens, whose steps can
    yield several, are not estimated at all (:data:`SPECULATIVE_RUN`)."""
    if metric not in TOKEN_GAP_METRICS or bandwidth_bytes_s <= 0:
        return None
    return 1e3 * weight_bytes_per_step / bandwidth_bytes_s


class _NotEstimated(Exception):
    """A row left unestimated on purpose (:data:`SPECULATIVE_RUN`)."""


#: how a row's run is estimated: (model, row, layout, traffic) -> record (``_run``; ``lockstep.py`` passes its own)
Runner = Callable[..., PerformanceEstimate]


def published_rows(path: Path, serving_model: str, runner: Runner | None = None) -> list[dict[str, Any]]:
    """vLLM / SGLang points, each estimated with its own engine's profile and its own traffic (by ``runner``,
    :func:`_run` unless given)."""
    rows = []
    with path.open() as fh:
        for row in csv.DictReader(fh):
            arch = checkpoint_model(row)
            engine = row["engine"] if row["engine"] in ("vllm", "sglang", "trtllm") else "vllm"
            layout = _layout(
                row, released(engine, row.get("engine_version", "")), row["kv_precision"] or None
            )
            metric, measured = row["metric"], float(row["value"])
            prompts = run_prompts(row)
            raw_inputs, outputs = client_lengths(row, prompts or 1000)
            template = chat_template_tokens(row)
            inputs = raw_inputs.shifted(template)
            if row["concurrency"] and not row["request_rate"]:
                scenario = "closed_loop"
                traffic = Traffic(
                    input_lengths=inputs,
                    output_lengths=outputs,
                    arrival="closed_loop",
                    concurrency=int(row["concurrency"]),
                    num_requests=prompts,
                )
            else:
                scenario = "batch_at_once" if row["concurrency"] else "offline"
                n = int(row["concurrency"]) if row["concurrency"] else (prompts or 1000)
                traffic = Traffic(
                    input_lengths=inputs, output_lengths=outputs, arrival="offline", num_requests=n
                )
            predicted: float | None = None
            drafted = bool(re.search(SPECULATIVE_RUN, row["notes"]))
            try:
                if drafted:  # not estimated: the run's acceptance rate is not printed
                    raise _NotEstimated
                if serving_model == "analytic" and scenario == "closed_loop":
                    e = estimate(
                        arch,
                        get_gpu(row["gpu"]),
                        **layout,
                        input_length=int(row["input_len"]) + template,
                        output_length=int(row["output_len"]),
                        concurrency=int(row["concurrency"]),
                        serving_model="analytic",
                    )
                else:
                    own = own_memory_fraction(arch, row, layout)
                    run_layout = layout if own is None else {**layout, "gpu_memory_utilization": own}
                    e = (runner or _run)(arch, row, run_layout, traffic)
                reader = READERS.get(metric)
                predicted = reader(e) if reader and e.ok else None
                if predicted is not None and metric == "total_tok_s_total" and e.requests_per_s:
                    predicted -= template * e.requests_per_s  # the client counted the raw prompts only
            except _NotEstimated:
                pass
            except ConfigExplorerError as exc:
                print(f"  cannot estimate {row['model']} on {row['gpu']}: {exc}", file=sys.stderr)
            scored = _row(
                f"published/{engine}",
                scenario,
                row,
                metric,
                measured,
                predicted,
                arch,
                dataset=row["dataset"],
                ep=layout.get("ep", 1),
                dp_attention=layout.get("dp_attention", 1),
            )
            if drafted:
                scored["split"] = SPECULATIVE
            # a known run length only: a closed loop's prompts, or every request sent at once
            sent = prompts if scenario == "closed_loop" else int(row["concurrency"] or prompts or 0)
            gpu = get_gpu(row["gpu"])
            if predicted is not None and sent:
                # prompts are prefilled, their logits taken for the last token only
                per_token = 2.0 * (arch.matmul_params_per_token - arch.vocab_size * arch.hidden_size)
                peak = getattr(gpu.tflops, e.compute_precision, None) or 0.0
                floor = ttft_floor_ms(
                    metric,
                    int(row["concurrency"]) if scenario == "closed_loop" else sent,
                    sent,
                    raw_inputs,
                    per_token,
                    peak * 1e12 * int(row["num_gpus"]),
                )
                if floor is not None and measured < floor:
                    scored["split"] = NOT_SCORED
                    scored["floor"] = floor
            if predicted is not None:
                # the narrower of the row's stated weights and the checkpoint's own, so the floor stays a floor
                stored = min(
                    bytes_per_value(p) for p in (row["weight_precision"], arch.native_precision) if p
                )
                gap_floor = token_gap_floor_ms(
                    metric,
                    arch.matmul_params_per_token * stored,
                    gpu.memory_bandwidth_tb_s * 1e12 * int(row["num_gpus"]),
                )
                if gap_floor is not None and measured < gap_floor:
                    scored["split"] = NOT_SCORED
                    scored["floor"] = gap_floor
            # what pairs a run with vLLM's async scheduling to the same run without it
            knobs = {k: v for k, v in layout.items() if k != "engine_options"}
            switch = (layout.get("engine_options") or {}).get("async_scheduling")
            scored["pair"] = (row["source"], repr(sorted(knobs.items())))
            scored["async_scheduling"] = switch
            rows.append(scored)
    return rows


def async_pairs(rows: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """vLLM's async scheduling, as a speedup: each run that switched it on beside the same run (source,
    GPU, lengths, every other launch flag) without it, (label, estimated output-throughput ratio, error
    of that ratio against the measured one). Neither the switch's model nor its host times are fitted on
    these runs (engine/calibration.py), so they are held out."""
    plain = {
        (r["pair"], r["gpu"], r["isl"], r["osl"]): r
        for r in rows
        if "pair" in r
        and r["async_scheduling"] is None
        and r["metric"] == "output_tok_s_total"
        and r["predicted"]
    }
    scored = []
    for r in rows:
        base = plain.get((r.get("pair"), r["gpu"], r["isl"], r["osl"]))
        if r.get("async_scheduling") and r["metric"] == "output_tok_s_total" and r["predicted"] and base:
            measured, estimated = r["measured"] / base["measured"], r["predicted"] / base["predicted"]
            label = f"{r['model']} {r['gpu']} {r['isl']}/{r['osl']}"
            scored.append((label, estimated, estimated / measured - 1.0))
    return scored


def _row(
    source: str,
    scenario: str,
    row: dict[str, str],
    metric: str,
    measured: float,
    predicted: float | None,
    arch: ModelArchitecture,
    dataset: str = "fixed",
    ep: int = 1,
    dp_attention: int = 1,
) -> dict[str, Any]:
    err = None if predicted is None else (predicted - measured) / measured * 100
    engine = source.split("/")[-1]
    batch = row.get("batch_size") or row.get("concurrency") or ""
    key = (engine, row["model"], batch)
    eager_fit = key in EAGER_FIT_ROWS and EAGER_FIT_SOURCE in row.get("source", "")
    fit = FAMILY.get(metric) == "ttft" and scenario == "closed_loop" and (key in FIT_ROWS or eager_fit)
    return {
        "source": source,
        "engine": engine,
        "engine_version": row.get("engine_version", ""),
        "scenario": scenario,
        "dataset": dataset,
        "model": row["model"].split("/")[-2] if row["model"].endswith("config.json") else row["model"],
        "kind": "moe" if arch.is_moe else "dense",
        "gpu": row["gpu"],
        "gpu_family": get_gpu(row["gpu"]).family,
        "tp": int(row["tp"]),
        "ep": ep,
        "dp_attention": dp_attention,
        "precision": row.get("weight_precision", ""),
        "kv_precision": row.get("kv_precision", ""),
        "isl": int(row["input_len"]),
        "osl": int(row["output_len"]),
        "batch": batch,
        "metric": metric,
        "family": FAMILY.get(metric, "throughput"),
        "split": "fit" if fit else "held-out",
        "measured": measured,
        "predicted": predicted,
        "error_pct": err,
        "moe_layers": arch.num_moe_layers,
    }


def fit_request_overhead(rows: Iterable[dict[str, Any]]) -> dict[str, tuple[int, float]]:
    """Per engine: (points, median TTFT residual in ms) over the ``fit`` rows.

    At one request in flight TTFT is the GPU's prefill plus the front end's fixed time, so the residual
    (measured - predicted GPU time) estimates that fixed time. The current value is added back, so the
    fit does not depend on the value it refits.
    """
    residuals: dict[str, list[float]] = {}
    for r in rows:
        if r["split"] == "fit" and r["predicted"] is not None and _fit_key(r) in FIT_ROWS:
            gpu_only = r["predicted"] - profile_for(r["engine"]).request_overhead_ms
            residuals.setdefault(r["engine"], []).append(r["measured"] - gpu_only)
    return {engine: (len(v), statistics.median(v)) for engine, v in sorted(residuals.items())}


def _fit_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["engine"], row["model"], row["batch"]


def fit_eager_moe_host(rows: Iterable[dict[str, Any]]) -> tuple[int, float]:
    """(points, median per-layer residual in microseconds) over the ``EAGER_FIT_ROWS``.

    At one request in flight a 1,000-token prompt is one eager step, so what the estimate lacks of the measured
    TTFT, over the model's MoE layers, estimates the host time each adds. The current value is added back, so the
    fit does not depend on the value it refits.
    """
    current = profile_for("vllm").eager_moe_layer_us
    per_layer = [
        (r["measured"] - r["predicted"]) * 1e3 / r["moe_layers"] + current
        for r in rows
        if r["split"] == "fit" and r["predicted"] is not None and _fit_key(r) in EAGER_FIT_ROWS
    ]
    return len(per_layer), statistics.median(per_layer) if per_layer else math.nan


def layout_group(row: dict[str, Any]) -> str:
    """The layout group a scored row falls in."""
    dp_attention = row.get("dp_attention", 1) > 1
    if row.get("ep", 1) <= 1:
        return "DP attention" if dp_attention else "tensor parallel"
    return "expert parallel + DP attention" if dp_attention else "expert parallel"


#: the statistic a latency metric reports, by its name's suffix (throughput metrics report none)
STATISTICS: Final = ("mean", "median", "p90", "p95", "p99")


def statistic(metric: str) -> str | None:
    """``mean``, ``median`` or a percentile for a latency metric (``ttft_ms_p99`` -> ``p99``); the static-batch
    ``ttft_ms`` and ``itl_ms_proxy``, and throughputs, report none."""
    suffix = metric.rsplit("_", 1)[-1]
    return suffix if suffix in STATISTICS and not metric.startswith(("output_", "total_")) else None


def signed_by_statistic(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """Held-out rows by the statistic their metric reports and its metric family: count and median signed error
    (negative: the engine reads low). A mean or tail the engine underestimates while its median is unbiased
    says the measured runs carry events the simulated one does not (a cold first wave, compilation, hiccups)."""
    groups: dict[str, list[float]] = {}
    for r in rows:
        stat = statistic(r["metric"])
        if r["error_pct"] is None or r["split"] != "held-out" or stat is None:
            continue
        groups.setdefault(f"held-out signed by statistic:{stat}:{r['family']}", []).append(r["error_pct"])
    return {
        key: {"n": len(v), "median_signed_pct": statistics.median(v)} for key, v in sorted(groups.items())
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """Median and p90 |error| per metric family, over all held-out rows and split every way."""
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r["error_pct"] is None:
            continue
        family = r["family"]
        if r["split"] == NOT_SCORED:
            continue
        if r["split"] == "fit":
            keys = [f"in-sample (fit rows):{family}"]
        else:
            keys = [
                f"held-out:{family}",
                f"held-out by scenario:{r['scenario']}:{family}",
                f"held-out by engine:{r['engine']}:{family}",
                f"held-out by GPU family:{r['gpu_family']}:{family}",
                f"held-out by kind:{r['kind']}:{family}",
                f"held-out by layout:{layout_group(r)}:{family}",
            ]
            stat = statistic(r["metric"])
            if stat is not None:
                keys.append(f"held-out by statistic:{stat}:{family}")
        for key in keys:
            groups.setdefault(key, []).append(abs(r["error_pct"]))
    return {key: error_stats(errs) for key, errs in groups.items()}


#: the |error| a row is counted within (the issues' bars are medians at or under 12-20%)
WITHIN_PCT = 20.0


def error_stats(errors: Iterable[float]) -> dict[str, float | int]:
    """Count, median and p90 of absolute errors (percent), and how many are within :data:`WITHIN_PCT`."""
    errs = sorted(errors)
    return {
        "n": len(errs),
        "median_abs_pct": statistics.median(errs),
        "p90_abs_pct": errs[min(len(errs) - 1, round(0.9 * (len(errs) - 1)))],
        "within_20_pct": sum(e <= WITHIN_PCT for e in errs),
    }


def feature_summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """The feature groups (benchmarks/features.py, and vLLM's async scheduling from ``rows``): |error| of
    estimated vs published speedup ratios."""
    import features

    groups = {
        "held-out features:speculative decoding speedup": features.published(quiet=True),
        "held-out features:prefix caching ratio": features.prefix_rows(quiet=True),
        "held-out features:async scheduling speedup": async_pairs(rows),
    }
    return {
        key: error_stats(abs(error) * 100 for _, _, error in rows) for key, rows in groups.items() if rows
    }


def scale_summary() -> dict[str, dict[str, float | int]]:
    """The scale groups (benchmarks/scale.py): published expert-parallel / data-parallel-attention
    deployments, one phase of a disaggregated deployment per pool, and whole aggregated runs."""
    import scale

    rows = scale.held_out(scale.scale_rows())
    groups = {
        "held-out scale:disaggregated pools, per phase": "phase",
        "held-out scale:EP / DP attention end-to-end": "end-to-end",
    }
    out = {
        key: error_stats(abs(r["error_pct"]) for r in rows if r["group"] == group)
        for key, group in groups.items()
        if any(r["group"] == group for r in rows)
    }
    for name, errors in scale.split_end_to_end(rows).items():
        out[f"held-out scale:EP / DP attention end-to-end {name}"] = error_stats(errors)
    return out


def all_rows(data_dir: Path | None, serving_model: str) -> list[dict[str, Any]]:
    """Every measured row: TensorRT-LLM's tables under ``data_dir`` (when given) and the in-repo
    published vLLM / SGLang points."""
    rows = []
    if data_dir is not None:
        rows = max_throughput_rows(data_dir, serving_model) + static_batch_rows(data_dir, serving_model)
    for path in REPO_MAX_THROUGHPUT:
        scored = max_throughput_rows(data_dir or HERE / "data", serving_model, path)
        rows += [{**row, "file": path.name} for row in scored]
    for path in PUBLISHED:
        if path.exists():
            rows += [{**row, "file": path.name} for row in published_rows(path, serving_model)]
    return rows


def by_file(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | int]]]:
    """Held-out median |error| per published data file and metric family: where the errors come from (the
    files collected for models first added to the catalog score those models' first measurements)."""
    groups: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        if "file" in r and r["split"] == "held-out" and r["error_pct"] is not None:
            groups.setdefault(r["file"], {}).setdefault(r["family"], []).append(abs(r["error_pct"]))
    return {
        name: {family: error_stats(errs) for family, errs in fams.items()}
        for name, fams in sorted(groups.items())
    }


#: a folder where one process tree (the docs renderer, which runs this script several times over) keeps
#: the scored rows, so that each run after the first reads them instead of scoring every row again
CACHE_ENV = "CONFIG_EXPLORER_BENCH_CACHE"


def _scored(data_dir: Path | None, serving_model: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every row scored and the summary of them, or what an earlier run in the same :data:`CACHE_ENV`
    folder scored with the same data and serving model."""
    folder = os.environ.get(CACHE_ENV)
    cache = None
    if folder:
        key = re.sub(r"[^A-Za-z0-9]+", "_", f"{data_dir}_{serving_model}")
        cache = Path(folder) / f"accuracy_{key}.json"
        if cache.exists():
            saved = json.loads(cache.read_text())
            return saved["rows"], saved["summary"]
    rows = all_rows(data_dir, serving_model)
    summary: dict[str, Any] = summarize(rows)
    summary.update(signed_by_statistic(rows))
    summary.update(feature_summary(rows))
    summary.update(scale_summary())
    if cache is not None:
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"rows": rows, "summary": summary}))
        partial.replace(cache)
    return rows, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        help="folder of TensorRT-LLM's measured tables (default: ../shared/data beside the checkout, when "
        "present; without it only the in-repo published points in benchmarks/data are scored)",
    )
    parser.add_argument("--serving-model", default="simulated", choices=["simulated", "analytic"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worst", type=int, default=10)
    parser.add_argument(
        "--fit-request-overhead",
        action="store_true",
        help="print the per-engine front-end time that calibration.REQUEST_OVERHEAD_MS holds",
    )
    parser.add_argument(
        "--fit-eager-moe-host",
        action="store_true",
        help="print the vLLM eager MoE-layer host time that calibration.VLLM_EAGER_MOE_LAYER_US holds",
    )
    args = parser.parse_args(argv)
    data_dir: Path | None = args.data
    if data_dir is not None and not data_dir.exists():
        print(f"no data folder at {data_dir}; pass --data DIR (a folder with trtllm_*.csv)", file=sys.stderr)
        return 2
    if data_dir is None:
        data_dir = DEFAULT_DATA if DEFAULT_DATA.exists() else None
    if data_dir is None and not args.json:
        print(
            f"{os.path.relpath(DEFAULT_DATA)} is not beside this checkout: scoring the in-repo published points only "
            "(benchmarks/data/published_serving_points*.csv); pass --data DIR for TensorRT-LLM's tables\n"
        )
    rows, summary = _scored(data_dir, args.serving_model)
    if args.fit_request_overhead:
        for engine, (n, median) in fit_request_overhead(rows).items():
            print(
                f"{engine}: median TTFT residual over its {n} fit rows: {median:.1f} ms "
                f"(calibration has {profile_for(engine).request_overhead_ms:g} ms)"
            )
        return 0
    if args.fit_eager_moe_host:
        n, median = fit_eager_moe_host(rows)
        print(
            f"vllm: median eager MoE-layer host time over its {n} fit rows: {median:.0f} us "
            f"(calibration has {profile_for('vllm').eager_moe_layer_us:g} us)"
        )
        return 0
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
        return 0
    estimated = sum(r["error_pct"] is not None for r in rows)
    held = sum(r["error_pct"] is not None and r["split"] == "held-out" for r in rows)
    print(
        f"native engine ({args.serving_model}) vs measured points: {len(rows)} rows, {estimated} estimated, "
        f"{held} held out (each row with its own engine's profile and traffic)\n"
    )
    print(
        f"{'group:metric family':58s} {'n':>4s} {'median |err| %':>15s} {'p90 |err| %':>12s} "
        f"{f'<= {WITHIN_PCT:g}%':>8s}"
    )
    for key in sorted(
        summary, key=lambda k: (not k.startswith("held-out:"), k.startswith("held-out features"), k)
    ):
        s = summary[key]
        if "median_abs_pct" in s:  # the signed groups are printed below
            print(
                f"{key:58s} {s['n']:4d} {s['median_abs_pct']:15.1f} {s['p90_abs_pct']:12.1f} "
                f"{s['within_20_pct']:8d}"
            )
    print("\nheld out by published data file (n, median |err| %):")
    families = ("throughput", "itl", "ttft", "e2e")
    print(f"{'file':48s}" + "".join(f"{family:>16s}" for family in families))
    for name, fams in by_file(rows).items():
        cells = "".join(
            f"{fams[f]['n']:6d} {fams[f]['median_abs_pct']:9.1f}" if f in fams else f"{'-':>16s}"
            for f in families
        )
        print(f"{name:48s}{cells}")
    print("\nsigned median error by the statistic a latency metric reports (negative: the engine reads low):")
    for key, s in signed_by_statistic(rows).items():
        print(f"{key:58s} {s['n']:4d} {s['median_signed_pct']:+15.1f}")
    print(f"\nworst {args.worst} held-out rows:")
    worst = sorted(
        (r for r in rows if r["error_pct"] is not None and r["split"] == "held-out"),
        key=lambda r: -abs(r["error_pct"]),
    )
    for r in worst[: args.worst]:
        print(
            f"  {r['source']:16s} {r['scenario']:13s} {r['model'][:28]:28s} {r['gpu']:13s} tp{r['tp']} "
            f"{r['isl']:>5}/{r['osl']:<5} c={r['batch']:<5} {r['metric']:18s} measured {r['measured']:9.1f} "
            f"predicted {r['predicted']:9.1f} ({r['error_pct']:+.0f}%)"
        )
    impossible = [r for r in rows if r["split"] == NOT_SCORED]
    if impossible:
        print(
            f"\n{len(impossible)} rows not scored: the printed TTFT is below what the stated setup could print "
            "with every GPU prefilling its first wave of prompts at its datasheet peak (ttft_floor_ms), or the "
            "printed per-token gap is below one decode step reading a token's weights at the datasheet "
            "bandwidth (token_gap_floor_ms)"
        )
        for r in impossible:
            print(
                f"  {r['source']:16s} {r['model'][:28]:28s} {r['gpu']:13s} tp{r['tp']} {r['isl']:>5}/{r['osl']:<5} "
                f"c={r['batch']:<5} {r['metric']:14s} printed {r['measured']:9.1f} ms, floor {r['floor']:9.1f} ms"
            )
    drafted = [r for r in rows if r["split"] == SPECULATIVE]
    if drafted:
        print(
            f"\n{len(drafted)} rows not estimated: their runs drafted tokens by multi-token prediction at an "
            "unprinted acceptance rate: "
            + ", ".join(sorted({f"{r['model']} {r['gpu']} tp{r['tp']}" for r in drafted}))
        )
    missing = [r for r in rows if r["predicted"] is None and r["split"] != SPECULATIVE]
    if missing:
        print(
            f"\n{len(missing)} rows not estimated (layout does not fit, or the engine would refuse): "
            + ", ".join(sorted({f"{r['model']} {r['gpu']} tp{r['tp']}" for r in missing}))
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
