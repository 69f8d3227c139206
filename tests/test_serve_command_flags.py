"""Launch commands: every option is one the engine's own source defines, and the limits are safe to paste.

The option lists are package data (``config_explorer/data/engine_flags/<engine>.json``), each read from
the engine's source and naming the release and the files. These tests check every command generated
over many models, GPUs, layouts, precisions and engines against those lists, and the limits against
the estimate they were made for.
"""

from __future__ import annotations

import json
import math
import shlex
from importlib import resources

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.architecture import bundled_checkpoints
from config_explorer.catalogs.models import bundled_models
from config_explorer.cli import main
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.traffic import Lengths, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.serve_command import (
    ENGINES,
    HEAD_NODE_PLACEHOLDER,
    NODE_RANK_PLACEHOLDER,
    SGLANG_DIST_INIT_PORT,
    TRTLLM_OPTIONS_FILE,
    engine_flags,
    launch_limits,
    replica_nodes,
    serve_command,
    serve_commands,
)

PROGRAMS = {
    "vllm": ["vllm", "serve"],
    "sglang": ["python", "-m", "sglang.launch_server"],
    "trtllm": ["trtllm-serve"],
}
MODELS = [entry.model_id for entry in bundled_models()]
GPUS = ["H100", "H200", "A100", "L40S", "L4", "B200", "MI300X", "RTX 4090"]


def _raw(engine: str) -> dict[str, object]:
    text = (resources.files("config_explorer") / "data" / "engine_flags" / f"{engine}.json").read_text(
        "utf-8"
    )
    data: dict[str, object] = json.loads(text)
    return data


def _command_lines(command: str) -> list[list[str]]:
    """The shell lines of a command (comment lines dropped), each split as the shell would."""
    return [shlex.split(line) for line in command.splitlines() if line.strip() and not line.startswith("#")]


def _options(argv: list[str]) -> dict[str, str | None]:
    """``--option value`` pairs of one line (a value never starts with ``--``)."""
    found: dict[str, str | None] = {}
    for i, token in enumerate(argv):
        if token.startswith("--"):
            following = argv[i + 1] if i + 1 < len(argv) else None
            found[token] = None if following is None or following.startswith("--") else following
    return found


def _server_line(engine: str, command: str) -> list[str]:
    program = PROGRAMS[engine]
    lines = [argv for argv in _command_lines(command) if argv[: len(program)] == program]
    assert len(lines) == 1, command
    return lines[0]


def assert_valid(engine: str, command: str) -> dict[str, str | None]:
    """Every option of every line is in ``engine``'s list, with an accepted value where the list has values."""
    flags = engine_flags(engine)
    server = _server_line(engine, command)
    for argv in _command_lines(command):
        if argv[:1] == ["printf"]:  # writes TensorRT-LLM's options file; the server line reads it
            assert engine == "trtllm" and argv[-2:] == [">", TRTLLM_OPTIONS_FILE], command
            continue
        assert argv == server, f"unexpected line in {command!r}"
    options = _options(server)
    unknown = sorted(set(options) - flags.flags)
    assert not unknown, f"{engine} {flags.release} has no option {unknown}: {command}"
    for option, value in options.items():
        accepted = flags.values.get(option)
        if accepted is not None:
            assert value in accepted, f"{option} {value} is not one of {engine}'s {accepted}"
    if engine == "trtllm":  # the older stored serve.py has every option used too
        also_checked = _raw("trtllm")["also_checked"]
        assert isinstance(also_checked, dict)
        older = set(also_checked["flags"])
        assert set(options) <= older, sorted(set(options) - older)
    return options


# -- the data files --------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_each_flag_list_names_its_release_and_source(engine: str) -> None:
    data = _raw(engine)
    for key in (
        "engine",
        "program",
        "release",
        "source_paths",
        "obtained_from",
        "read_on",
        "method",
        "flags",
    ):
        assert data.get(key), f"{engine}.json lacks {key}"
    flags = engine_flags(engine)
    assert flags.engine == engine and len(flags.flags) >= 20
    assert all(f.startswith("--") and " " not in f for f in flags.flags)
    assert flags.program.split()[: len(PROGRAMS[engine])] == PROGRAMS[engine]


