"""TensorRT-LLM's decode CUDA graphs as its PyTorch backend captures them (``cuda_graph_config``).

By default (``CudaGraphConfig()``: ``max_batch_size`` 0 -> 128, ``enable_padding`` False; tensorrt_llm/llmapi/
llm_args.py) the engine captures batches of 1-32, 64 and 128 requests and replays a graph only for a batch of
exactly one of those sizes (``CUDAGraphRunner.maybe_get_cuda_graph``); any other decode batch runs eagerly, its
kernels issued from Python. ``enable_padding`` rounds a batch up to the next captured size instead; trtllm-serve
leaves the config at its default, trtllm-bench pads up to its own batch size.
"""

from __future__ import annotations

import itertools
import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmark_scripts import load_benchmark
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    TRTLLM_GRAPH_MAX_BATCH,
    profile_for,
    trtllm_captured_graph_sizes,
    trtllm_decode_graphs,
    trtllm_fine_padded_sizes,
    trtllm_graph_batch_sizes,
)
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.roofline import StepCost
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import serve_commands

R1 = load_model("deepseek-ai/DeepSeek-R1")
H200 = get_gpu("H200")


def _plan(options: dict[str, object] | None = None, engine: str = "trtllm", dp: int = 1):  # type: ignore[no-untyped-def]
    return plan_deployment(
        R1,
        H200,
        num_gpus=8,
        tp=8,
        ep=8,
        dp_attention=dp,
        input_length=1024,
        output_length=1024,
        engine=engine,
        engine_options=check_engine_options(options, "trtllm"),
    )


def _decode_s(plan, seqs: int) -> float:  # type: ignore[no-untyped-def]
    """One decode-only step of ``seqs`` requests at 1,500 tokens of context each."""
    step = StepCost(plan.costs, plan.rates, plan.profile)
    return step.time(seqs, seqs * 1500.0, 0.0, 0.0, 0.0, 0.0, seqs)


def test_the_captured_sizes_follow_the_engines_rule() -> None:
    assert trtllm_graph_batch_sizes(128, padding=False) == (*range(1, 33), 64, 128)
    padded = trtllm_graph_batch_sizes(8192, padding=True)
    assert padded[:4] == (1, 2, 4, 8) and padded[-6:] == (256, 512, 1024, 2048, 4096, 8192)
    assert all(size % 8 == 0 for size in padded[3:])
    assert trtllm_graph_batch_sizes(300, padding=False)[-3:] == (64, 128, 300)  # no 256: floor(log2 300) = 8
    assert trtllm_graph_batch_sizes(16, padding=False) == tuple(range(1, 17))
    with pytest.raises(ValueError, match="at least 1"):
        trtllm_graph_batch_sizes(0, padding=False)


@given(st.integers(1, 20_000), st.booleans())
@settings(max_examples=60, deadline=None)
def test_the_largest_captured_size_is_the_stated_one(largest: int, padding: bool) -> None:
    sizes = trtllm_graph_batch_sizes(largest, padding=padding)
    assert sizes[-1] == largest and list(sizes) == sorted(set(sizes)) and sizes[0] == 1


def test_by_default_only_the_captured_sizes_replay_a_graph() -> None:
    plan = _plan()
    assert plan.profile.graph_max_tokens == TRTLLM_GRAPH_MAX_BATCH == 128
    assert plan.profile.graph_batch_sizes == trtllm_graph_batch_sizes(128, padding=False)
    # 48 and 100 requests were not captured: their steps run eagerly and take longer than the larger, graphed 64
    # and 128; past 128 every batch runs eagerly
    assert _decode_s(plan, 48) > _decode_s(plan, 64)
    assert _decode_s(plan, 100) > _decode_s(plan, 128)
    assert _decode_s(plan, 129) > _decode_s(plan, 128)


def test_padding_graphs_every_batch_up_to_the_stated_size() -> None:
    padded = _plan({"cuda_graph_padding": True, "cuda_graph_max_batch_size": 512})
    assert padded.profile.graph_max_tokens == 512 and padded.profile.graph_batch_sizes == ()
    default = _plan()
    for seqs in (48, 100, 300):
        assert _decode_s(padded, seqs) < _decode_s(default, seqs)
    assert _decode_s(padded, 64) == pytest.approx(_decode_s(default, 64))
    # past the stated size the padded engine runs eagerly too
    assert _decode_s(padded, 513) > _decode_s(padded, 512)


