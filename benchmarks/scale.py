"""Serving at scale: expert parallelism and data-parallel attention against published deployments.

Every row of ``benchmarks/data/published_scale_points.csv`` (sources and setups in its columns and
notes) is estimated with the layout it ran: a stage of ``tp x dp`` GPUs, the experts over ``ep`` ranks
(with the redundant experts its notes state), attention in ``dp`` groups, two-batch overlap where the
notes say it was on, the engine's own profile. Two groups are scored apart:

* **phase** rows measure one phase of a prefill/decode-disaggregated deployment on its own pool (the
  LMSYS 96-H100 and GB200 NVL72 DeepSeek deployments, vLLM's wide-EP pools): a decode pool's step at
  the stated sequences per GPU and KV length (where the batch is not printed, the batch its KV cache
  holds, the "slow-down" saturation those posts describe), a prefill pool's step at the stated tokens
  per GPU (16,384 where not printed: the LMSYS profile runs' figure);
* **end-to-end** rows are whole aggregated runs (TensorRT-LLM's attention-DP max-throughput tables,
  SGLang's gpt-oss DP attention run, GPUStack's Qwen3-235B TP vs EP runs), simulated with their traffic
  and scheduler limits.

Rows left out say why: estimates derived by their source rather than measured, simulated or production
averages, speculative (MTP) runs, GPUs outside the catalog (H800). Nothing in the engine is fitted on
these rows; ``EXPERT_IMBALANCE``'s default cites the EP32 prefill pair (59,337 vs 50,302), so the
50,302 row is reported in-sample, not held out.

    PYTHONPATH=src python benchmarks/scale.py
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Any

import attrs
from accuracy import (
    FAMILY,
    READERS,
    WITHIN_PCT,
    chat_template_tokens,
    checkpoint_model,
    client_lengths,
    error_stats,
    flag_value,
    installed_options,
    released,
    run_prompts,
    sharegpt_lengths,
    trtllm_balance_options,
    trtllm_bench_graphs,
    trtllm_bench_settings,
    trtllm_graph_options,
)

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import GIB
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Lengths, Traffic
from config_explorer.errors import ConfigExplorerError, UnknownGPUError
from config_explorer.precision import normalize_precision

DATA = Path(__file__).resolve().parent / "data" / "published_scale_points.csv"
#: more end-to-end EP runs, collected apart (TensorRT-LLM's Performance Overview tables with attention DP,
#: SGLang cookbook pages, GPUStack's TensorRT-LLM DeepSeek-R1 page): the same columns
DATA_MORE = DATA.with_name("published_scale_points_more.csv")
#: a third collection (a helper session's search of 2025-2026 issues, cookbook revisions and GPUStack pages;
#: its companion .md lists what it read and rejected): the same columns
DATA_2026 = DATA.with_name("published_scale_points_2026.csv")
SOURCES = (DATA, DATA_MORE, DATA_2026)
#: tokens per GPU of a prefill step where the row does not print it (the LMSYS profile runs' figure)
DEFAULT_PREFILL_TOKENS_PER_GPU = 16384
#: the row whose pair sets EXPERT_IMBALANCE's default: reported, not held out
IN_SAMPLE = {("prefill_only", "4096", "50302")}
ENGINES = {"sglang": "sglang", "vllm": "vllm"}


def _engine(name: str) -> str:
    return ENGINES.get(name, "trtllm" if name.startswith("tensorrt") else "")


def _release(row: dict[str, str]) -> str:
    """The engine release a row states (``"0.5.7"``, ``"1.2"`` from ``"release/1.2"``, ``"0.4.6"`` from ``"about
    0.4.6.post2"``), or ``""`` where it names none (a commit, a branch, "not stated")."""
    found = re.search(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?)", row["engine_version"])
    return found.group(1) if found else ""


def _engine_name(layout: dict[str, Any]) -> str:
    """The engine of a layout whose ``engine`` may pin a release (``"sglang==0.5.7"``)."""
    return str(layout["engine"]).partition("==")[0]


def _precision(text: str) -> str | None:
    head = text.split(" ")[0].strip()
    return normalize_precision(head) if head else None


def _layout(row: dict[str, str]) -> dict[str, Any]:
    """The row's layout in this library's terms: a stage of tp x dp GPUs split for experts and attention."""
    groups = int(row["dp"] or 1) if row["dp_attention"] == "yes" else 1
    world = int(row["tp"] or 1) * groups
    notes = row["notes"]
    redundant = re.search(r"(\d+) redundant experts", notes)
    ep = int(row["ep"] or 1)
    extra = int(redundant.group(1)) if redundant and ep > 1 else 0
    experts = load_model(row["model"]).num_experts
    if ep > 1 and (experts + extra) % ep:
        # an EP size that does not divide the experts runs with redundant copies (EPLB); where the source
        # does not state how many, the fewest that make the count a multiple of ep
        extra = -experts % ep
    overlap = (
        bool(
            re.search(r"two-batch overlap \(TBO\) on|--enable-dbo|dual-batch overlap \(--enable-dbo\)", notes)
        )
        and "disabled" not in notes.split("Two-batch overlap")[-1][:12]
    )
    engine = _engine(row["engine"])
    # vLLM's switch where the deployment states it (the release is often not stated)
    stated_async = engine == "vllm" and re.search(r"async.scheduling", notes, re.I)
    release = _release(row)
    return {
        "num_gpus": world,
        "tp": world,
        "ep": ep,
        "dp_attention": groups,
        "redundant_experts": extra,
        "two_batch_overlap": overlap and groups > 1,
        "precision": _precision(row["weight_precision"]),
        "kv_precision": _precision(row["kv_precision"]),
        # the release the row states, whose rules (prompt graphs, async scheduling, memory) the plan follows
        "engine": released(engine, release),
        "engine_options": EngineOptions(
            async_scheduling=True if stated_async else None,
            deep_gemm=installed_options(engine, row["source"]).get("deep_gemm", True),
            **trtllm_graph_options(engine, notes),
            **trtllm_balance_options(engine, notes),
        ),
    }


def _skip_reason(row: dict[str, str]) -> str | None:
    if row["value_kind"] in ("printed_simulated", "derived_by_source"):
        return f"{row['value_kind']}: not a served measurement"
    if row["phase"].endswith("production"):
        return "a day's production average at unstated lengths and load"
    if "MTP" in row["notes"] and row["metric"] == "output_tok_s_per_user":
        return "speculative (MTP) run"
    if not _engine(row["engine"]):
        return f"engine {row['engine']!r} has no profile"
    if row["dataset"] == "unstated":
        return "the run's dataset and lengths are not stated"
    try:
        get_gpu(row["gpu"])
    except UnknownGPUError:
        return f"GPU {row['gpu']} is not in the catalog"
    return None


def _per_gpu(row: dict[str, str], value_per_gpu: float) -> float:
    """The row's metric from a per-GPU rate (per node: the GPU's node size)."""
    if row["metric"].endswith("_per_node"):
        return value_per_gpu * get_gpu(row["gpu"]).gpus_per_node
    return value_per_gpu


def _phase_deployment(row: dict[str, str], layout: dict[str, Any], **knobs: Any) -> Deployment:
    arch = load_model(row["model"])
    isl = int(float(row["input_len"] or 2000))
    osl = int(float(row["output_len"] or 2))
    return plan_deployment(arch, get_gpu(row["gpu"]), **layout, input_length=isl, output_length=osl, **knobs)


def phase_estimate(row: dict[str, str], layout: dict[str, Any]) -> tuple[float | None, str]:
    """(the row's metric as the engine estimates it, how the step was filled)."""
    world = layout["tp"]
    isl = int(float(row["input_len"] or 2000))
    if row["phase"] == "prefill_only":
        tokens = int(row["batch_per_rank"] or DEFAULT_PREFILL_TOKENS_PER_GPU)
        dep = _phase_deployment(row, layout, max_num_batched_tokens=tokens)
        prompts = tokens * world / isl
        # the step's prompts packed into one kernel call, as its tiles (a fractional share of a prompt
        # counted in fractional blocks), as the analytic screen charges a step's prompts
        pairs, windowed = dep.step_cost.share_pairs(dep.step_cost.prompt_work(isl, 0), prompts)
        step = dep.step_cost.time(0, 0, 0, tokens * world, pairs, windowed, prompts)
        return _per_gpu(row, tokens / step), f"{tokens} prompt tokens per GPU"
    osl = int(float(row["output_len"])) if row["output_len"] else 0
    context = isl + osl / 2
    knobs: dict[str, Any] = {"max_num_seqs": 4096}
    # a decode step's tokens count against vLLM's and TensorRT-LLM's budget
    if _engine_name(layout) != "sglang":
        knobs["max_num_batched_tokens"] = 8192
    fraction = flag_value(row["notes"], "--mem-fraction-static")
    if fraction:
        knobs["gpu_memory_utilization"] = fraction
    dep = _phase_deployment(row, layout, **knobs)
    if row["batch_per_rank"]:
        batch = int(row["batch_per_rank"])
        how = f"{batch} sequences per GPU"
    else:
        per_sequence = dep.costs.kv_bytes(context) + dep.costs.state_bytes_per_sequence
        batch = int(dep.memory.kv_capacity_gib * GIB / per_sequence / world)
        how = f"{batch} sequences per GPU (what the KV cache holds)"
    if not dep.memory.fits or batch < 1:
        return None, "does not fit"
    seqs = batch * world
    step = dep.step_cost.time(seqs, seqs * context, seqs * min(context, dep.costs.window), 0, 0, 0, seqs)
    return _per_gpu(row, batch / step), how


def end_to_end_estimate(row: dict[str, str], layout: dict[str, Any]) -> tuple[float | None, str]:
    """A whole run simulated with its traffic and the scheduler limits its command states, on the checkpoint its
    ``weight_precision`` column names (``fp8 (Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8)``: Qwen's FP8 release, scaled
    in 128 x 128 blocks, where the bundled config is the 16-bit one)."""
    named = re.search(r"\((\S+)\)", row["weight_precision"])
    arch = checkpoint_model(row, f"checkpoint {named.group(1)}" if named else "")
    notes = row["notes"]
    isl, osl = float(row["input_len"]), float(row["output_len"])
    knobs: dict[str, Any] = {}
    batch = flag_value(notes, "--max_batch_size")
    tokens = flag_value(notes, "--max_num_tokens")
    fraction = flag_value(notes, "--kv_cache_free_gpu_mem_fraction") or flag_value(
        notes, "--mem-fraction-static"
    )
    running = flag_value(notes, "--max-running-requests")
    if batch:
        knobs["max_num_seqs"] = int(batch)
    elif running:
        knobs["max_num_seqs"] = int(running) // layout["dp_attention"]
    if tokens:
        knobs["max_num_batched_tokens"] = max(int(tokens), knobs.get("max_num_seqs", 0))
    if fraction:
        knobs["gpu_memory_utilization"] = fraction
    graphs = flag_value(
        notes, "--cuda-graph-max-bs"
    )  # SGLang: per attention group, as its server captures them
    if graphs and _engine_name(layout) == "sglang":
        options = layout["engine_options"] or EngineOptions()
        layout = {**layout, "engine_options": attrs.evolve(options, cuda_graph_max_bs=int(graphs))}
    bench = "trtllm-bench" in row["engine"]
    if bench:
        # trtllm-bench starts the engine with the dataset's longest prompt + output as max_seq_len
        # (bench/benchmark/throughput.py: max_seq_len from the dataset's metadata), not the model's context
        knobs["max_model_len"] = int(isl + osl)
    clients = flag_value(notes, "--concurrency")  # trtllm-bench's cap on requests in flight, where stated
    if bench and not batch:
        # trtllm-bench sized the engine itself, for the whole tensor-parallel group whatever the attention
        # split (``calc_engine_setting`` in tensorrt_llm/bench/build/tuning.py: the group's memory less the
        # weights, over a sequence's KV), and each attention-DP rank's executor takes that batch and token
        # budget as its own: a rank then runs what its own KV cache holds, in prompt chunks of that budget
        probe = _phase_deployment(row, layout)
        if not probe.memory.fits:
            return None, "does not fit"
        knobs["max_num_seqs"], knobs["max_num_batched_tokens"] = trtllm_bench_settings(
            int(isl), int(osl), max(probe.kv_limit_per_replica, 1)
        )
    options = layout["engine_options"] or EngineOptions()
    if bench and options.cuda_graph_max_batch_size is None and options.cuda_graph_batch_sizes is None:
        # trtllm-bench graphs its own batch size, padded, unless the row's options file says otherwise
        graphed = trtllm_bench_graphs(int(knobs["max_num_seqs"]))
        layout = {**layout, "engine_options": attrs.evolve(options, **graphed)}
    template = chat_template_tokens(row)
    paced = row["request_rate"] not in ("", "inf") and not row["concurrency"]
    if paced or (row["dataset"] in ("sharegpt", "random_uniform") and row["concurrency"]):
        # a benchmark client's own requests, drawn as it drew them: a closed loop of its concurrency, or its
        # prompts sent at a rate (Poisson arrivals, as sglang.bench_serving's --request-rate and vLLM's
        # benchmark send them)
        arrival: dict[str, Any]
        if paced:
            rate = float(row["request_rate"])
            requests = run_prompts(row) or 1000
            arrival = {"arrival": "poisson", "request_rate": rate}
            how = f"{row['dataset']}, {requests} requests arriving at {rate:g} a second"
        else:
            concurrency = int(row["concurrency"])
            requests = run_prompts(row) or 10 * concurrency
            arrival = {"arrival": "closed_loop", "concurrency": concurrency}
            how = f"{row['dataset']}, closed loop of {concurrency}, {requests} requests"
        rounded = {**row, "input_len": str(round(isl)), "output_len": str(round(osl))}
        inputs, outputs = client_lengths(rounded, requests)
        traffic = Traffic(
            input_lengths=inputs.shifted(template), output_lengths=outputs, num_requests=requests, **arrival
        )
    elif row["dataset"] == "sharegpt":
        stated = re.search(r"\((\d+) succeeded", notes)
        requests = int(stated.group(1)) if stated else run_prompts(row) or 1000
        inputs, outputs = sharegpt_lengths(isl, osl, requests)
        traffic = Traffic(
            input_lengths=inputs.shifted(template),
            output_lengths=outputs,
            arrival="offline",
            num_requests=requests,
        )
        how = f"ShareGPT, {requests} requests at once"
    else:
        # fixed lengths: trtllm-bench queueing every request at once (the engine's batch limit caps what
        # runs; the column holds the request count), else a closed loop of the stated concurrency
        at_once = bench and not clients
        concurrency = int(row["concurrency"])
        traffic = Traffic(
            input_lengths=Lengths.fixed(int(isl)),
            output_lengths=Lengths.fixed(int(osl)),
            arrival="offline" if at_once else "closed_loop",
            concurrency=None if at_once else concurrency,
            num_requests=concurrency if at_once else 2 * concurrency,
        )
        how = (
            f"{concurrency} requests at once, batch limit {knobs['max_num_seqs']} a rank"
            if at_once
            else f"closed loop of {concurrency}"
        )
    e = estimate(arch, get_gpu(row["gpu"]), **layout, traffic=traffic, **knobs)
    if not e.ok:
        return None, e.error or "not estimated"
    metric = row["metric"]
    if metric == "output_tok_s_per_gpu":
        total = e.output_throughput_tok_s
        return (None if total is None else total / e.num_gpus), how
    reader = READERS.get(metric)
    if reader is None:
        return None, f"metric {metric} not read"
    value = reader(e)
    if value is not None and metric == "total_tok_s_total" and e.requests_per_s:
        value -= template * e.requests_per_s  # the client counted the raw prompts only
    return value, how


def scale_rows() -> list[dict[str, Any]]:
    """Every scored row: group, layout, measured, predicted and error (percent)."""
    out = []
    for row in (r for path in SOURCES if path.exists() for r in csv.DictReader(path.open())):
        reason = _skip_reason(row)
        layout = _layout(row) if reason is None else {}
        predicted: float | None = None
        how = ""
        group = "phase" if row["phase"].endswith("_only") else "end-to-end"
        if reason is None:
            try:
                if group == "phase":
                    predicted, how = phase_estimate(row, layout)
                else:
                    predicted, how = end_to_end_estimate(row, layout)
            except ConfigExplorerError as exc:
                reason = str(exc)
        measured = float(row["value"])
        in_sample = (row["phase"], row["input_len"], row["value"]) in IN_SAMPLE
        family = FAMILY.get(row["metric"], "throughput")
        out.append(
            {
                "group": group,
                "engine": row["engine"].split(" ")[0],
                "model": row["model"],
                "gpu": row["gpu"],
                "layout": layout,
                "phase": row["phase"],
                "metric": row["metric"],
                "family": family,
                "measured": measured,
                "predicted": predicted,
                "error_pct": None if predicted is None else (predicted / measured - 1.0) * 100,
                "split": "in-sample" if in_sample else "held-out",
                "how": how,
                "skipped": reason,
            }
        )
    return out


def held_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scored rows nothing was fitted on."""
    return [r for r in rows if r["error_pct"] is not None and r["split"] == "held-out"]


def split_end_to_end(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """The end-to-end rows' |errors| by metric family and by engine (``by family:throughput`` ...)."""
    out: dict[str, list[float]] = {}
    for r in rows:
        if r["group"] != "end-to-end":
            continue
        for key in (f"by family:{r['family']}", f"by engine:{r['engine']}"):
            out.setdefault(key, []).append(abs(r["error_pct"]))
    return dict(sorted(out.items()))


def _label(layout: dict[str, Any]) -> str:
    text = f"TP{layout['tp']}"
    if layout["ep"] > 1:
        text += f" EP{layout['ep']}"
    if layout["dp_attention"] > 1:
        text += f" DPA{layout['dp_attention']}"
    if layout["redundant_experts"]:
        text += f" +{layout['redundant_experts']}red"
    if layout["two_batch_overlap"]:
        text += " TBO"
    return text


#: LMSYS's two-batch-overlap ablation, DeepSeek-V3 decode on 72 H100s (EP72, 2,000-token context):
#: tokens per GPU -> measured change in throughput
TBO_ABLATION = {32: -0.27, 256: 0.255}


def overlap_ablation() -> list[tuple[int, float, float]]:
    """(tokens per GPU, the engine's throughput change from two-batch overlap, the blog's)."""
    model = load_model("deepseek-ai/DeepSeek-V3")
    out = []
    for batch, measured in TBO_ABLATION.items():
        rates = []
        for overlap in (False, True):
            dep = plan_deployment(
                model,
                get_gpu("H100 SXM"),
                num_gpus=72,
                tp=72,
                ep=72,
                dp_attention=72,
                redundant_experts=32,
                two_batch_overlap=overlap,
                input_length=2000,
                output_length=2,
                engine="sglang",
                max_num_seqs=batch,
                max_num_batched_tokens=8192,
            )
            seqs = batch * 72
            rates.append(batch / dep.step_cost.time(seqs, seqs * 2000.0, 0.0, 0.0, 0.0, 0.0, seqs))
        out.append((batch, rates[1] / rates[0] - 1.0, measured))
    return out


def _summary(errors: list[float]) -> str:
    """A held-out group's median |error| (percent), its rows, and how many are within ``WITHIN_PCT``."""
    stats = error_stats(errors)
    return (
        f"median |error| {stats['median_abs_pct']:.1f}% over {stats['n']} rows "
        f"({stats['within_20_pct']} within {WITHIN_PCT:g}%)"
    )


def main() -> int:
    rows = scale_rows()
    print(
        "published EP / DP-attention deployments vs the native engine (benchmarks/data/published_scale_points.csv "
        "and published_scale_points_more.csv)\n"
    )
    for r in rows:
        if r["skipped"]:
            continue
        err = "" if r["error_pct"] is None else f"{r['error_pct']:+6.1f}%"
        pred = "-" if r["predicted"] is None else f"{r['predicted']:,.1f}"
        print(
            f"  {r['group']:10s} {r['engine']:13s} {r['model'].split('/')[-1][:22]:22s} {r['gpu']:9s} "
            f"{_label(r['layout']):26s} {r['metric']:22s} measured {r['measured']:>9,.1f} predicted {pred:>9s} "
            f"{err:>7s} {r['split']:9s} ({r['how']})"
        )
    print()
    for group in ("phase", "end-to-end"):
        errs = [
            abs(r["error_pct"])
            for r in rows
            if r["group"] == group and r["error_pct"] is not None and r["split"] == "held-out"
        ]
        if errs:
            print(f"held-out {group}: {_summary(errs)}")
    for name, parts in split_end_to_end(held_out(rows)).items():
        print(f"  end-to-end {name}: {_summary(parts)}")
    print("\ntwo-batch overlap, DeepSeek-V3 decode on 72 H100 (EP72): engine vs LMSYS's ablation")
    for batch, model_change, measured in overlap_ablation():
        print(f"  {batch:4d} tokens per GPU: {model_change:+.1%} (measured {measured:+.1%})")
    skipped = [r for r in rows if r["skipped"]]
    print(f"\n{len(skipped)} rows not scored:")
    for r in skipped:
        print(f"  {r['engine']:13s} {r['gpu']:9s} {r['phase']:18s} {r['measured']:>9,.1f}: {r['skipped']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