def test_the_lists_are_the_engines_own_spellings() -> None:
    """Spot checks against the sources: vLLM and SGLang spell with dashes, TensorRT-LLM with underscores."""
    assert {"--tensor-parallel-size", "--max-model-len", "--max-num-seqs"} <= engine_flags("vllm").flags
    assert engine_flags("vllm").release == "0.34.0"
    sglang = engine_flags("sglang")
    assert {"--model-path", "--tp-size", "--context-length", "--max-running-requests"} <= sglang.flags
    # SGLang 0.5.23 defines no --tp or --dp: the old commands relied on argparse's prefix matching
    assert "--tp" not in sglang.flags and "--dp" not in sglang.flags
    assert {"--tp_size", "--max_seq_len", "--max_batch_size"} <= engine_flags("trtllm").flags
    assert engine_flags("tensorrt-llm").engine == engine_flags("TRT_LLM==1.2.1").engine == "trtllm"


def test_an_unknown_engine_names_the_value_and_the_accepted_ones() -> None:
    with pytest.raises(InvalidArgumentError, match=r"'tgi'.*accepted: vllm, sglang, trtllm"):
        engine_flags("tgi")


# -- every model, each engine ----------------------------------------------------------------------
@pytest.mark.parametrize("model", MODELS)
def test_every_bundled_model_gets_valid_commands(model: str) -> None:
    def estimate(num_gpus: int) -> PerformanceEstimate:
        return estimate_performance(
            model,
            "H200",
            num_gpus,
            None,
            1024,
            256,
            concurrency=64,
            backend="native",
            serving_model="analytic",
        )

    est = estimate(8)
    # weights beyond one 8-GPU node take two (Kimi K2: 1.03 TB at FP8) or four (Kimi K3: 1.55 TB at MXFP4)
    if not est.fits:
        est = estimate(16)
    if not est.fits:
        est = estimate(32)
    assert est.ok, est.error
    arch = load_model(model)
    for engine, command in serve_commands(arch, est).items():
        options = assert_valid(engine, command)
        assert options  # at least the layout


@st.composite
def _configurations(draw: st.DrawFn) -> dict[str, object]:
    engine = draw(st.sampled_from(["vllm", "sglang", "trtllm"]))
    kv = draw(st.sampled_from([None, None, "fp8", "bf16"] + (["int8"] if engine == "trtllm" else [])))
    return {
        "model_id": draw(st.sampled_from(MODELS)),
        "gpu_name": draw(st.sampled_from(GPUS)),
        "num_gpus": draw(st.sampled_from([1, 2, 4, 8])),
        "pipeline_parallel_size": draw(st.sampled_from([1, 1, 1, 2])),
        "input_length": draw(st.sampled_from([128, 512, 1024, 4096, 10240])),
        "output_length": draw(st.sampled_from([16, 256, 1024])),
        "concurrency": draw(st.integers(1, 3000)),
        "precision": draw(st.sampled_from([None, None, "fp8", "bf16", "int4", "int8"])),
        "kv_precision": kv,
        "engine": engine,
        "gpu_memory_utilization": draw(st.sampled_from([None, None, 0.85, 0.95])),
        "max_num_seqs": draw(st.sampled_from([None, None, None, 16, 256])),
        "max_num_batched_tokens": draw(st.sampled_from([None, None, 2048, 16384])),
    }


@settings(max_examples=300, deadline=None)
@given(_configurations())
def test_generated_commands_use_only_the_engines_options(config: dict[str, object]) -> None:
    util = config.pop("gpu_memory_utilization")
    try:
        est = estimate_performance(
            **config,  # type: ignore[arg-type]
            backend="native",
            serving_model="analytic",
            gpu_memory_utilization=util,  # type: ignore[arg-type]
        )
    except InvalidArgumentError:
        assume(False)  # a layout the model cannot take (heads not divisible, budget below max_num_seqs)
    assume(est.ok)
    arch = load_model(str(config["model_id"]))
    limits = launch_limits(arch, est)
    for engine in ENGINES:
        command = serve_command(arch, est, engine, gpu_memory_utilization=util)  # type: ignore[arg-type]
        options = assert_valid(engine, command)
        seqs = {"vllm": "--max-num-seqs", "sglang": "--max-running-requests", "trtllm": "--max_batch_size"}
        assert int(options[seqs[engine]] or 0) == limits.max_num_seqs
    _check_limits(arch.max_position_embeddings, est, limits)