def test_unpadded_attention_dp_ranks_replay_graphs_only_with_equal_batches() -> None:
    plan = _plan(dp=8)
    assert _decode_s(plan, 8 * 32) < _decode_s(plan, 8 * 32 + 1)  # 32 a rank: graphed; 33 on one rank: eager
    assert _decode_s(plan, 8 * 33) > _decode_s(plan, 8 * 64)  # 33 a rank was not captured


def test_releases_before_1_0_capture_no_graphs_unless_told() -> None:
    old = trtllm_decode_graphs(profile_for("trtllm", "0.20.0"))
    assert old.graph_max_tokens == 0 and old.graph_batch_sizes == ()
    told = trtllm_decode_graphs(profile_for("trtllm", "0.20.0"), max_batch_size=256, padding=True)
    assert told.graph_max_tokens == 256
    assert trtllm_decode_graphs(profile_for("trtllm", "1.0.0")).graph_max_tokens == 128


def test_the_options_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match=r"cuda_graph_max_batch_size must be an integer in \[1, "):
        check_engine_options({"cuda_graph_max_batch_size": 0}, "trtllm")
    with pytest.raises(InvalidArgumentError, match="cuda_graph_padding is a switch"):
        check_engine_options({"cuda_graph_padding": "yes please"}, "trtllm")
    with pytest.raises(InvalidArgumentError, match=r"trtllm's cuda_graph_config\.enable_padding"):
        check_engine_options({"cuda_graph_padding": True}, "vllm")
    with pytest.raises(InvalidArgumentError, match="a TensorRT engine"):
        _plan({"tensorrt_engine": True, "cuda_graph_padding": True})


def test_records_warnings_and_launch_commands_carry_them() -> None:
    default = estimate_performance(R1, "H200", 8, 8, 1024, 1024, 200, engine="trtllm", backend="native")
    assert default.cuda_graph_max_batch_size == 128 and default.cuda_graph_padding is False
    graph_notes = [w for w in default.warnings if "replays a decode CUDA graph only" in w]
    assert len(graph_notes) == 1 and "cuda_graph_max_batch_size=200" in graph_notes[0]
    command = serve_commands(R1, default)["trtllm"]
    assert "cuda_graph_config" not in command  # the estimate ran the engine's default
    padded = estimate_performance(
        R1, "H200", 8, 8, 1024, 1024, 200, engine="trtllm", backend="native",
        engine_options={"cuda_graph_padding": True, "cuda_graph_max_batch_size": 256},
    )  # fmt: skip
    assert padded.itl_ms is not None and default.itl_ms is not None and padded.itl_ms < default.itl_ms
    assert not [w for w in padded.warnings if "replays a decode CUDA graph only" in w]
    command = serve_commands(R1, padded)["trtllm"]
    assert_valid("trtllm", command)
    # capped at the --max_batch_size the command writes (200 clients): TensorRT-LLM captures no graph above it
    assert "cuda_graph_config:\\n  enable_padding: true\\n  max_batch_size: 200" in command
    # every LLM-API key written is one the data file cites from TensorRT-LLM's llm_args.py
    text = (resources.files("config_explorer") / "data" / "engine_flags" / "trtllm.json").read_text("utf-8")
    keys = json.loads(text)["extra_llm_api_options_keys"]
    for key in ("cuda_graph_config.enable_padding", "cuda_graph_config.max_batch_size"):
        assert "llm_args.py" in keys[key]
    # a low load stays within the captured sizes: no warning
    light = estimate_performance(R1, "H200", 8, 8, 1024, 1024, 8, engine="trtllm", backend="native")
    assert not [w for w in light.warnings if "replays a decode CUDA graph only" in w]


def test_the_graphs_gain_is_of_the_order_tensorrt_llm_published() -> None:
    """Held out: TensorRT-LLM's tech blog 3 credits CUDA graphs with 22% end to end on its DeepSeek-R1 throughput
    runs (benchmarks/trtllm_graphs.py); the engine's eager decode (61 us a kernel, read off another trace) gives the
    same configuration a gain of the same order (within a factor of two: it reads +37%)."""
    script = load_benchmark("trtllm_graphs")
    gain = script.throughput_per_gpu(script.BATCH_PER_RANK) / script.throughput_per_gpu(1) - 1
    assert script.PUBLISHED_GAIN / 2 < gain < script.PUBLISHED_GAIN * 2


