"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from config_explorer.catalogs.models import bundled_models

MODEL_IDS = [e.model_id for e in bundled_models()]
DENSE_SMALL = ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-8B", "mistralai/Mistral-7B-v0.1", "google/gemma-2-9b"]
VARIED = [
    "meta-llama/Llama-3.1-8B",
    "Qwen/Qwen3-30B-A3B",
    "openai/gpt-oss-20b",
    "ibm-granite/granite-4.0-h-tiny",
    "mistralai/Mixtral-8x7B-v0.1",
    "google/gemma-2-9b",
]
GPUS = ["H100", "H200", "A100", "L40S", "MI300X", "B200", "L4"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

CONFIG_KEYS = [
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
    "vocab_size",
    "head_dim",
    "num_local_experts",
    "num_experts",
    "num_experts_per_tok",
    "moe_intermediate_size",
    "sliding_window",
    "layer_types",
    "kv_lora_rank",
    "tie_word_embeddings",
    "quantization_config",
    "torch_dtype",
    "model_type",
    "text_config",
    "mamba_n_heads",
    "mamba_d_head",
    "mamba_d_state",
    "first_k_dense_replace",
]


@st.composite
def mutated_config(draw: st.DrawFn) -> dict[str, Any]:
    """A real bundled config with a few keys deleted or replaced by arbitrary JSON values."""
    from config_explorer.catalogs.models import find_bundled

    entry = find_bundled(draw(st.sampled_from(MODEL_IDS)))
    assert entry is not None
    config: dict[str, Any] = json.loads(json.dumps(entry.config))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(CONFIG_KEYS))
        if draw(st.booleans()):
            config.pop(key, None)
        else:
            config[key] = draw(json_values | st.integers(-5, 5) | st.just(0))
    return config


# ---------------------------------------------------------------------------------------------- CLI arguments
# The command line's argument space for the fuzz tests (tests/test_fuzz_cli.py) and benchmarks/fuzz_cli.py:
# each option is left out or given, its value usually valid and sometimes not (huge, negative, zero, inf,
# nan, text where a number belongs, unknown names, aliases). Sizes stay small where the value is valid so
# each call takes well under a second; the invalid ones are rejected before any work.
BAD_INTS = ["0", "-1", "-7", "2147483648", "99999999999999999999999", "1e3", "3.5", "abc", "", "nan", "inf"]
BAD_FLOATS = ["0", "-1", "-0.5", "inf", "-inf", "nan", "NaN", "1e400", "abc", "", "1e-320"]
CLI_MODELS = ["Qwen/Qwen3-8B", "microsoft/phi-2", "meta-llama/Llama-3.1-8B", "Qwen/Qwen3-30B-A3B"]
BAD_MODELS = ["nobody/none", "", "-1", "Qwen/Qwen3-8"]
CLI_GPUS = ["H100", "h100-sxm", "L40S", "A100", "MI300X", "L4", "B200"]
BAD_GPUS = ["H1000", "-1", "", "nvidia"]
PRECISIONS = ["bf16", "fp16", "fp8", "int8", "int4", "fp4", "mxfp4", "FP8", "bfloat16", "awq"]
BAD_PRECISIONS = ["fp7", "", "int3", "[fp8]"]
KV_PRECISIONS = ["bf16", "fp16", "fp8", "fp8_e5m2", "int8", "int4", "fp4"]
ENGINES = ["vllm", "sglang", "trtllm", "tensorrt-llm", "TRT_LLM", "trt-llm", "TensorRT-LLM", "vllm==0.19.0"]
BAD_ENGINES = ["llama.cpp", "vllm==", "vllm==x", "", "tgi"]
BACKENDS = ["native", "auto", "roofline"]
BAD_BACKENDS = ["llm-optimizer", "nope", ""]
WORKLOADS = ["chat", "rag", "code", "CHAT", "summarization"]
BAD_WORKLOADS = ["nap", ""]
METRICS = ["throughput", "throughput_per_gpu", "ttft", "itl", "latency", "cost_per_hour", "fit", "cost"]
BAD_METRICS = ["bogus", "", "Throughput-Per-Dollar!"]
CONSTRAINTS = ["ttft:p95<300ms", "itl<20ms", "e2e_latency<30s;ttft<2000ms", "ttft<1e999ms"]
BAD_CONSTRAINTS = ["bogus", "ttft<", "ttft:p42<1ms"]
DISTS = ["100-200", "64,128,512", "256", "1-1"]
BAD_DISTS = ["0-5", "5-1", "x", "", "-3"]


def _chance(percent: int) -> st.SearchStrategy[bool]:
    """True about ``percent`` times in a hundred (hypothesis favours a list's first entry: False goes first)."""
    return st.sampled_from([False] * (100 - percent) + [True] * percent)