def _check_limits(context: int | None, est: PerformanceEstimate, limits: object) -> None:
    from config_explorer.recommender.serve_command import LaunchLimits

    assert isinstance(limits, LaunchLimits)
    per_replica = math.ceil(est.concurrency / est.replicas)
    assert limits.concurrency_per_replica == per_replica
    assert limits.max_num_seqs >= per_replica  # never below the load the estimate was made at
    if est.arrival == "closed_loop" and est.max_num_seqs and est.max_num_seqs >= per_replica:
        assert limits.max_num_seqs <= est.max_num_seqs
        assert limits.max_num_seqs % 8 == 0 or limits.max_num_seqs == est.max_num_seqs
    if limits.max_num_batched_tokens is not None:
        assert limits.max_num_batched_tokens >= limits.max_num_seqs  # vLLM refuses to start otherwise
    request = est.input_length + est.output_length
    assert limits.max_model_len is not None and limits.max_model_len >= request
    if context is not None:
        assert limits.max_model_len <= context
    # the estimate's max_model_len: the model's context, or the longest the KV cache holds
    assert limits.max_model_len == (est.max_model_len or context)


# -- the examples the issue named --------------------------------------------------------------------
def test_the_readme_example_is_sized_for_its_concurrency(capsys: pytest.CaptureFixture[str]) -> None:
    """It printed --max-num-seqs 3 (twice the concurrency, capped by the KV cache at full context)."""
    argv = ["serve-command", "--model", "meta-llama/Llama-3.1-70B", "--gpu", "H100", "--num-gpus", "4"]
    assert main([*argv, "--workload", "rag", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    options = assert_valid("vllm", doc["command"])
    assert int(options["--max-num-seqs"] or 0) >= 32 == doc["concurrency"]
    assert options["--max-model-len"] == "131072"  # the model's context fits the KV cache here
    assert doc["engine"] == "vllm" and doc["engine_release"] == "0.34.0"


def test_chat_commands_accept_requests_longer_than_the_preset(capsys: pytest.CaptureFixture[str]) -> None:
    """--max-model-len was exactly 512 + 256 = 768 for every chat command: longer requests were rejected."""
    argv = [
        "serve-command",
        "--model",
        "openai/gpt-oss-120b",
        "--gpu",
        "H200",
        "--workload",
        "chat",
        "--json",
    ]
    assert main(argv) == 0
    options = assert_valid("vllm", json.loads(capsys.readouterr().out)["command"])
    assert int(options["--max-model-len"] or 0) > 768


def test_a_context_that_does_not_fit_gives_the_longest_that_does(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "serve-command",
        "--model",
        "meta-llama/Llama-3.1-8B",
        "--gpu",
        "L4",
        "--workload",
        "chat",
        "--json",
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert 768 < doc["max_model_len"] < 131072
    assert f"--max-model-len {doc['max_model_len']}" in doc["command"]


def test_the_users_max_model_len_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["serve-command", "--model", "Qwen/Qwen3-8B", "--gpu", "H100", "--workload", "chat"]
    assert main([*argv, "--max-model-len", "8192"]) == 0
    out = capsys.readouterr().out
    assert "--max-model-len 8192" in out and "(as asked)" in out


@pytest.mark.parametrize(
    ("engine", "program"),
    [
        ("vllm", "vllm serve"),
        ("sglang", "python -m sglang.launch_server"),
        ("trtllm", "trtllm-serve"),
        ("tensorrt-llm", "trtllm-serve"),
        ("TRT_LLM", "trtllm-serve"),
    ],
)
def test_the_chosen_engine_command_is_printed(
    engine: str, program: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--engine trtllm printed vllm serve."""
    argv = ["serve-command", "--model", "Qwen/Qwen3-8B", "--gpu", "H100", "--workload", "chat"]
    assert main([*argv, "--engine", engine]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith(program + " ")
    canonical = "trtllm" if program == "trtllm-serve" else engine
    assert_valid(canonical, lines[0])


def test_an_unknown_engine_is_an_error_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["serve-command", "--model", "Qwen/Qwen3-8B", "--gpu", "H100", "--workload", "chat"]
    assert main([*argv, "--engine", "tgi"]) == 2
    err = capsys.readouterr().err
    assert "'tgi'" in err and "vllm, sglang, trtllm" in err


def test_the_layout_and_quantization_reach_every_engine() -> None:
    arch = load_model("meta-llama/Llama-3.3-70B-Instruct")
    est = estimate_performance(
        arch, "H100", 8, 2, 2048, 256, concurrency=100, pipeline_parallel_size=2, precision="fp8",
        kv_precision="fp8", backend="native", serving_model="analytic",
    )  # fmt: skip
    assert est.ok and (est.tp, est.pp, est.replicas) == (2, 2, 2)
    commands = serve_commands(arch, est, gpu_memory_utilization=0.85)
    vllm = assert_valid("vllm", commands["vllm"])
    assert vllm["--tensor-parallel-size"] == "2" and vllm["--pipeline-parallel-size"] == "2"
    assert vllm["--data-parallel-size"] == "2" and vllm["--quantization"] == "fp8"
    assert vllm["--kv-cache-dtype"] == "fp8" and vllm["--gpu-memory-utilization"] == "0.85"
    assert vllm["--max-num-seqs"] == "56"  # 50 per replica, rounded up to a multiple of 8
    sglang = assert_valid("sglang", commands["sglang"])
    assert (sglang["--tp-size"], sglang["--pp-size"], sglang["--dp-size"]) == ("2", "2", "2")
    assert sglang["--kv-cache-dtype"] == "fp8_e4m3" and sglang["--mem-fraction-static"] == "0.85"
    trtllm = assert_valid("trtllm", commands["trtllm"])
    assert (trtllm["--tp_size"], trtllm["--pp_size"]) == ("2", "2")
    assert trtllm["--extra_llm_api_options"] == "trtllm-llm-api-options.yaml"
    assert (
        "--enable_chunked_prefill" in trtllm
    )  # prompts longer than --max_num_tokens are chunked, as estimated
    assert "dtype: fp8" in commands["trtllm"]
    # TensorRT-LLM does not quantize on load, and one server is one copy: both said, not hidden
    notes = [line for line in commands["trtllm"].splitlines() if line.startswith("#")]
    assert any("checkpoint of it in fp8" in n for n in notes) and any("start 2 of these" in n for n in notes)


def test_a_checkpoint_that_is_already_quantized_is_not_quantized_again() -> None:
    arch = load_model("openai/gpt-oss-120b")  # MXFP4 experts: --quantization fp8 would clash with them
    est = estimate_performance(
        arch, "H200", 1, None, 512, 256, concurrency=8, precision="fp8", backend="native"
    )
    assert est.ok, est.error
    command = serve_command(arch, est, "vllm")
    assert "--quantization" not in command and command.startswith("# the estimate assumes fp8 weights")


def test_a_checkpoint_the_estimate_assumed_points_at_the_bundled_ones_of_that_network() -> None:
    """An estimate at a precision the checkpoint is not stored in names the bundled checkpoints of the same
    network at that precision (their own exclusion lists keep layers 16-bit); none is named when none exists."""
    arch = load_model("deepseek-ai/DeepSeek-R1")
    est = estimate_performance(
        arch, "B200", 8, 8, 1024, 256, concurrency=4, precision="fp4", backend="native"
    )
    assert est.ok, est.error
    note = serve_command(arch, est, "sglang").splitlines()[0]
    assert note.startswith("# the estimate assumes fp4 weights")
    for model_id in (
        "nvidia/DeepSeek-R1-FP4",
        "nvidia/DeepSeek-R1-0528-FP4",
        "nvidia/DeepSeek-R1-0528-FP4-v2",
    ):
        assert model_id in note
    # the same network: DeepSeek-V3 and V3.1 are listed beside R1 (same shapes, other weights)
    assert "deepseek-ai/DeepSeek-R1" in bundled_checkpoints(load_model("nvidia/DeepSeek-R1-FP4"), "fp8")
    assert bundled_checkpoints(load_model("Qwen/Qwen3-8B"), "fp8") == ["RedHatAI/Qwen3-8B-FP8-dynamic"]
    assert bundled_checkpoints(load_model("Qwen/Qwen3-8B"), "int4") == []
    gpt = load_model("openai/gpt-oss-120b")
    fp8 = estimate_performance(
        gpt, "H200", 1, None, 512, 256, concurrency=8, precision="fp8", backend="native"
    )
    assert "bundled checkpoints" not in serve_command(gpt, fp8, "vllm")


def test_poisson_traffic_leaves_room_for_its_fluctuation() -> None:
    arch = load_model("Qwen/Qwen3-8B")
    traffic = Traffic(
        input_lengths=Lengths.fixed(512),
        output_lengths=Lengths.fixed(256),
        arrival="poisson",
        request_rate=20.0,
    )
    est = estimate_performance(arch, "H100", 1, None, 512, 256, traffic=traffic, backend="native")
    assert est.ok and est.arrival == "poisson"
    limits = launch_limits(arch, est)
    expected = math.ceil((est.concurrency + 3 * math.sqrt(est.concurrency)) / 8) * 8
    assert limits.max_num_seqs == min(expected, est.max_num_seqs or expected)
    _check_limits(arch.max_position_embeddings, est, limits)


def test_a_configuration_that_does_not_run_has_no_command() -> None:
    arch = load_model("meta-llama/Llama-3.1-70B")
    est = estimate_performance(arch, "L4", 1, None, 512, 256, backend="native")
    assert not est.ok
    with pytest.raises(InvalidArgumentError, match="does not run"):
        serve_command(arch, est)
    with pytest.raises(InvalidArgumentError, match="does not run"):
        launch_limits(arch, est)


# -- a replica over several hosts -------------------------------------------------------------------
def _multi_node(model: str, gpu: str, gpus: int, tp: int | None, **layout: int) -> PerformanceEstimate:
    est = estimate_performance(
        model, gpu, gpus, tp, 1024, 256, concurrency=64, backend="native", serving_model="analytic", **layout
    )
    assert est.ok, est.error
    return est


@pytest.mark.parametrize(
    ("model", "gpu", "gpus", "tp", "layout", "nodes", "per_node"),
    [
        ("moonshotai/Kimi-K2-Instruct", "H200", 16, 16, {}, 2, 8),  # TP16 over two HGX boards
        ("deepseek-ai/DeepSeek-R1", "GB200", 8, 8, {}, 2, 4),  # one NVLink domain, two 4-GPU trays
        (
            "deepseek-ai/DeepSeek-R1",
            "H200",
            16,
            16,
            {"expert_parallel_size": 16, "dp_attention": 16},
            2,
            8,
        ),
    ],
)
def test_a_replica_over_several_hosts_gets_each_engines_node_options(
    model: str, gpu: str, gpus: int, tp: int, layout: dict[str, int], nodes: int, per_node: int
) -> None:
    est = _multi_node(model, gpu, gpus, tp, **layout)
    assert replica_nodes(est) == nodes
    commands = serve_commands(load_model(model), est)
    vllm = assert_valid("vllm", commands["vllm"])
    assert (vllm["--nnodes"], vllm["--node-rank"], vllm["--master-addr"]) == (
        str(nodes),
        NODE_RANK_PLACEHOLDER,
        HEAD_NODE_PLACEHOLDER,
    )
    assert "--headless" in commands["vllm"]  # the comment tells nodes 1.. to add it
    sglang = assert_valid("sglang", commands["sglang"])
    assert (sglang["--nnodes"], sglang["--node-rank"], sglang["--dist-init-addr"]) == (
        str(nodes),
        NODE_RANK_PLACEHOLDER,
        f"{HEAD_NODE_PLACEHOLDER}:{SGLANG_DIST_INIT_PORT}",
    )
    assert "--dp-size" not in sglang  # SGLang refuses whole copies with --nnodes
    if layout:
        assert sglang["--attn-dp-size"] == "16" and vllm["--data-parallel-size"] == "16"
    trtllm = commands["trtllm"]
    assert_valid("trtllm", trtllm)  # trtllm-serve has no node options: the launcher spans the hosts
    assert f"mpirun -np {gpus} -H NODE0:{per_node},NODE1:{per_node} trtllm-llmapi-launch" in trtllm


def test_copies_of_a_multi_node_replica_are_separate_servers() -> None:
    est = _multi_node("deepseek-ai/DeepSeek-R1", "H100", 32, 16)
    assert (est.replicas, replica_nodes(est)) == (2, 2)
    commands = serve_commands(load_model("deepseek-ai/DeepSeek-R1"), est)
    assert "--data-parallel-size" not in assert_valid("vllm", commands["vllm"])
    assert "--dp-size" not in assert_valid("sglang", commands["sglang"])
    for command in commands.values():
        assert "start 2 of these, each on its own 2 nodes" in command


def test_a_replica_on_one_host_gets_no_node_options() -> None:
    est = _multi_node("meta-llama/Llama-3.1-8B-Instruct", "H100", 2, 1)
    assert replica_nodes(est) == 1
    for engine, command in serve_commands(load_model("meta-llama/Llama-3.1-8B-Instruct"), est).items():
        assert "--nnodes" not in command and "trtllm-llmapi-launch" not in command, engine


def test_a_checkpoint_that_brings_its_own_code_is_launched_trusting_it() -> None:
    """Kimi-K2's model type and tokenizer come with the checkpoint (the vLLM recipe passes
    --trust-remote-code on every node); a model transformers ships gets no such option."""
    kimi = load_model("moonshotai/Kimi-K2-Instruct")
    assert kimi.trust_remote_code
    est = _multi_node("moonshotai/Kimi-K2-Instruct", "H200", 16, 16)
    spelled = {
        "vllm": "--trust-remote-code",
        "sglang": "--trust-remote-code",
        "trtllm": "--trust_remote_code",
    }
    for engine, command in serve_commands(kimi, est).items():
        assert spelled[engine] in assert_valid(engine, command), engine
    llama = load_model("meta-llama/Llama-3.1-8B-Instruct")
    assert not llama.trust_remote_code
    plain = _multi_node("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, 1)
    for engine, command in serve_commands(llama, plain).items():
        assert "trust" not in command, engine


def test_tensorrt_llm_is_launched_on_the_backend_the_estimate_ran() -> None:
    model = load_model("meta-llama/Llama-3.1-8B-Instruct")
    for engine_option, backend in ((False, "pytorch"), (True, "tensorrt")):
        est = estimate_performance(
            model, "H100", 1, 1, 1024, 256, concurrency=8, engine="trtllm", backend="native",
            serving_model="analytic", engine_options={"tensorrt_engine": engine_option},
        )  # fmt: skip
        assert assert_valid("trtllm", serve_command(model, est, "trtllm"))["--backend"] == backend


def test_vllm_on_amd_with_a_block_fp8_checkpoint_is_told_to_use_aiter() -> None:
    """The estimate runs a block-scaled FP8 checkpoint's linears on AITER's kernels on an AMD GPU, which vLLM takes
    only with ``VLLM_ROCM_USE_AITER=1``: the vLLM command says so in a comment naming a variable of vLLM 0.34.0's
    own ``vllm/envs.py``; on Hopper, or with a per-tensor FP8 checkpoint, it does not."""
    import re

    def vllm_command(model: str, gpu: str) -> str:
        estimate = estimate_performance(
            model, gpu, 8, 8, 1024, 256, 16, engine="vllm", backend="native", serving_model="analytic"
        )
        return serve_commands(load_model(model), estimate)["vllm"]

    amd = vllm_command("deepseek-ai/DeepSeek-R1", "MI300X")
    assert_valid("vllm", amd)
    named = set(re.findall(r"\bVLLM_[A-Z0-9_]+", amd))
    assert named == {"VLLM_ROCM_USE_AITER"}
    assert named <= engine_flags("vllm").environment
    for other in (
        vllm_command("deepseek-ai/DeepSeek-R1", "H200"),
        vllm_command("meta-llama/Llama-3.1-405B-FP8", "MI300X"),
    ):
        assert "VLLM_ROCM_USE_AITER" not in other


def test_vllm_told_deep_gemm_is_missing_is_told_how_to_run_without_it() -> None:
    """An estimate that took DeepGEMM as not installed ran a block-scaled FP8 checkpoint's linears on CUTLASS's kernel
    (vLLM 0.10.2-0.19 on Hopper); the listed release ships DeepGEMM, so the command names the variable of its own
    ``vllm/envs.py`` that turns it off. With DeepGEMM, on another GPU or with a 16-bit model it says nothing."""
    import re

    def vllm_command(model: str, gpu: str, **options: bool) -> str:
        estimate = estimate_performance(
            model, gpu, 8, 8, 1024, 256, 16, engine="vllm==0.11.0", backend="native", serving_model="analytic",
            engine_options=options,
        )  # fmt: skip
        return serve_commands(load_model(model), estimate)["vllm"]

    without = vllm_command("deepseek-ai/DeepSeek-R1", "H200", deep_gemm=False)
    assert_valid("vllm", without)
    named = set(re.findall(r"\bVLLM_[A-Z0-9_]+", without))
    assert named == {"VLLM_USE_DEEP_GEMM"} and named <= engine_flags("vllm").environment
    for other in (
        vllm_command("deepseek-ai/DeepSeek-R1", "H200"),
        vllm_command("deepseek-ai/DeepSeek-R1", "B200", deep_gemm=False),
        vllm_command("meta-llama/Llama-3.1-70B", "H200", deep_gemm=False),
    ):
        assert "VLLM_USE_DEEP_GEMM" not in other