def test_the_recommender_plans_padded_graphs_and_writes_them() -> None:
    """The recommender sets the launch it prints: TensorRT-LLM plans run decode graphs padded up to the batch (as
    NVIDIA's deployment guides set cuda_graph_config), capped in the options file at the --max_batch_size written;
    graph options the caller states are kept as stated."""
    from config_explorer.recommender import recommend_gpus

    kw: dict[str, object] = {"gpus": ["H200"], "max_gpus": 8, "engine": "trtllm", "backend": "native"}
    best = recommend_gpus("deepseek-ai/DeepSeek-R1", 1024, 1024, default_slos=False, **kw).ranked[0]  # type: ignore[arg-type]
    assert best.estimate is not None and best.estimate.cuda_graph_padding is True
    # captured at TensorRT-LLM's finer padded sizes (every 64 above 128), listed up to the --max_batch_size written
    assert best.estimate.cuda_graph_batch_sizes == trtllm_fine_padded_sizes(2048)
    argv = best.launch_command.split()
    batch = int(argv[argv.index("--max_batch_size") + 1])
    listed = [size for size in trtllm_fine_padded_sizes(2048) if size < batch] + [batch]
    assert f"enable_padding: true\\n  batch_sizes: [{', '.join(map(str, listed))}]\\n" in best.launch_command
    assert_valid("trtllm", best.launch_command)
    stated = recommend_gpus(
        "deepseek-ai/DeepSeek-R1",
        1024,
        1024,
        default_slos=False,
        engine_options={"cuda_graph_max_batch_size": 64},
        **kw,  # type: ignore[arg-type]
    ).ranked[0]
    assert stated.estimate is not None and stated.estimate.cuda_graph_padding is False
    assert stated.estimate.cuda_graph_max_batch_size == 64


def test_the_disaggregated_search_runs_the_decode_pool_with_the_same_graphs() -> None:
    from config_explorer.recommender import recommend_gpus

    result = recommend_gpus(
        "deepseek-ai/DeepSeek-R1", 1024, 1024, gpus=["H200"], max_gpus=16, engine="trtllm", backend="native",
        disaggregated=True, target_requests_per_s=4, default_slos=False,
    )  # fmt: skip
    assert result.disaggregated
    plan = result.disaggregated[0]
    assert plan.estimate is not None and plan.estimate.cuda_graph_padding is True
    generation = plan.launch_command.split("trtllm-generation-options.yaml")[0].rsplit("printf", 1)[1]
    assert "cuda_graph_config:\\n  enable_padding: true" in generation


def test_the_finer_padded_set_steps_by_64_above_128() -> None:
    sizes = trtllm_fine_padded_sizes(1000)
    assert sizes[:4] == (1, 2, 4, 8) and 128 in sizes and sizes[sizes.index(128) + 1] == 192
    assert sizes[-2:] == (960, 1000) and all(b - a <= 64 for a, b in itertools.pairwise(sizes))


def test_a_padded_batch_computes_its_padded_rows() -> None:
    """With padding a decode batch runs as the next captured size up, its dummy requests' rows computed too: at a
    coarse list a batch of 257 costs what 384 does (the KV reads aside), at a finer one less."""
    coarse = _plan(
        {"cuda_graph_padding": True, "cuda_graph_batch_sizes": [1, 2, 4, 8, 16, 32, 64, 128, 256, 384]}
    )
    assert coarse.profile.graph_padded_sizes == (1, 2, 4, 8, 16, 32, 64, 128, 256, 384)
    step = StepCost(coarse.costs, coarse.rates, coarse.profile)
    padded = step.time(257, 0.0, 0.0, 0.0, 0.0, 0.0, 257)
    assert padded == pytest.approx(step.time(384, 0.0, 0.0, 0.0, 0.0, 0.0, 384), rel=0.02)
    assert padded > step.time(256, 0.0, 0.0, 0.0, 0.0, 0.0, 256)
    fine = _plan({"cuda_graph_padding": True, "cuda_graph_batch_sizes": list(trtllm_fine_padded_sizes(384))})
    assert StepCost(fine.costs, fine.rates, fine.profile).time(257, 0.0, 0.0, 0.0, 0.0, 0.0, 257) < padded