def _mostly(valid: st.SearchStrategy[str], invalid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid nine times in ten: with several options per call, enough calls get past the boundary."""
    return _chance(10).flatmap(lambda bad: invalid if bad else valid)


def _ints(low: int, high: int, extra: Sequence[str] = (), bad: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """An integer in ``[low, high]`` or one of ``extra`` (valid); one of ``bad`` or BAD_INTS one time in ten."""
    valid = st.integers(low, high).map(str) | st.sampled_from([*extra, str(low)])
    return _mostly(valid, st.sampled_from([*bad, *BAD_INTS]))


def _floats(
    low: float, high: float, extra: Sequence[str] = (), bad: Sequence[str] = ()
) -> st.SearchStrategy[str]:
    valid = st.floats(low, high, allow_nan=False).map(repr) | st.sampled_from([*extra, repr(high)])
    return _mostly(valid, st.sampled_from([*bad, *BAD_FLOATS]))


def _names(valid: list[str], invalid: list[str]) -> st.SearchStrategy[str]:
    return _mostly(st.sampled_from(valid), st.sampled_from(invalid))


@st.composite
def _options(draw: st.DrawFn, table: dict[str, st.SearchStrategy[str]], percent: int = 15) -> list[str]:
    """Each ``--flag=value`` of ``table`` given ``percent`` times in a hundred (``=`` keeps ``-inf`` a value)."""
    argv: list[str] = []
    for flag, values in table.items():
        if draw(_chance(percent)):
            argv.append(f"{flag}={draw(values)}")
    return argv


@st.composite
def _switches(draw: st.DrawFn, *flags: str) -> list[str]:
    return [flag for flag in flags if draw(st.booleans())]


def _workload_options() -> dict[str, st.SearchStrategy[str]]:
    return {
        "--input-len": _ints(1, 2048, bad=["10000000", "10000001"]),
        "--output-len": _ints(1, 512, ["1", "2"]),
        "--max-model-len": _ints(2600, 32768, ["16384", "32768"], bad=["64", "999999999"]),
        "--max-num-seqs": _ints(1, 512, ["1024", "2048"]),
        "--max-num-batched-tokens": _ints(2048, 16384, ["8192"], bad=["1", "512"]),
    }


def _common_options() -> dict[str, st.SearchStrategy[str]]:
    return {
        "--precision": _names(PRECISIONS, BAD_PRECISIONS),
        "--kv-precision": _names(KV_PRECISIONS, BAD_PRECISIONS),
        "--backend": _names(BACKENDS, BAD_BACKENDS),
        "--engine": _names(ENGINES, BAD_ENGINES),
        "--gpu-memory-utilization": _floats(0.3, 1.0, ["1", "0.9"]),
        "--max-ttft-ms": _floats(1.0, 1e5),
        "--max-itl-ms": _floats(1.0, 1e3),
        "--max-e2e-latency-s": _floats(0.1, 600.0),
        "--constraints": _names(CONSTRAINTS, BAD_CONSTRAINTS),
        "--slo-percentile": _names(["mean", "p50", "p95", "p99", "median"], ["p42", ""]),
    }


@st.composite
def estimate_argv(draw: st.DrawFn) -> list[str]:
    """``config-explorer estimate ...``: one configuration, a sweep, or a simulated traffic pattern."""
    argv = ["estimate", f"--model={draw(_names(CLI_MODELS, BAD_MODELS))}"]
    argv.append(f"--gpu={draw(_names(CLI_GPUS, BAD_GPUS))}")
    if draw(_chance(50)):
        argv.append(f"--workload={draw(_names(WORKLOADS, BAD_WORKLOADS))}")
    else:  # lengths without a preset (sometimes one missing: an error)
        argv += [f"--input-len={draw(_ints(1, 2048))}", f"--output-len={draw(_ints(1, 512))}"][
            : draw(st.sampled_from([2] * 9 + [1]))
        ]
    argv += draw(
        _options(
            {
                "--num-gpus": _ints(1, 8, ["4096"], bad=["4097"]),
                "--tp": _ints(1, 8, ["3"]),
                "--pp": _ints(1, 2),
                **_workload_options(),
                **_common_options(),
                "--serving-model": _names(["simulated", "analytic"], ["exact"]),
            },
            percent=12,
        )
    )
    if draw(_chance(15)):
        argv.append("--sweep")
    else:
        argv += draw(_options({"--concurrency": _ints(1, 256, ["100000"], bad=["100001"])}, percent=70))
    if draw(_chance(25)):  # traffic beyond a closed loop of fixed lengths
        argv += draw(
            _options(
                {
                    "--input-dist": _names(DISTS, BAD_DISTS),
                    "--output-dist": _names(DISTS, BAD_DISTS),
                    "--request-rate": _floats(0.1, 50.0, ["1000000"], bad=["1000001"]),
                    "--num-requests": _ints(1, 300, bad=["20001"]),
                    "--seed": _ints(0, 10, ["18446744073709551615"], bad=["18446744073709551616"]),
                },
                percent=40,
            )
        )
        argv += draw(st.sampled_from([[], [], ["--offline"]]))
    return argv + draw(_switches("--json"))


@st.composite
def recommend_argv(draw: st.DrawFn) -> list[str]:
    """``config-explorer recommend ...`` over one or two GPU types and a few GPUs per layout."""
    argv = ["recommend"]
    for _ in range(draw(st.sampled_from([1] * 12 + [2, 2, 0]))):
        argv.append(f"--model={draw(_names(CLI_MODELS, BAD_MODELS))}")
    gpus = draw(st.lists(_names(CLI_GPUS, BAD_GPUS), min_size=1, max_size=2))
    argv += ["--gpus", *gpus]
    argv.append(f"--max-gpus={draw(_ints(1, 4, bad=['513', '2147483648']))}")
    if draw(_chance(85)):
        argv.append(f"--workload={draw(_names(WORKLOADS, BAD_WORKLOADS))}")
    else:
        argv += [f"--input-len={draw(_ints(1, 2048))}", f"--output-len={draw(_ints(1, 512))}"]
    argv += draw(
        _options(
            {
                **_workload_options(),
                **_common_options(),
                "--num-gpus": _ints(1, 4, ["512"], bad=["4096"]),
                "--metric": _names(METRICS, BAD_METRICS),
                "--concurrency": _ints(1, 256, bad=["20001", "100000"]),
                "--target-rps": _floats(0.5, 1000.0, ["10000000"]),
                "--target-tok-s": _floats(10.0, 1e6, ["10000000000"]),
                "--gpu-cost": _names(
                    ["H100=2.5", "L40S=1", "A100=1e-3", "h100-sxm=999"],
                    ["H100=inf", "H100=-1", "H100=nan", "H100", "nope=1", "H100=1e9"],
                ),
                "--top": _ints(1, 5, ["1000000"]),
            },
            percent=12,
        )
    )
    return argv + draw(_switches("--no-estimate", "--json")) + ["--quiet"]


@st.composite
def other_argv(draw: st.DrawFn) -> list[str]:
    """``serve-command``, ``model``, ``gpus`` and ``backends``."""
    command = draw(st.sampled_from(["serve-command", "serve-command", "model", "gpus", "backends"]))
    if command == "serve-command":
        argv = [
            command,
            f"--model={draw(_names(CLI_MODELS, BAD_MODELS))}",
            f"--gpu={draw(_names(CLI_GPUS, BAD_GPUS))}",
        ]
        argv.append(f"--workload={draw(_names(WORKLOADS, BAD_WORKLOADS))}")
        argv += draw(
            _options(
                {
                    "--num-gpus": _ints(1, 8, bad=["4097"]),
                    "--tp": _ints(1, 8),
                    "--concurrency": _ints(1, 256),
                    "--precision": _names(PRECISIONS, BAD_PRECISIONS),
                    "--kv-precision": _names(KV_PRECISIONS, BAD_PRECISIONS),
                    **_workload_options(),
                }
            )
        )
    elif command == "model":
        argv = [command, draw(_names(CLI_MODELS, BAD_MODELS[:2]))]
    elif command == "backends":
        argv = [command]
        argv += draw(
            _options(
                {"--probe-gpu": _names(CLI_GPUS, BAD_GPUS), "--probe-model": _names(CLI_MODELS, BAD_MODELS)},
                percent=60,
            )
        )
    else:
        argv = [command]
    return argv + draw(_switches("--json"))


def cli_argv() -> st.SearchStrategy[list[str]]:
    """Any subcommand's arguments, valid and invalid (what benchmarks/fuzz_cli.py draws from)."""
    return estimate_argv() | recommend_argv() | other_argv()


@st.composite
def closed_loop_argv(draw: st.DrawFn) -> list[str]:
    """Valid ``estimate --json`` runs of a closed loop of fixed lengths: every record must obey Little's law."""
    argv = [
        "estimate",
        f"--model={draw(st.sampled_from(CLI_MODELS))}",
        f"--gpu={draw(st.sampled_from(CLI_GPUS))}",
        f"--num-gpus={draw(st.sampled_from([1, 2, 4]))}",
        f"--input-len={draw(st.integers(16, 1024))}",
        f"--output-len={draw(st.integers(2, 512))}",
        f"--engine={draw(st.sampled_from(ENGINES))}",
        f"--serving-model={draw(st.sampled_from(['simulated', 'analytic']))}",
        "--json",
    ]
    if draw(_chance(15)):
        return [*argv, "--sweep"]
    return [*argv, f"--concurrency={draw(st.integers(1, 512))}"]
