"""vLLM's ``--max-cudagraph-capture-size`` (``--cuda-graph-sizes`` before 0.12) as the engine option
``max_cudagraph_capture_size``: the largest step that replays a CUDA graph, by each release's list of captured sizes
(``VllmConfig._set_cudagraph_sizes`` in vllm/config/vllm.py, 0.12.0; vllm/config/__init__.py, 0.11.0), gpt-oss's
config raising it (``GptOssForCausalLMConfig``), the step budget capping it; its effect on a step, the record and the
launch command, and the accuracy script reading it off a launch command."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    VLLM_EAGER_MOE_LAYER_US,
    VLLM_MAX_CAPTURE_SIZE_SINCE,
    profile_for,
    vllm_graph_capture_tokens,
)
from config_explorer.engine.options import check_engine_options, options_of
from config_explorer.engine.serving import estimate
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.serve_command import engine_flags, serve_command

QWEN_MOE = load_model("Qwen/Qwen3-30B-A3B")
GLM_CLASS = "Glm4MoeForCausalLM"
GPT_OSS_CLASS = "GptOssForCausalLM"


def _largest(release: str, model_class: str = GLM_CLASS, **kw: int) -> int:
    seqs = kw.pop("max_num_seqs", 256)
    return vllm_graph_capture_tokens(profile_for(release), model_class=model_class, max_num_seqs=seqs, **kw)


def test_the_option_is_vllms_and_checked() -> None:
    assert "max_cudagraph_capture_size" in options_of("vllm")
    assert check_engine_options({"max_cudagraph_capture_size": 64}, "vllm").max_cudagraph_capture_size == 64
    with pytest.raises(InvalidArgumentError, match="max_cudagraph_capture_size is vllm's --max-cudagraph"):
        check_engine_options({"max_cudagraph_capture_size": 64}, "sglang")
    for bad in (0, -4, 2.5, True, "64"):
        with pytest.raises(
            InvalidArgumentError, match=r"max_cudagraph_capture_size must be an integer in \[1, "
        ):
            check_engine_options({"max_cudagraph_capture_size": bad}, "vllm")
    with pytest.raises(
        InvalidArgumentError, match="enforce_eager and max_cudagraph_capture_size=64 disagree"
    ):
        check_engine_options({"max_cudagraph_capture_size": 64, "enforce_eager": True}, "vllm")


@pytest.mark.parametrize(
    ("stated", "modern", "older"),
    [
        (None, 512, 512),  # min(2 x 256, 512)
        (4, 4, 4),
        (5, 4, 4),  # 1, 2, 4: nothing between 4 and 8
        (3, 2, 2),
        (100, 96, 96),
        (300, 288, 296),  # from 256 up 0.12 steps by 16, 0.11 by 8 all the way
        (2048, 2048, 2048),
    ],
)
def test_the_largest_captured_size_follows_the_releases_list(
    stated: int | None, modern: int, older: int
) -> None:
    assert VLLM_MAX_CAPTURE_SIZE_SINCE == (0, 12, 0)
    kw = {} if stated is None else {"stated": stated}
    assert _largest("vllm==0.12.0", **kw) == _largest("vllm==0.20.0", **kw) == modern
    assert _largest("vllm==0.11.0", **kw) == _largest("vllm==0.10.2", **kw) == older


def test_the_step_budget_and_max_num_seqs_cap_it() -> None:
    assert _largest("vllm==0.12.0", max_num_seqs=5) == 8  # min(2 x 5, 512) = 10: captured 1, 2, 4, 8
    assert _largest("vllm==0.12.0", max_num_batched_tokens=300) == 288
    assert _largest("vllm==0.11.0", max_num_batched_tokens=300) == 296
    assert _largest("vllm==0.12.0", stated=2048, max_num_batched_tokens=1000) == 992


def test_gpt_oss_replaces_a_small_stated_size_only_before_0_12() -> None:
    assert _largest("vllm==0.10.2", GPT_OSS_CLASS, stated=64) == 1024
    assert _largest("vllm==0.11.0", GPT_OSS_CLASS, stated=64) == 992
    assert _largest("vllm==0.11.0", GPT_OSS_CLASS, stated=2048) == 2048
    assert _largest("vllm==0.12.0", GPT_OSS_CLASS, stated=64) == 64
    assert _largest("vllm==0.12.0", GPT_OSS_CLASS) == 1024
    unpinned = attrs.evolve(profile_for("vllm"), version="")  # the newest rules read
    assert vllm_graph_capture_tokens(unpinned, model_class=GPT_OSS_CLASS, max_num_seqs=256, stated=64) == 64


def test_other_engines_keep_their_own_limits() -> None:
    for engine in ("sglang", "trtllm"):
        profile = profile_for(engine)
        assert (
            vllm_graph_capture_tokens(profile, model_class=GLM_CLASS, max_num_seqs=256, stated=16)
            == profile.graph_max_tokens
        )


def _moe_prompt(capture: int | None, concurrency: int = 1) -> object:
    options = None if capture is None else {"max_cudagraph_capture_size": capture}
    return estimate(
        QWEN_MOE,
        get_gpu("H100"),
        num_gpus=1,
        input_length=1000,
        output_length=200,
        concurrency=concurrency,
        engine="vllm==0.12.0",
        engine_options=options,
        check_lockstep=False,
    )


def test_a_prompt_step_within_the_stated_size_replays_a_graph() -> None:
    default, larger = _moe_prompt(None), _moe_prompt(2048)
    assert default.max_cudagraph_capture_size == 512 and larger.max_cudagraph_capture_size == 2048
    # a 1,000-token prompt step is eager at the default and graphed at 2,048: the MoE layers' host time goes
    saved = QWEN_MOE.num_moe_layers * VLLM_EAGER_MOE_LAYER_US * 1e-3
    assert default.ttft_ms - larger.ttft_ms > saved
    # one request's decode steps are graphed either way
    assert larger.itl_ms == pytest.approx(default.itl_ms, rel=1e-6)


def test_decode_batches_above_the_stated_size_run_eagerly() -> None:
    graphed, eager = _moe_prompt(None, concurrency=32), _moe_prompt(16, concurrency=32)
    assert eager.itl_ms - graphed.itl_ms > QWEN_MOE.num_moe_layers * VLLM_EAGER_MOE_LAYER_US * 1e-3 * 0.5


@settings(max_examples=8, deadline=None)
@given(small=st.integers(min_value=1, max_value=1024), extra=st.integers(min_value=1, max_value=2048))
def test_a_larger_capture_size_never_slows_a_one_request_run(small: int, extra: int) -> None:
    slow, fast = _moe_prompt(small), _moe_prompt(small + extra)
    assert fast.ttft_ms <= slow.ttft_ms * (1 + 1e-9)
    assert fast.itl_ms <= slow.itl_ms * (1 + 1e-9)


def test_the_launch_command_keeps_the_estimates_graphs() -> None:
    assert "--max-cudagraph-capture-size" in engine_flags("vllm").flags
    stated = _moe_prompt(2048)
    assert "--max-cudagraph-capture-size 2048" in serve_command(QWEN_MOE, stated)
    # one request: the command's --max-num-seqs 8 would have vLLM capture up to 16 tokens, so it keeps the
    # estimate's 512; at 256 requests vLLM's own min(2 x 256, 512) is the estimate's, and no flag is needed
    one = serve_command(QWEN_MOE, _moe_prompt(None))
    assert "--max-num-seqs 8 " in one and "--max-cudagraph-capture-size 512" in one
    busy = estimate(
        QWEN_MOE, get_gpu("H100"), num_gpus=1, input_length=1000, output_length=200, concurrency=256,
        engine="vllm==0.12.0", serving_model="analytic",
    )  # fmt: skip
    command = serve_command(QWEN_MOE, busy)
    assert "--max-num-seqs 256 " in command and "--max-cudagraph-capture-size" not in command
    eager = estimate(
        QWEN_MOE, get_gpu("H100"), num_gpus=1, input_length=1000, output_length=200,
        engine_options={"enforce_eager": True},
    )  # fmt: skip
    assert eager.max_cudagraph_capture_size is None
    assert "--max-cudagraph-capture-size" not in serve_command(QWEN_MOE, eager)
    sglang = estimate(
        QWEN_MOE, get_gpu("H100"), num_gpus=1, input_length=1000, output_length=200, engine="sglang"
    )
    assert sglang.max_cudagraph_capture_size is None


def test_the_accuracy_script_replays_the_flag() -> None:
    accuracy = load_benchmark("accuracy")
    knobs = accuracy.serve_knobs(
        "server: vllm serve MiniMaxAI/MiniMax-M3-MXFP8 --tensor-parallel-size=8 --max-cudagraph-capture-size 4 "
        "--max-num-batched-tokens 16384"
    )
    assert knobs["engine_options"] == {"max_cudagraph_capture_size": 4}
