"""vLLM's eager steps and its captured sizes: a step above the largest captured graph (or every step under
``--enforce-eager``) runs each MoE layer's custom op in Python, ``calibration.VLLM_EAGER_MOE_LAYER_US`` a layer on
top of its counted kernels; graphed steps, dense models and other engines pay nothing more. gpt-oss captures larger
steps than other models (``calibration.VLLM_GPT_OSS_CAPTURE_TOKENS``, read in the releases' sources)."""

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
    VLLM_GPT_OSS_CAPTURE_TOKENS,
    VLLM_GPT_OSS_FA3_CAPTURE,
    profile_for,
    vllm_graph_capture_tokens,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.options import check_engine_options

GLM = load_model("zai-org/GLM-4.5-FP8")
LLAMA = load_model("meta-llama/Llama-3.1-8B-Instruct")
GPT_OSS = load_model("openai/gpt-oss-20b")


def _plan(arch: object = GLM, engine: str = "vllm", num_gpus: int = 8, **kw: object) -> Deployment:
    return plan_deployment(
        arch, get_gpu("H100 SXM"), num_gpus=num_gpus, tp=num_gpus, input_length=1000, output_length=100,  # type: ignore[arg-type]
        engine=engine, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _prompt(plan: Deployment, tokens: int) -> float:
    return plan.step_cost.time(0, 0, 0, tokens, tokens * (tokens + 1) / 2, 0, 1)


def _jump(plan: Deployment, largest: int) -> float:
    """What one token past the largest captured step adds to a prompt step, seconds."""
    return _prompt(plan, largest + 1) - _prompt(plan, largest)


def test_an_eager_vllm_step_pays_each_moe_layers_host_time() -> None:
    plan = _plan()
    assert plan.profile.graph_max_tokens == 512
    assert GLM.num_moe_layers == 89
    # past 512 tokens the step runs eagerly: at least the MoE layers' host time more (its kernels' issue time on top)
    assert _jump(plan, 512) > 89 * VLLM_EAGER_MOE_LAYER_US * 1e-6
    # within the graphs, one more token costs next to nothing
    assert _prompt(plan, 512) - _prompt(plan, 511) < 1e-3


def test_a_dense_model_and_other_engines_pay_no_moe_host_time() -> None:
    assert _jump(_plan(LLAMA, num_gpus=1), 512) < 5e-3
    sglang, trtllm = _plan(engine="sglang"), _plan(engine="trtllm")
    assert profile_for("sglang").eager_moe_layer_us == profile_for("trtllm").eager_moe_layer_us == 0.0
    assert sglang.profile.eager_moe_layer_us == trtllm.profile.eager_moe_layer_us == 0.0


def test_enforce_eager_pays_it_on_every_step() -> None:
    eager = _plan(engine_options=check_engine_options({"enforce_eager": True}, "vllm"))
    graphed = _plan()
    decode = (64, 64 * 1000, 0, 0, 0, 0, 64)
    extra = eager.step_cost.time(*decode) - graphed.step_cost.time(*decode)
    assert extra > 89 * VLLM_EAGER_MOE_LAYER_US * 1e-6


@pytest.mark.parametrize(
    ("engine", "largest"),
    [
        ("vllm==0.10.1", 1024),
        ("vllm==0.10.2", 1024),
        ("vllm==0.11.0", 992),
        ("vllm==0.12.0", 1024),
        ("vllm==0.20.0", 1024),
        ("vllm", 992),  # the unpinned profile follows 0.11
    ],
)
def test_gpt_oss_captures_larger_steps(engine: str, largest: int) -> None:
    plan = _plan(GPT_OSS, engine=engine, num_gpus=1)
    assert plan.profile.graph_max_tokens == largest
    assert _jump(plan, largest) > GPT_OSS.num_moe_layers * VLLM_EAGER_MOE_LAYER_US * 1e-6
    assert _prompt(plan, 600) - _prompt(plan, 599) < 1e-3


def test_the_capture_limit_follows_max_num_seqs() -> None:
    profile = profile_for("vllm")
    assert vllm_graph_capture_tokens(profile, model_class="Glm4MoeForCausalLM", max_num_seqs=64) == 128
    assert vllm_graph_capture_tokens(profile, model_class="Glm4MoeForCausalLM", max_num_seqs=1024) == 512
    assert _plan(max_num_seqs=64).profile.graph_max_tokens == 128
    # the default profile follows 0.11; one without a release follows the newest rules read
    assert vllm_graph_capture_tokens(profile, model_class="GptOssForCausalLM", max_num_seqs=1024) == 992
    assert VLLM_GPT_OSS_FA3_CAPTURE == (((0, 11, 0), (0, 12, 0)), 992)
    unpinned = attrs.evolve(profile, version="")
    newest = VLLM_GPT_OSS_CAPTURE_TOKENS
    assert (
        vllm_graph_capture_tokens(unpinned, model_class="GptOssForCausalLM", max_num_seqs=1024)
        == newest
        == 1024
    )


def test_other_engines_and_enforce_eager_keep_their_limits() -> None:
    for engine in ("sglang", "trtllm"):
        profile = profile_for(engine)
        assert (
            vllm_graph_capture_tokens(profile, model_class="GptOssForCausalLM", max_num_seqs=1024)
            == profile.graph_max_tokens
        )
    eager = _plan(GPT_OSS, num_gpus=1, engine_options=check_engine_options({"enforce_eager": True}, "vllm"))
    assert eager.profile.graph_max_tokens == 0


_PLAN = _plan()


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(min_value=1, max_value=8000), extra=st.integers(min_value=1, max_value=192))
def test_longer_prompt_steps_never_take_less_time(tokens: int, extra: int) -> None:
    assert _prompt(_PLAN, tokens + extra) >= _prompt(_PLAN, tokens)


def test_the_fit_reads_the_per_layer_residual() -> None:
    accuracy = load_benchmark("accuracy")
    current = profile_for("vllm").eager_moe_layer_us
    rows = [
        # measured 100 ms above the estimate over 50 MoE layers: 2 ms a layer more than charged
        {"split": "fit", "engine": "vllm", "model": "zai-org/GLM-4.5-FP8", "batch": "1", "measured": 200.0,
         "predicted": 100.0, "moe_layers": 50},
        {"split": "fit", "engine": "vllm", "model": "zai-org/GLM-4.5-FP8", "batch": "1", "measured": 150.0,
         "predicted": 100.0, "moe_layers": 50},
        {"split": "fit", "engine": "vllm", "model": "zai-org/GLM-4.5-FP8", "batch": "1", "measured": 100.0,
         "predicted": 100.0, "moe_layers": 50},
        # another fit set's row and a held-out row are not read
        {"split": "fit", "engine": "vllm", "model": "Qwen/Qwen3-8B", "batch": "1", "measured": 900.0,
         "predicted": 100.0, "moe_layers": 0},
        {"split": "held-out", "engine": "vllm", "model": "zai-org/GLM-4.5-FP8", "batch": "1", "measured": 900.0,
         "predicted": 100.0, "moe_layers": 50},
    ]  # fmt: skip
    n, median = accuracy.fit_eager_moe_host(rows)
    assert n == 3
    assert median == pytest.approx(1000.0 + current)
    # and the front end's fit reads its own rows only
    fitted = accuracy.fit_request_overhead(rows)
    assert fitted["vllm"][0] == 1