def test_the_batch_size_list_is_checked() -> None:
    assert check_engine_options({"cuda_graph_batch_sizes": "8, 1,2,4"}, "trtllm").cuda_graph_batch_sizes == (
        1,
        2,
        4,
        8,
    )
    for bad in ([], [0, 4], "1,x", [1.5], "", [True]):
        with pytest.raises(InvalidArgumentError, match="cuda_graph_batch_sizes must list 1 to"):
            check_engine_options({"cuda_graph_batch_sizes": bad}, "trtllm")
    with pytest.raises(InvalidArgumentError, match=r"max_batch_size == max\(batch_sizes\)"):
        check_engine_options({"cuda_graph_batch_sizes": [1, 64], "cuda_graph_max_batch_size": 128}, "trtllm")


def test_the_cli_takes_a_batch_size_list(capsys: pytest.CaptureFixture[str]) -> None:
    from config_explorer.cli import main

    argv = ["estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100", "--engine", "trtllm"]
    argv += ["--input-length", "1024", "--output-length", "256", "--concurrency", "16", "--json"]
    graphs = [
        "--engine-option",
        "cuda_graph_batch_sizes=1,2,4,8,16",
        "--engine-option",
        "cuda_graph_padding=true",
    ]
    assert main([*argv, *graphs]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["cuda_graph_batch_sizes"] == [1, 2, 4, 8, 16] and record["cuda_graph_padding"] is True
    assert main([*argv, "--engine-option", "cuda_graph_batch_sizes=1,two"]) == 2
    assert "cuda_graph_batch_sizes must list 1 to" in capsys.readouterr().err


def test_a_coarse_padded_set_is_reported_and_a_finer_one_costs_less() -> None:
    def run(options: dict[str, object]):  # type: ignore[no-untyped-def]
        return estimate_performance(
            R1, "H200", 8, 8, 1024, 1024, 300, engine="trtllm", backend="native", engine_options=options
        )

    coarse = run({"cuda_graph_padding": True, "cuda_graph_max_batch_size": 2048})  # ..., 256, 512, ...
    notes = [w for w in coarse.warnings if "pads a decode batch" in w]
    assert len(notes) == 1 and "run as 512 rows" in notes[0]
    fine = run({"cuda_graph_padding": True, "cuda_graph_batch_sizes": list(trtllm_fine_padded_sizes(2048))})
    assert not [w for w in fine.warnings if "pads a decode batch" in w]
    assert fine.itl_ms is not None and coarse.itl_ms is not None and fine.itl_ms < coarse.itl_ms


def test_captured_sizes_follow_the_executors_filter() -> None:
    """TensorRT-LLM keeps the listed sizes up to the batch it runs; with padding a size above it captures the batch
    itself too (``_filter_cuda_graph_batch_sizes``), never twice."""
    assert trtllm_captured_graph_sizes((1, 2, 4), 256, padding=True) == (1, 2, 4)
    assert trtllm_captured_graph_sizes((1, 2, 4, 512), 256, padding=False) == (1, 2, 4)
    assert trtllm_captured_graph_sizes((1, 2, 4, 512), 256, padding=True) == (1, 2, 4, 256)
    assert trtllm_captured_graph_sizes((1, 256, 512), 256, padding=True) == (1, 256)


@pytest.mark.parametrize("padding", [False, True])
def test_a_short_stated_list_is_written_as_stated(padding: bool) -> None:
    """A stated cuda_graph_batch_sizes below the --max_batch_size written goes into the options file once each."""
    from config_explorer.recommender import recommend_gpus

    options = {"cuda_graph_batch_sizes": "1,2,4", "cuda_graph_padding": padding}
    best = recommend_gpus(
        "meta-llama/Llama-3.1-8B-Instruct", 1024, 256, gpus=["H100"], max_gpus=1, engine="trtllm", backend="native",
        default_slos=False, engine_options=options,
    ).ranked[0]  # fmt: skip
    assert "  batch_sizes: [1, 2, 4]\\n" in best.launch_command
    assert_valid("trtllm", best.launch_command)
