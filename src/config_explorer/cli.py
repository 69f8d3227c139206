"""The ``config-explorer`` command line (also ``python -m config_explorer``).

Thin by design: parse arguments, call the public API, render. With ``--json`` every subcommand
prints exactly one JSON document on stdout. Our errors print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn

from config_explorer import validation
from config_explorer._files import check_output_path, write_text
from config_explorer._util import short_repr
from config_explorer.errors import ConfigExplorerError, InvalidArgumentError

__all__ = ["main"]


def _emit_json(data: Any) -> None:
    """One strict JSON document on stdout: a non-finite figure is ``null`` with a ``<field>_note`` (``_json``)."""
    from config_explorer._json import dumps_strict

    sys.stdout.write(dumps_strict(data, indent=2, default=str) + "\n")


class _Parser(argparse.ArgumentParser):
    """argparse with our error convention: one line on stderr, exit 2 (argparse prints usage first)."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {line} (see {self.prog} --help)\n")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` that states each option's default and prints the examples (the epilog) as written.

    An option whose help already says its default, or whose default is None or False (nothing to state:
    its help says what happens without it), is left as it is.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text
            or default is None
            or default is False
            or default == argparse.SUPPRESS
        ):
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


#: the examples each subcommand's --help ends with (tests/test_cli_discoverable.py runs them)
_EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "config-explorer models qwen3",
        "config-explorer recommend --model meta-llama/Llama-3.3-70B-Instruct --workload chat",
        "config-explorer serve-command --model meta-llama/Llama-3.1-70B --gpu H100 --num-gpus 4 --workload rag",
    ),
    "gpus": ("config-explorer gpus", "config-explorer gpus h100", "config-explorer gpus amd --json"),
    "models": (
        "config-explorer models",
        "config-explorer models llama",
        "config-explorer models qwen3 --json",
    ),
    "model": ("config-explorer model openai/gpt-oss-120b", "config-explorer model llama-3.1-8b --json"),
    "estimate": (
        "config-explorer estimate --model Qwen/Qwen3-8B --gpu H100 --workload chat --concurrency 32",
        "config-explorer estimate --model meta-llama/Llama-3.3-70B-Instruct --gpu H200 --num-gpus 2 "
        "--workload rag --sweep --max-itl-ms 40",
    ),
    "recommend": (
        "config-explorer recommend --model meta-llama/Llama-3.3-70B-Instruct --workload chat",
        "config-explorer recommend --model Qwen/Qwen3-8B --workload chat --target-rps 20 --gpus H100 L40S",
        "config-explorer recommend --model openai/gpt-oss-120b --workload code --metric throughput_per_gpu --json",
    ),
    "serve-command": (
        "config-explorer serve-command --model meta-llama/Llama-3.1-70B --gpu H100 --num-gpus 4 --workload rag",
        "config-explorer serve-command --model Qwen/Qwen3-32B --gpu H200 --num-gpus 2 --workload chat "
        "--concurrency 64 --engine sglang",
        "config-explorer serve-command --model meta-llama/Llama-3.3-70B-Instruct --gpu H200 --num-gpus 4 "
        "--workload chat --engine trtllm --kv-precision fp8 --json",
    ),
    "compare-backends": (
        "config-explorer compare-backends --model meta-llama/Llama-3.1-8B --gpu H100 --workload chat --concurrency 8",
    ),
    "parse": (
        "config-explorer parse report.txt --json",
        "llm-optimizer estimate ... | config-explorer parse -",
    ),
    "backends": (
        "config-explorer backends",
        "config-explorer backends --probe-model Qwen/Qwen3-8B --probe-gpu L40S",
    ),
    "calibrate": (
        "config-explorer calibrate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --num-gpus 1 --tp 1 "
        "vllm-c1.json vllm-c32.json -o h100-llama8b.json",
    ),
    "validate": (
        "config-explorer validate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --num-gpus 1 --tp 1 "
        "vllm-c64.json --calibration h100-llama8b.json",
    ),
}


def _finish_help(parser: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Every parser gets the formatter, its one-line help as description, and its examples as epilog."""
    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, p in [("", parser), *sub.choices.items()]:
        p.formatter_class = _HelpFormatter
        if p.description is None:
            p.description = helps.get(name)
        examples = _EXAMPLES.get(name, ())
        if examples:
            lines = ["examples:", *(f"  {line}" for line in examples)]
            if not name:
                lines.append(
                    "\nrun 'config-explorer COMMAND --help' for a command's options, defaults and examples"
                )
            p.epilog = "\n".join(lines)


def _add_workload(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument(
        "--input-len", "--input-length", dest="input_len", type=int, help="prompt tokens per request"
    )
    p.add_argument(
        "--output-len", "--output-length", dest="output_len", type=int, help="output tokens per request"
    )
    p.add_argument(
        "--workload",
        help="preset: chat (512/256), rag (4096/512), code (1024/1024), summarization (10240/1536)",
    )
    _add_engine_limits(p)


def _add_engine_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-model-len",
        type=int,
        help="the engine's max_model_len (default: the model's context, or the longest that fits, as "
        "vLLM's --max-model-len auto)",
    )
    p.add_argument("--max-num-seqs", type=int, help="the engine's max_num_seqs (default: the engine's)")
    p.add_argument(
        "--max-num-batched-tokens", type=int, help="the engine's step token budget (default: the engine's)"
    )


def _add_frontend(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--api-server-count",
        type=int,
        help="vLLM's --api-server-count: front-end processes per replica, each streaming at most ~34,000 "
        "output tok/s (default: vLLM's, one per data-parallel rank)",
    )


def _frontend(args: argparse.Namespace) -> dict[str, Any]:
    return {"api_server_count": args.api_server_count} if hasattr(args, "api_server_count") else {}


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine-option",
        action="append",
        metavar="NAME=VALUE",
        help="an engine option, in the engine's own name (repeatable): SGLang's scheduler_recv_interval=N "
        "(--scheduler-recv-interval), TensorRT-LLM's batch_wait_timeout_iters=N and "
        "batch_wait_max_tokens_ratio=R, which hold new requests back to batch them, vLLM's "
        "async_scheduling=true or false (--async-scheduling; unset: the release's default) and "
        "enable_prefix_caching=true or false (--[no-]enable-prefix-caching; unset: the release's default), SGLang's "
        "disable_piecewise_cuda_graph=true (--disable-piecewise-cuda-graph), SGLang's disable_overlap_schedule=true "
        "(--disable-overlap-schedule), TensorRT-LLM's disable_overlap_scheduler=true, vLLM's enforce_eager=true "
        "(--enforce-eager) and max_cudagraph_capture_size=N (--max-cudagraph-capture-size: the largest step in "
        "tokens that replays a CUDA graph), SGLang's cuda_graph_max_bs=N (--cuda-graph-max-bs) and "
        "schedule_conservativeness=C "
        "(--schedule-conservativeness), TensorRT-LLM's enable_block_reuse=false (kv_cache_config), "
        "cuda_graph_max_batch_size=N, cuda_graph_padding=true and cuda_graph_batch_sizes=1,2,4,... (cuda_graph_config: "
        "decode batches it graphs; by default sizes 1-32, 64 and 128 only, any other running eagerly), "
        "SGLang's disable_radix_cache=true (--disable-radix-cache), swa_full_tokens_ratio=R (--swa-full-tokens-ratio: "
        "its sliding-window KV pool as a share of the full pool, 0.8 by default) and disable_hybrid_swa_memory=true "
        "(--disable-hybrid-swa-memory) and "
        "mamba_ssm_dtype=float32|bfloat16|float16 (--mamba-ssm-dtype) and moe_runner_backend=marlin|flashinfer_mxfp4|"
        "triton (--moe-runner-backend: DeepSeek-V4's MXFP4 experts on Hopper; triton keeps 16- and 8-bit experts on "
        "SGLang's Triton fused-MoE kernel), and vLLM's deep_gemm=false "
        "(DeepGEMM not installed: pip installs before v0.20; native backend) and moe_backend=marlin (--moe-backend: "
        "8- and 4-bit experts on Marlin's MoE kernel, e.g. gpt-oss on Hopper); with data-parallel attention, SGLang's "
        "enable_prefill_delayer=true and prefill_delayer_max_delay_passes=N (--enable-prefill-delayer) and "
        "TensorRT-LLM's attention_dp_enable_balance=true, attention_dp_timeout_iters=N and "
        "attention_dp_batching_wait_iters=M (attention_dp_config), which hold a group's prompts until every group "
        "has one",
    )


#: how a switch may be written on the command line
_SWITCH_WORDS: Final = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}


def _engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--engine-option NAME=VALUE`` as ``engine_options={NAME: number}`` (checked by the API); a
    switch may also be written ``true`` / ``false`` (``on`` / ``off``), and a word-valued option
    (:data:`~config_explorer.engine.options.WORD_OPTIONS`) takes its word as written."""
    from config_explorer.engine.options import LIST_OPTIONS, WORD_OPTIONS

    given = getattr(args, "engine_option", None)
    if not given:
        return {}
    options: dict[str, int | float | bool | str] = {}
    for item in given:
        name, sep, raw = item.partition("=")
        word = raw.strip().lower()
        if sep and (name.strip() in WORD_OPTIONS or name.strip() in LIST_OPTIONS):
            # a word or a comma-separated list, checked by the API against what it accepts
            options[name.strip()] = raw.strip()
            continue
        try:
            if word in _SWITCH_WORDS:
                value: int | float | bool = _SWITCH_WORDS[word]
            else:
                value = int(raw) if re.fullmatch(r"[+-]?\d+", raw.strip()) else float(raw)
        except ValueError:
            value = math.nan
        if not sep or not name.strip() or not math.isfinite(value):
            raise InvalidArgumentError(
                f"--engine-option {short_repr(item)}: expected NAME=NUMBER (or NAME=true/false for a switch), "
                "e.g. scheduler_recv_interval=10 or async_scheduling=true"
            )
        options[name.strip()] = value
    return {"engine_options": options}


def _serving_knobs(args: argparse.Namespace) -> dict[str, Any]:
    """The precision, engine, memory share, layout and engine limits of one configuration."""
    return {
        "precision": args.precision,
        "kv_precision": args.kv_precision,
        "engine": args.engine,
        "gpu_memory_utilization": args.gpu_memory_utilization,
        "pipeline_parallel_size": args.pp,
        **_moe_layout(args),
        **_frontend(args),
        **_engine_options(args),
        **_engine_limits(args),
    }


def _add_moe_layout(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ep",
        type=int,
        default=1,
        help="MoE: expert-parallel ranks per stage, dividing --tp (each holds num_experts/ep whole experts)",
    )
    p.add_argument(
        "--dp-attention",
        type=int,
        default=1,
        help="MoE: attention data-parallel groups per stage, dividing --tp (each runs attention for its own "
        "sequences and holds their KV cache)",
    )
    p.add_argument(
        "--redundant-experts",
        type=int,
        default=0,
        help="MoE with --ep: extra copies of the busiest experts over the ranks (EPLB)",
    )
    p.add_argument(
        "--expert-imbalance",
        type=float,
        help="MoE with --ep: the busiest rank's load over the mean (default 1.2, from published deployments)",
    )
    _add_routing(p)
    p.add_argument(
        "--two-batch-overlap",
        action="store_true",
        help="with --dp-attention: two micro-batches per step, one's token exchange under the other's kernels "
        "(SGLang --enable-two-batch-overlap, vLLM --enable-dbo)",
    )


def _add_routing(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--expert-popularity-cv",
        type=float,
        help="MoE: how unevenly the traffic's tokens spread over the experts, the coefficient of variation of "
        "their popularity (default 0.7, published mixed-traffic routing; 0: uniform routing); skewed routing "
        "reads fewer distinct experts a decode step",
    )


def _moe_layout(args: argparse.Namespace) -> dict[str, Any]:
    """The MoE layout flags of commands that take them (others leave the defaults)."""
    if not hasattr(args, "ep"):
        return {}
    return {
        "expert_parallel_size": args.ep,
        "dp_attention": args.dp_attention,
        "redundant_experts": args.redundant_experts,
        "expert_imbalance": args.expert_imbalance,
        "expert_popularity_cv": args.expert_popularity_cv,
        "two_batch_overlap": args.two_batch_overlap,
    }


def _engine_limits(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "max_model_len": args.max_model_len,
        "max_num_seqs": args.max_num_seqs,
        "max_num_batched_tokens": args.max_num_batched_tokens,
    }


def _add_traffic(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--input-dist",
        help="prompt lengths per request instead of --input-len: LOW-HIGH (uniform) or N1,N2,... (empirical)",
    )
    p.add_argument("--output-dist", help="output lengths per request: LOW-HIGH or N1,N2,...")
    p.add_argument(
        "--request-rate", type=float, help="Poisson arrivals at this many requests/s instead of a closed loop"
    )
    p.add_argument(
        "--offline", action="store_true", help="every request queued at once (the engine forms its own batch)"
    )
    p.add_argument(
        "--num-requests", type=int, help="requests in the simulated run (default: enough for a steady state)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated lengths and arrivals")
    p.add_argument(
        "--serving-model",
        choices=["simulated", "analytic"],
        default="simulated",
        help="native engine: the scheduler simulated step by step (default) or the closed-form screen",
    )


def _add_features(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("prefix caching and speculative decoding (native engine)")
    g.add_argument(
        "--prefix-len",
        type=int,
        help="tokens of a shared prompt prefix (a system prompt) the prefix cache reuses",
    )
    g.add_argument(
        "--prefix-share", type=float, help="fraction of requests that carry the one shared prefix (default 1)"
    )
    g.add_argument(
        "--num-prefixes",
        type=int,
        help="distinct shared prefixes, every request carrying one (vllm bench serve --prefix-repetition-num-prefixes)",
    )
    g.add_argument(
        "--prefix-zipf",
        type=float,
        default=0.0,
        help="Zipf exponent of the prefixes' popularity (default 0: equal)",
    )
    g.add_argument(
        "--no-preset-prefix",
        action="store_true",
        help="leave out the --workload preset's shared prompt prefixes (chat: vllm bench serve's "
        "prefix_repetition defaults, 10 prefixes of 256 tokens)",
    )
    g.add_argument(
        "--speculative", metavar="METHOD", help="speculative decoding: eagle3, eagle, mtp, ngram, draft_model"
    )
    g.add_argument("--num-speculative-tokens", type=int, help="draft tokens per step (default: the method's)")
    g.add_argument(
        "--acceptance-rate",
        help="acceptance rate per draft position: one mean A, or A1,A2,... (default: the method's published figures)",
    )
    g.add_argument(
        "--draft-model",
        help="the draft checkpoint: the model of --speculative draft_model (sized from its config), and the "
        "draft a launch command names for eagle/eagle3 heads",
    )


def _features(args: argparse.Namespace) -> dict[str, Any]:
    """``prefix=`` and ``speculative=`` from the feature flags (both None when none is given)."""
    from config_explorer.engine.speculative import SpeculativeConfig
    from config_explorer.engine.traffic import SharedPrefix

    prefix = None
    if args.prefix_len is not None:
        if args.prefix_share is not None and args.num_prefixes is not None:
            raise InvalidArgumentError("give --prefix-share or --num-prefixes, not both")
        if args.num_prefixes is not None:
            prefix = SharedPrefix.distinct(args.prefix_len, args.num_prefixes, args.prefix_zipf)
        else:
            share = 1.0 if args.prefix_share is None else args.prefix_share
            prefix = SharedPrefix(length=args.prefix_len, share=share, zipf_s=args.prefix_zipf)
    elif args.prefix_share is not None or args.num_prefixes is not None:
        raise InvalidArgumentError("--prefix-share and --num-prefixes need --prefix-len")
    speculative = None
    if args.speculative is not None:
        rates: float | list[float] | None = None
        if args.acceptance_rate is not None:
            try:
                parts = [float(a) for a in args.acceptance_rate.split(",") if a.strip()]
            except ValueError:
                raise InvalidArgumentError(
                    f"cannot read --acceptance-rate {args.acceptance_rate!r}; accepted: A or A1,A2,... in (0, 1]"
                ) from None
            rates = parts[0] if len(parts) == 1 else parts
        extra = {"draft_model": args.draft_model} if args.draft_model else {}
        speculative = SpeculativeConfig.of(args.speculative, args.num_speculative_tokens, rates, **extra)
    elif args.num_speculative_tokens is not None or args.acceptance_rate is not None or args.draft_model:
        raise InvalidArgumentError(
            "--num-speculative-tokens, --acceptance-rate and --draft-model need --speculative METHOD"
        )
    return {"prefix": prefix, "speculative": speculative}


def _traffic(args: argparse.Namespace, isl: int | None, osl: int | None, concurrency: int) -> Any:
    """A Traffic when the arguments ask for more than a closed loop of fixed lengths, else None."""
    from config_explorer.engine.traffic import Lengths, Traffic, parse_lengths

    plain = not (
        args.input_dist
        or args.output_dist
        or args.request_rate is not None
        or args.offline
        or args.num_requests is not None
    )
    if plain and args.seed == 0:
        return None
    inputs = parse_lengths(args.input_dist, "--input-dist") if args.input_dist else None
    outputs = parse_lengths(args.output_dist, "--output-dist") if args.output_dist else None
    if inputs is None:
        if isl is None:
            raise InvalidArgumentError("give --input-len, --input-dist or --workload")
        inputs = Lengths.fixed(isl)
    if outputs is None:
        if osl is None:
            raise InvalidArgumentError("give --output-len, --output-dist or --workload")
        outputs = Lengths.fixed(osl)
    if args.request_rate is not None and args.offline:
        raise InvalidArgumentError("give --request-rate or --offline, not both")
    arrival = "poisson" if args.request_rate is not None else "offline" if args.offline else "closed_loop"
    return Traffic(
        input_lengths=inputs,
        output_lengths=outputs,
        arrival=arrival,
        concurrency=concurrency if arrival == "closed_loop" else None,
        request_rate=args.request_rate,
        num_requests=args.num_requests,
        seed=args.seed,
    )


def _preset_features(args: argparse.Namespace, isl: int, backend: str) -> tuple[dict[str, Any], str]:
    """``_features`` plus the ``--workload`` preset's own shared prefixes where they apply (the preset set
    the prompt length, no --prefix-len, a backend that models prefix caching), and the note saying so."""
    from config_explorer.backends import get_backend
    from config_explorer.recommender.performance import native_only_features, resolve_model
    from config_explorer.recommender.workloads import preset_prefix

    features = _features(args)
    if args.workload is None or features["prefix"] is not None:
        return features, ""
    needs = native_only_features(features["speculative"], None)
    name = "native" if backend == "native" else get_backend(backend, resolve_model(args.model), needs).name
    features["prefix"], note = preset_prefix(
        args.workload, isl, None, use_preset=not args.no_preset_prefix, backend_name=name
    )
    return features, note


def _lengths(args: argparse.Namespace) -> tuple[int, int]:
    dist_in, dist_out = getattr(args, "input_dist", None), getattr(args, "output_dist", None)
    if (dist_in or dist_out) and not args.workload:
        from config_explorer.engine.traffic import parse_lengths

        isl, osl = args.input_len, args.output_len
        if isl is None and dist_in:
            isl = max(round(parse_lengths(dist_in, "--input-dist").mean), 1)
        if osl is None and dist_out:
            osl = max(round(parse_lengths(dist_out, "--output-dist").mean), 1)
        if isl is None or osl is None:
            raise InvalidArgumentError(
                "give both prompt and output lengths (--input-len/--input-dist, --output-len/--output-dist)"
            )
        return validation.request_lengths(isl, osl)
    if args.workload is None and (args.input_len is None or args.output_len is None):
        raise InvalidArgumentError("give --input-len and --output-len, or --workload NAME")
    # a preset fills only a length left out: --input-len 0 is an error, not the preset's value
    return validation.request_lengths(args.input_len, args.output_len, args.workload)


def _add_slos(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-ttft-ms", type=float, help="SLO: time to first token, ms (at --slo-percentile)")
    p.add_argument("--max-itl-ms", type=float, help="SLO: inter-token latency, ms (at --slo-percentile)")
    p.add_argument(
        "--max-e2e-latency-s",
        "--max-e2e-s",
        dest="max_e2e_s",
        type=float,
        help="SLO: end-to-end latency, s (at --slo-percentile)",
    )
    p.add_argument("--constraints", help="llm-optimizer syntax, e.g. 'ttft:p95<300ms;itl:p95<20ms'")
    p.add_argument(
        "--slo-percentile",
        default="mean",
        help="statistic the --max-* bounds apply to: mean, p50 (or median), p95, p99",
    )


def _add_common(p: argparse.ArgumentParser, backend: bool = True) -> None:
    p.add_argument(
        "--precision", help="weight precision (default: the checkpoint's): bf16, fp16, fp8, int8, int4, ..."
    )
    p.add_argument("--kv-precision", help="KV-cache precision: bf16, fp16, fp8")
    if backend:
        p.add_argument("--backend", default="auto", help="native, llm-optimizer or auto (default)")
    p.add_argument(
        "--engine",
        default="vllm",
        help="serving engine profile: vllm (default), sglang, trtllm; a release may follow, e.g. vllm==0.19.0",
    )
    p.add_argument(
        "--gpu-memory-utilization",
        type=float,
        help="share of GPU memory the engine may use (default: the engine's own: vLLM 0.9, 0.92 from 0.21; SGLang "
        "its formula)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    _add_gpu_spec(p)
    _add_hub(p)


def _add_hub(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hub",
        action="store_true",
        help="look a model id the bundled catalog lacks up on the Hugging Face hub even when it looks like a "
        "typo of a bundled one (without --hub the hub is asked only for other ids, and never under "
        "HF_HUB_OFFLINE=1)",
    )


def _add_gpu_spec(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--gpu-spec",
        action="append",
        metavar="FILE",
        help="register a custom GPU from a JSON or TOML file laid out like the catalog's entries (repeatable)",
    )


# ---------------------------------------------------------------------------------------------- gpus
def cmd_gpus(args: argparse.Namespace) -> int:
    from config_explorer.catalogs.gpus import list_gpus
    from config_explorer.reports import fmt, render_table

    specs = list_gpus()
    if args.filter is not None:
        wanted = args.filter.strip().lower()
        chosen = [s for s in specs if any(wanted in text.lower() for text in (s.name, s.vendor, *s.aliases))]
        if not chosen:
            raise InvalidArgumentError(
                f"no GPU in the catalog matches {short_repr(args.filter)} (by name, vendor or alias); "
                f"accepted: part of any of {', '.join(s.name for s in specs)}"
            )
        specs = chosen
    if args.json:
        _emit_json([s.to_dict() for s in specs])
        return 0
    rows = [
        [
            s.name,
            s.vendor,
            fmt(s.memory_gib),
            fmt(s.memory_gb, 0),
            fmt(s.memory_bandwidth_tb_s, 2),
            fmt(s.tflops.bf16 or s.tflops.fp16, 0),
            fmt(s.tflops.fp8, 0),
            f"{s.interconnect_kind} {s.interconnect_bandwidth_gb_s:g}",
            fmt(s.tdp_w, 0),
            ", ".join(s.aliases[:3]),
        ]
        for s in specs
    ]
    print(
        render_table(
            [
                "GPU",
                "vendor",
                "GiB",
                "GB",
                "TB/s",
                "bf16 TFLOPS",
                "fp8 TFLOPS",
                "link GB/s",
                "TDP W",
                "aliases",
            ],
            rows,
        )
    )
    print("TFLOPS are dense (vendor figures with sparsity halved).")
    return 0


# ---------------------------------------------------------------------------------------------- models
def _billions(count: float | None) -> str:
    """A parameter count as people say it: 8.03B, 70.6B, 671B."""
    if not count:
        return "-"
    value = count / 1e9
    return f"{value:,.0f}B" if value >= 1000 else f"{value:.3g}B"


def cmd_models(args: argparse.Namespace) -> int:
    from config_explorer.architecture import load_model
    from config_explorer.catalogs.models import bundled_models
    from config_explorer.reports import render_table

    archs = [load_model(entry.model_id) for entry in bundled_models()]
    if args.filter is not None:
        wanted = args.filter.strip().lower()
        chosen = [a for a in archs if wanted in a.model_id.lower() or wanted in a.model_type.lower()]
        if not chosen:
            families = sorted({a.model_type for a in archs})
            raise InvalidArgumentError(
                f"no bundled model matches {short_repr(args.filter)} (by id or family); accepted: part of a "
                f"model id (config-explorer models lists them) or a family: {', '.join(families)}"
            )
        archs = chosen
    if args.json:
        _emit_json(
            [
                {
                    "model_id": a.model_id,
                    "family": a.model_type,
                    "architecture": a.architecture,
                    "moe": a.is_moe,
                    "total_params": a.total_params,
                    "active_params": a.active_params if a.is_moe else None,
                    "native_precision": a.native_precision,
                    "context_length": a.max_position_embeddings,
                }
                for a in archs
            ]
        )
        return 0
    rows = [
        [
            a.model_id,
            a.model_type,
            _billions(a.total_params),
            _billions(a.active_params if a.is_moe else None),
            a.native_precision,
            f"{a.max_position_embeddings:,}" if a.max_position_embeddings else "-",
        ]
        for a in archs
    ]
    print(render_table(["model", "family", "params", "active", "precision", "context"], rows))
    print(
        f"{len(rows)} bundled model(s); params are computed from each config.json (active: per token, MoE "
        "only); any other hub id or local config.json works too (config-explorer model ID)."
    )
    return 0


# ---------------------------------------------------------------------------------------------- model
def cmd_model(args: argparse.Namespace) -> int:
    from config_explorer.architecture import load_model

    arch = load_model(args.model)
    info = arch.summary()
    if args.json:
        _emit_json(info)
        return 0
    for key, value in info.items():
        if isinstance(value, float):
            value = f"{value:,.0f}" if value > 100 else f"{value:.3f}"
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        print(f"{key:40s} {value}")
    return 0


# ---------------------------------------------------------------------------------------------- estimate
def cmd_estimate(args: argparse.Namespace) -> int:
    from config_explorer.backends import EstimateRequest, get_backend, sweep_with
    from config_explorer.calibrate_cli import load_calibrations
    from config_explorer.catalogs.gpus import get_gpu
    from config_explorer.engine.slo import check_slos
    from config_explorer.recommender.calibrated import calibrated
    from config_explorer.recommender.performance import (
        checked_settings,
        estimate_performance,
        native_only_features,
        resolve_model,
    )
    from config_explorer.recommender.speculation import resolve_speculative
    from config_explorer.reports import estimate_text, fmt, render_table

    isl, osl = _lengths(args)
    slos = validation.slo_constraints(
        args.constraints, args.max_ttft_ms, args.max_itl_ms, args.max_e2e_s, args.slo_percentile
    )
    knobs = {**_serving_knobs(args), "serving_model": args.serving_model}
    features, prefix_note = _preset_features(args, isl, args.backend)
    calibration = load_calibrations(args.calibration)
    if not args.sweep:
        est = estimate_performance(
            args.model,
            args.gpu,
            args.num_gpus,
            args.tp,
            isl,
            osl,
            backend=args.backend,
            concurrency=args.concurrency,
            traffic=_traffic(args, isl, osl, args.concurrency),
            **knobs,
            **features,
            calibration=calibration,
        )
        misses = check_slos(est, slos) if est.ok else []
        if args.json:
            _emit_json(
                {
                    **est.to_dict(),
                    "slo_violations": misses,
                    "slos": [str(s) for s in slos],
                    "prefix_note": prefix_note,
                }
            )
        else:
            print(estimate_text(est))
            if prefix_note:
                print(f"prefix caching: {prefix_note}")
            if slos:
                print("SLOs: " + ("all met" if est.ok and not misses else "; ".join(misses) or "not checked"))
        return 0
    # the sweep's backend is chosen as the single estimate's is (auto: native when a feature needs it);
    # every point of the sweep is rescaled by the profile of its GPU type
    needs = native_only_features(
        features["speculative"], features["prefix"], {"ep": args.ep, "dp_attention": args.dp_attention}
    )
    backend = calibrated(get_backend(args.backend, resolve_model(args.model), needs), calibration)
    first = estimate_performance(
        args.model, args.gpu, args.num_gpus, args.tp, isl, osl, 1, backend, **knobs, **features
    )
    # the arguments passed the boundary in estimate_performance; the sweep takes their canonical form
    settings = checked_settings(input_length=isl, output_length=osl, batch_size=1, **knobs)
    arch = resolve_model(args.model)
    request = EstimateRequest(
        arch=arch,
        gpu=get_gpu(args.gpu),
        num_gpus=args.num_gpus,
        tp=first.tp if first.ok else args.tp,
        speculative=resolve_speculative(features["speculative"], arch, settings["engine"]),
        prefix=features["prefix"],
        **settings,
    )
    result = sweep_with(backend, request)
    meeting = [p for p in result.points if p.ok and not check_slos(p, slos)]
    best_slo = max(meeting, key=lambda p: p.output_throughput_tok_s or 0.0, default=None)
    if args.json:
        doc = result.to_dict()
        doc["slos"] = [str(s) for s in slos]
        doc["best_within_slos"] = best_slo.to_dict() if best_slo else None
        doc["prefix_note"] = prefix_note
        _emit_json(doc)
        return 0
    if not result.points or not result.points[0].ok:
        print(estimate_text(result.points[0] if result.points else first))
        return 0
    frontier = {p.concurrency for p in result.pareto_frontier}
    rows = [
        [
            fmt(p.concurrency),
            fmt(p.ttft_ms),
            fmt(p.ttft_p95_ms),
            fmt(p.itl_ms, 2),
            fmt(p.e2e_latency_s, 2),
            fmt(p.output_throughput_tok_s, 0),
            fmt(p.requests_per_s, 2),
            ("pareto " if p.concurrency in frontier else "")
            + ("" if not slos else ("meets SLO" if p in meeting else "misses SLO")),
        ]
        for p in result.points
    ]
    print(estimate_text(result.points[0]).split("\nlatency")[0])
    print(render_table(["conc", "TTFT ms", "TTFT p95", "ITL ms", "E2E s", "out tok/s", "req/s", ""], rows))
    if result.best_throughput:
        print(
            f"best throughput: concurrency {result.best_throughput.concurrency}; best latency: concurrency "
            f"{result.best_latency.concurrency if result.best_latency else '-'}; "
            f"optimal (knee): {result.optimal_concurrency}"
        )
    if slos:
        print(
            "best within SLOs: "
            + (
                f"concurrency {best_slo.concurrency}, {best_slo.output_throughput_tok_s:,.0f} tok/s"
                if best_slo
                else "none"
            )
        )
    return 0


# ---------------------------------------------------------------------------------------------- recommend
def _progress_printer(quiet: bool) -> Callable[[int, int], None] | None:
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < 200:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} layouts")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _gpu_names(values: list[str] | None) -> list[str] | None:
    """``--gpus`` as given: names apart (``H200 B200``) or comma-separated (``H200,B200``), as
    ``--parallelism`` takes its list."""
    if values is None:
        return None
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    if not names:
        raise InvalidArgumentError(f"--gpus needs at least one GPU name, got {' '.join(values)!r}")
    return names


def cmd_recommend(args: argparse.Namespace) -> int:
    from config_explorer.calibrate_cli import load_calibrations
    from config_explorer.recommender.costs import parse_gpu_cost
    from config_explorer.recommender.performance import resolve_model
    from config_explorer.recommender.recommend import recommend_gpus
    from config_explorer.reports import fmt, render_table

    names = [*(args.model or []), *(args.models or [])]
    if not names:
        raise InvalidArgumentError("give at least one --model (or --models M1 M2 ...)")
    for path, what in (
        (args.output_json, "the JSON document"),
        (args.csv, "the CSV table"),
        (args.plot, "the plot"),
        (args.html, "the HTML report"),
    ):
        if path is not None:
            check_output_path(path, what=what)  # a bad output path fails now, not after the search
    validation.integer("--top", args.top)
    gpus = _gpu_names(args.gpus)
    isl, osl = _lengths(args)
    costs = dict(parse_gpu_cost(c) for c in args.gpu_cost or [])
    limits = validation.engine_limits(args.max_model_len, args.max_num_seqs, args.max_num_batched_tokens)
    models = [resolve_model(name) for name in names]  # every model known before any is searched
    for arch in models:
        validation.check_fits_model(arch, isl, osl, limits["max_model_len"])
    features = _features(args)
    calibration = load_calibrations(args.calibration)
    results = []
    for model in models:
        results.append(
            recommend_gpus(
                model,
                isl,
                osl,
                gpus=gpus,
                max_gpus=args.max_gpus,
                metric=args.metric,
                constraints=args.constraints,
                max_ttft_ms=args.max_ttft_ms,
                max_itl_ms=args.max_itl_ms,
                max_e2e_latency_s=args.max_e2e_s,
                gpu_costs=costs or None,
                estimate_performance_flag=not args.no_estimate,
                backend=args.backend,
                num_gpus=args.num_gpus,
                concurrency=args.concurrency,
                target_requests_per_s=args.target_rps,
                target_output_tok_s=args.target_tok_s,
                slo_percentile=args.slo_percentile,
                precision=args.precision,
                kv_precision=args.kv_precision,
                engine=args.engine,
                gpu_memory_utilization=args.gpu_memory_utilization,
                **_engine_limits(args),
                progress=_progress_printer(args.quiet),
                workload=args.workload,
                all_layouts=args.all_layouts,
                default_slos=not args.no_default_slos,
                **features,
                calibration=calibration,
                preset_prefix=not args.no_preset_prefix,
                parallelism=args.parallelism,
                disaggregated=args.disaggregated,
                expert_popularity_cv=args.expert_popularity_cv,
                **_engine_options(args),
            )
        )
    document = {"results": [r.to_dict() for r in results]} if len(results) > 1 else results[0].to_dict()
    if args.output_json:
        from config_explorer._json import dumps_strict

        write_text(
            args.output_json, dumps_strict(document, indent=2, default=str) + "\n", what="the JSON document"
        )
    if args.csv:
        rows = [row for r in results for row in r.to_records()]
        table = io.StringIO(newline="")
        keys: list[str] = []
        for row in rows:
            keys.extend(k for k in row if k not in keys)
        writer = csv.DictWriter(table, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
        write_text(args.csv, table.getvalue(), what="the CSV table")
    if args.plot:
        from config_explorer.plots import plot_frontier

        plot_frontier(results, args.plot)
    if args.html:
        from config_explorer.html_report import write_html_report

        write_html_report(results, args.html)
    if args.json:
        _emit_json(document)
        return 0
    for r in results:
        print(r.summary(top=args.top))
        print()
    if len(results) > 1:
        print("Best GPU per model:")
        print(
            render_table(
                ["model", "best", "GPUs", "TP", "out tok/s", "tok/s/GPU", "E2E s"],
                [
                    [
                        r.model_id,
                        r.best.gpu if r.best else "none",
                        fmt(r.best.num_gpus if r.best else None),
                        fmt(r.best.tp if r.best else None),
                        fmt(
                            r.best.estimate.output_throughput_tok_s if r.best and r.best.estimate else None, 0
                        ),
                        fmt(
                            r.best.estimate.output_throughput_tok_s_per_gpu
                            if r.best and r.best.estimate
                            else None,
                            0,
                        ),
                        fmt(r.best.estimate.e2e_latency_s if r.best and r.best.estimate else None, 2),
                    ]
                    for r in results
                ],
            )
        )
    for path, what in (
        (args.output_json, "JSON"),
        (args.csv, "CSV"),
        (args.plot, "plot"),
        (args.html, "HTML"),
    ):
        if path:
            print(f"wrote {what} to {path}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------- serve-command
def cmd_serve_command(args: argparse.Namespace) -> int:
    from config_explorer.calibrate_cli import load_calibrations
    from config_explorer.engine.records import layout_text
    from config_explorer.recommender.performance import estimate_performance, resolve_model
    from config_explorer.recommender.serve_command import engine_flags, launch_limits, serve_command

    isl, osl = _lengths(args)
    flags = engine_flags(args.engine)  # an unknown engine fails before anything is estimated
    features, prefix_note = _preset_features(args, isl, "native")
    est = estimate_performance(
        args.model,
        args.gpu,
        args.num_gpus,
        args.tp,
        isl,
        osl,
        backend="native",
        concurrency=args.concurrency,
        precision=args.precision,
        kv_precision=args.kv_precision,
        engine=args.engine,
        gpu_memory_utilization=args.gpu_memory_utilization,
        pipeline_parallel_size=args.pp,
        **_moe_layout(args),
        **_frontend(args),
        **_engine_options(args),
        **_engine_limits(args),
        **features,
        calibration=load_calibrations(args.calibration),
    )
    if not est.ok:
        raise InvalidArgumentError(f"cannot build a launch command: {est.error}")
    arch = resolve_model(args.model)
    limits = launch_limits(arch, est)
    command = serve_command(
        arch, est, gpu_memory_utilization=args.gpu_memory_utilization, speculative_model=args.draft_model
    )
    context = arch.max_position_embeddings
    if limits.max_model_len is None:
        length = "max_model_len: the engine's (the model's config states no context)"
    elif limits.max_model_len == context:
        length = f"max_model_len {limits.max_model_len:,} (the model's context)"
    elif args.max_model_len is not None:
        length = f"max_model_len {limits.max_model_len:,} (as asked)"
    else:
        length = (
            f"max_model_len {limits.max_model_len:,} (the longest the KV cache holds; the model's context is "
            f"{context:,})"
            if context
            else f"max_model_len {limits.max_model_len:,}"
        )
    if args.json:
        _emit_json(
            {
                "model_id": est.model_id,
                "gpu": est.gpu,
                "num_gpus": est.num_gpus,
                "tp": est.tp,
                "pp": est.pp,
                "replicas": est.replicas,
                "engine": flags.engine,
                "engine_release": flags.release,
                "engine_flags_source": list(flags.source_paths),
                "concurrency": est.concurrency,
                "concurrency_per_replica": limits.concurrency_per_replica,
                "max_num_seqs": limits.max_num_seqs,
                "max_model_len": limits.max_model_len,
                "max_num_batched_tokens": limits.max_num_batched_tokens,
                "prefix_note": prefix_note,
                "command": command,
            }
        )
    else:
        copies = f"{est.replicas} replicas" if est.replicas > 1 else "1 replica"
        shape = layout_text(est.tp, est.pp, est.ep, est.dp_attention)
        print(f"# {flags.title}: {est.model_id} on {est.num_gpus} x {est.gpu}, {shape}, {copies}")
        print(
            f"# sized for {limits.concurrency_per_replica} requests in flight per replica (max_num_seqs "
            f"{limits.max_num_seqs}{' per attention group' if est.dp_attention > 1 else ''}); {length}"
        )
        if prefix_note:
            print(f"# prefix caching: {prefix_note}")
        print(command)
    return 0


# ---------------------------------------------------------------------------------------------- parse
def cmd_parse(args: argparse.Namespace) -> int:
    from config_explorer._files import PATH_QUOTE_CHARS, REPORT_LIMIT_BYTES, quote, read_stdin_text, read_text
    from config_explorer.backends.llm_optimizer_text import parse_llm_optimizer_output

    what = "llm-optimizer report"
    if args.file == "-":
        text = read_stdin_text(what=what, limit_bytes=REPORT_LIMIT_BYTES)
        source = "standard input"
    else:
        text = read_text(args.file, what=what, limit_bytes=REPORT_LIMIT_BYTES)
        source = quote(args.file, PATH_QUOTE_CHARS)
    parsed = parse_llm_optimizer_output(text, source=source)
    data = parsed.to_dict()
    if args.json:
        _emit_json(data)
    else:
        for key, value in data.items():
            print(f"{key:36s} {'-' if value is None else value}")
    return 0


# ---------------------------------------------------------------------------------------------- backends
def cmd_backends(args: argparse.Namespace) -> int:
    from config_explorer.backends import describe_backends, get_backend
    from config_explorer.recommender.performance import estimate_performance, resolve_model
    from config_explorer.reports import fmt, render_table

    # the probe's model and GPU are arguments like any other: an unknown one is an error, not a table row
    validation.gpu(args.probe_gpu, "--probe-gpu")
    statuses = describe_backends()
    auto = get_backend("auto", resolve_model(args.probe_model))
    probe = {
        "model": args.probe_model,
        "gpu": args.probe_gpu,
        "num_gpus": 1,
        "input_length": 1024,
        "output_length": 256,
        "concurrency": 8,
    }
    estimates: dict[str, Any] = {}
    for status in statuses:
        name = str(status["name"])
        if name == "llm-optimizer-cli" or not status.get("available"):
            continue
        try:
            est = estimate_performance(args.probe_model, args.probe_gpu, 1, None, 1024, 256, 8, name)
            estimates[name] = est.to_dict()
        except ConfigExplorerError as exc:
            estimates[name] = {"error": str(exc)}
    doc = {
        "backends": statuses,
        "auto_selects": auto.name,
        "auto_reason": str(getattr(auto, "reason", "")),
        "probe": probe,
        "estimates": estimates,
    }
    if args.json:
        _emit_json(doc)
        return 0
    print(
        render_table(
            ["backend", "available", "status", "version", "detail"],
            [
                [
                    str(s["name"]),
                    fmt(bool(s.get("available"))),
                    str(s.get("status", "ok" if s.get("available") else "-")),
                    str(s.get("version") or "-"),
                    str(s.get("detail") or s.get("path") or "")[:90],
                ]
                for s in statuses
            ],
        )
    )
    print(f"\nbackend='auto' selects for {args.probe_model}: {auto.name} ({getattr(auto, 'reason', '')})")
    print(f"probe: {args.probe_model} on 1 x {args.probe_gpu}, 1024 in / 256 out, concurrency 8")
    keys = [("ttft_ms", 1), ("itl_ms", 2), ("e2e_latency_s", 2), ("output_throughput_tok_s", 0), ("fits", 0)]
    rows = [
        [k]
        + [
            str(e["error"])[:40] if e.get("error") and k != "fits" else fmt(e.get(k), d)
            for e in estimates.values()
        ]
        for k, d in keys
    ]
    print(render_table(["metric", *estimates], rows))
    return 0


# ---------------------------------------------------------------------------------------------- compare-backends
def cmd_compare_backends(args: argparse.Namespace) -> int:
    from config_explorer.recommender.compare import compare_backends
    from config_explorer.reports import comparison_text

    isl, osl = _lengths(args)
    comparison = compare_backends(
        args.model,
        args.gpu,
        args.num_gpus,
        args.tp,
        isl,
        osl,
        args.concurrency,
        baseline=args.baseline,
        other=args.other,
        **_serving_knobs(args),
    )
    if args.json:
        _emit_json(comparison.to_dict())
    else:
        print(comparison_text(comparison))
    return 0


# ---------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from config_explorer import __version__
    from config_explorer.calibrate_cli import add_calibration_option
    from config_explorer.calibrate_cli import add_commands as add_calibration_commands

    parser = _Parser(
        prog="config-explorer",
        description="Which GPU, how many, and which layout to serve an LLM on, and what it will give.",
    )
    parser.add_argument("--version", action="version", version=f"config-explorer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("gpus", help="list the GPU catalog")
    p.add_argument(
        "filter", nargs="?", help="show only GPUs whose name, vendor or an alias contains this (any case)"
    )
    p.add_argument("--json", action="store_true", help="print every field of each spec as one JSON list")
    _add_gpu_spec(p)
    p.set_defaults(func=cmd_gpus)

    p = sub.add_parser("models", help="list the bundled models")
    p.add_argument("filter", nargs="?", help="show only models whose id or family contains this (any case)")
    p.add_argument("--json", action="store_true", help="print the list as one JSON document")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("model", help="show a model's architecture and derived figures")
    p.add_argument("model", help="hub id, short name (llama-3.1-70b), or path to config.json")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    _add_hub(p)
    p.set_defaults(func=cmd_model)

    p = sub.add_parser("estimate", help="estimate one configuration (or sweep concurrency)")
    p.add_argument("--model", required=True, help="model id, short name or path to config.json")
    p.add_argument("--gpu", required=True, help="GPU name or alias (config-explorer gpus lists them)")
    p.add_argument("--num-gpus", type=int, default=1, help="GPUs in the deployment; the rest become replicas")
    p.add_argument("--tp", type=int, help="tensor-parallel degree (default: smallest that fits)")
    p.add_argument("--pp", type=int, default=1, help="pipeline-parallel degree")
    _add_moe_layout(p)
    _add_frontend(p)
    _add_engine_options(p)
    _add_workload(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--concurrency",
        "--batch-size",
        dest="concurrency",
        type=int,
        default=1,
        help="requests in flight (closed loop)",
    )
    group.add_argument(
        "--sweep", action="store_true", help="sweep concurrency 1, 2, 4, ... 1024 and the KV limit"
    )
    _add_traffic(p)
    _add_features(p)
    _add_slos(p)
    _add_common(p)
    add_calibration_option(p)
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("recommend", help="rank GPU types, counts and layouts for one or more models")
    p.add_argument("--model", action="append", help="model id (repeat for several)")
    p.add_argument("--models", nargs="+", help="several model ids at once")
    p.add_argument(
        "--gpus",
        "--gpu",
        nargs="+",
        help="GPU names, apart or comma-separated (default: the whole catalog); --gpu, as `estimate` spells it, "
        "is the same option",
    )
    _add_workload(p)
    p.add_argument(
        "--max-gpus",
        type=int,
        help="largest GPU count per layout, and with a target load the most GPUs it may take in all "
        "(default: 8 per layout; 64 in all for a target load)",
    )
    p.add_argument("--num-gpus", type=int, help="exactly this many GPUs per layout")
    p.add_argument(
        "--metric",
        help="rank by: throughput, throughput_per_gpu, ttft, itl, e2e_latency (latency), cost_per_hour, "
        "cost_per_million_tokens, throughput_per_dollar, cost or gpus_for_target (with a target), fit "
        "(memory only); default: the cheapest deployment meeting the SLOs ($/M output tokens; with a "
        "target, $/h for it; with no prices, GPUs needed)",
    )
    p.add_argument(
        "--all-layouts", action="store_true", help="rank every layout, not only each GPU type's best"
    )
    p.add_argument(
        "--disaggregated",
        action="store_true",
        help="with --target-rps or --target-tok-s: also search prefill and decode on separate pools and compare "
        "the best such plan with the best aggregated one (native engine)",
    )
    _add_engine_options(p)
    _add_routing(p)
    p.add_argument(
        "--parallelism",
        default="tp,pp,ep,dp-attention",
        help="the ways of splitting a model to search, comma-separated from tp, pp, ep, dp-attention "
        "(default: all; ep and dp-attention apply to MoE models on the native engine)",
    )
    p.add_argument(
        "--no-default-slos",
        action="store_true",
        help="do not apply the --workload preset's default SLOs (MLPerf Inference's server scenarios)",
    )
    p.add_argument("--concurrency", type=int, help="judge every layout at this concurrency")
    p.add_argument("--target-rps", type=float, help="requests/s to serve: size replicas and cost")
    p.add_argument("--target-tok-s", type=float, help="output tokens/s to serve: size replicas and cost")
    p.add_argument("--gpu-cost", action="append", metavar="GPU=USD", help="$/GPU-hour override (repeatable)")
    p.add_argument("--no-estimate", action="store_true", help="rank by memory fit only (fast planning)")
    p.add_argument("--top", type=int, default=10, help="rows to print per model")
    p.add_argument("--csv", metavar="FILE", help="write every candidate as CSV")
    p.add_argument("--output-json", metavar="FILE", help="write the JSON document to FILE")
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="throughput per GPU against tokens/s per user, one curve per GPU type's best layout, SLO lines "
        "(needs the plot extra)",
    )
    p.add_argument(
        "--html",
        metavar="FILE.html",
        help="one self-contained page (inline SVG and CSS, no scripts, no network): the question, the ranked "
        "table, the frontier, the caveats and the launch command, for people who do not run Python",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_features(p)
    _add_slos(p)
    _add_common(p)
    add_calibration_option(p)
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser(
        "serve-command", help="the launch command of vLLM, SGLang or TensorRT-LLM for a configuration"
    )
    p.add_argument("--model", required=True, help="model id, short name or path to config.json")
    p.add_argument("--gpu", required=True, help="GPU name or alias (config-explorer gpus lists them)")
    p.add_argument("--num-gpus", type=int, default=1, help="GPUs in the deployment; the rest become replicas")
    p.add_argument("--tp", type=int, help="tensor-parallel degree (default: the smallest that fits)")
    p.add_argument("--pp", type=int, default=1, help="pipeline-parallel degree")
    _add_moe_layout(p)
    _add_frontend(p)
    _add_engine_options(p)
    p.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="requests in flight (all replicas) the server is sized for; --max-num-seqs is never below "
        "each replica's share",
    )
    p.add_argument(
        "--engine",
        default="vllm",
        help="vllm (vllm serve), sglang (python -m sglang.launch_server) or trtllm (trtllm-serve); also "
        "spelled tensorrt-llm, trt-llm; a release may follow, e.g. vllm==0.19.0",
    )
    p.add_argument(
        "--precision", help="weight precision (default: the checkpoint's): bf16, fp16, fp8, int4, ..."
    )
    p.add_argument("--kv-precision", help="KV-cache precision: bf16, fp16, fp8 (trtllm also int8)")
    p.add_argument(
        "--gpu-memory-utilization",
        type=float,
        help="share of GPU memory the engine may use, written as vLLM's --gpu-memory-utilization, SGLang's "
        "--mem-fraction-static or TensorRT-LLM's --kv_cache_free_gpu_memory_fraction (default: the engine's)",
    )
    _add_workload(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object: the layout, the limits and the chosen engine's command",
    )
    _add_features(p)
    _add_gpu_spec(p)
    _add_hub(p)
    add_calibration_option(p)
    p.set_defaults(func=cmd_serve_command)

    p = sub.add_parser(
        "compare-backends",
        help="one configuration on two backends (native and llm-optimizer) side by side, with the reasons",
    )
    p.add_argument("--model", required=True, help="model id, short name or path to config.json")
    p.add_argument("--gpu", required=True, help="GPU name or alias (config-explorer gpus lists them)")
    p.add_argument("--num-gpus", type=int, default=1, help="GPUs in the deployment; the rest become replicas")
    p.add_argument(
        "--tp", type=int, help="tensor-parallel degree (default: the baseline's smallest that fits)"
    )
    p.add_argument("--pp", type=int, default=1, help="pipeline-parallel degree")
    p.add_argument(
        "--concurrency",
        "--batch-size",
        dest="concurrency",
        type=int,
        default=1,
        help="requests in flight (closed loop)",
    )
    _add_workload(p)
    p.add_argument("--baseline", default="native", help="the backend compared against (default: native)")
    p.add_argument("--other", default="llm-optimizer", help="the backend compared (default: llm-optimizer)")
    _add_common(p, backend=False)
    p.set_defaults(func=cmd_compare_backends)

    p = sub.add_parser("parse", help="parse a saved `llm-optimizer estimate` text report")
    p.add_argument("file", help="report file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("backends", help="which estimation backends are usable, and how far they disagree")
    p.add_argument(
        "--probe-model", default="meta-llama/Llama-3.1-8B-Instruct", help="model of the probe estimate"
    )
    p.add_argument("--probe-gpu", default="H100", help="GPU of the probe estimate (1 GPU, 1024 in / 256 out)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=cmd_backends)
    add_calibration_commands(sub)
    _finish_help(parser, sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (one line already on stderr), --help or --version
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if getattr(args, "gpu_spec", None):
            from config_explorer.catalogs.gpus import register_gpu

            for path in args.gpu_spec:
                register_gpu(path, replace=True)
        from config_explorer.catalogs.models import hub_access

        with hub_access(True if getattr(args, "hub", False) else None):
            code: int = args.func(args)
        return code
    except ConfigExplorerError as exc:
        message = " ".join(str(exc).split())
        print(f"config-explorer: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("config-explorer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
