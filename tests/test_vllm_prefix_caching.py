"""vLLM's prefix caching as an engine option, each release's default, and the ``--no-`` forms of vLLM's switches.

The defaults are read in vLLM's source at named releases (``calibration.vllm_prefix_caching_default``): off on the
V0 engine, on from V1, for models with recurrent layers from 0.28.0; 0.11.0 turns it off for those whatever the
launch asks. The switches' ``--no-`` forms come from ``tools/vllm_negated_flags.py``, checked here on a small
source tree shaped like vLLM's.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from tests.benchmark_scripts import load_benchmark
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.cli import main
from config_explorer.engine.calibration import (
    VLLM_HYBRID_CACHED_STATE_PAGES,
    profile_for,
    vllm_prefix_caching_default,
)
from config_explorer.engine.deployment import plan_deployment, prefix_caching
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.traffic import Lengths, SharedPrefix, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import engine_flags, serve_commands

DENSE = load_model("meta-llama/Llama-3.1-8B-Instruct")
HYBRID = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
#: prompts that share one of ten 512-token prefixes, which a prefix cache serves
SHARED = Traffic(
    input_lengths=Lengths.fixed(1024),
    output_lengths=Lengths.fixed(128),
    arrival="closed_loop",
    concurrency=16,
    num_requests=96,
    prefix=SharedPrefix.distinct(512, 10),
)


@pytest.mark.parametrize(
    ("engine", "dense", "hybrid"),
    [
        ("vllm==0.6.3", False, False),  # V0: --enable-prefix-caching is store_true over False
        ("vllm==0.11.0", True, False),  # V1 resolves None to True; MambaModelConfig turns it off
        ("vllm==0.27.1", True, False),  # hybrid models still left out of the default
        ("vllm==0.28.0", True, True),  # is_prefix_caching_supported: True for them too
        ("vllm==0.34.0", True, True),
        ("vllm", True, False),  # the unpinned profile follows v0.11
    ],
)
def test_each_release_keeps_its_own_default(engine: str, dense: bool, hybrid: bool) -> None:
    profile = profile_for(engine)
    assert vllm_prefix_caching_default(profile, hybrid=False) is dense
    assert vllm_prefix_caching_default(profile, hybrid=True) is hybrid
    assert prefix_caching(profile, None, DENSE) is dense and prefix_caching(profile, None, HYBRID) is hybrid


def test_sglang_and_tensorrt_llm_are_untouched_by_it() -> None:
    assert prefix_caching(profile_for("sglang"), None, HYBRID)
    assert not prefix_caching(profile_for("sglang"), EngineOptions(disable_radix_cache=True), DENSE)
    assert prefix_caching(profile_for("trtllm"), None, DENSE)
    with pytest.raises(InvalidArgumentError, match="is vllm's --enable-prefix-caching; sglang has no such"):
        estimate_performance(DENSE, "H100", 1, 1, 1024, 128, engine="sglang",
                             engine_options={"enable_prefix_caching": False}, backend="native")  # fmt: skip


def test_without_it_no_prompt_is_served_from_cache() -> None:
    kw: dict[str, Any] = {"traffic": SHARED, "backend": "native"}
    on = estimate_performance(DENSE, "H100", 1, 1, 1024, 128, **kw)
    off = estimate_performance(
        DENSE, "H100", 1, 1, 1024, 128, engine_options={"enable_prefix_caching": False}, **kw
    )
    assert on.enable_prefix_caching is True and off.enable_prefix_caching is False
    assert on.prefix_cache_hit_rate is not None and on.prefix_cache_hit_rate > 0.3
    assert off.prefix_cache_hit_rate == 0
    assert off.ttft_ms is not None and on.ttft_ms is not None and off.ttft_ms > on.ttft_ms
    # a V0 release caches nothing unless told, and caches when told
    v0 = estimate_performance(DENSE, "H100", 1, 1, 1024, 128, engine="vllm==0.6.3", **kw)
    told = estimate_performance(DENSE, "H100", 1, 1, 1024, 128, engine="vllm==0.6.3",
                                engine_options={"enable_prefix_caching": True}, **kw)  # fmt: skip
    assert v0.prefix_cache_hit_rate == 0 and (told.prefix_cache_hit_rate or 0) > 0.3


#: prompts of a hybrid model sharing prefixes longer than two of vLLM's blocks for it (544 tokens at TP2)
HYBRID_SHARED = attrs.evolve(SHARED, input_lengths=Lengths.fixed(1600), prefix=SharedPrefix.distinct(1100, 4))


def test_vllm_0_11_0_turns_it_off_for_a_hybrid_model_whatever_the_launch_asks() -> None:
    kw: dict[str, Any] = {
        "traffic": HYBRID_SHARED,
        "backend": "native",
        "engine_options": {"enable_prefix_caching": True},
    }
    old = estimate_performance(HYBRID, "H200", 2, 2, 1600, 128, engine="vllm==0.11.0", **kw)
    assert old.enable_prefix_caching is False and old.prefix_cache_hit_rate == 0
    assert any("turns prefix caching off for a model with recurrent" in w for w in old.warnings)
    asked = estimate_performance(HYBRID, "H200", 2, 2, 1600, 128, engine="vllm==0.11.1", **kw)
    assert asked.enable_prefix_caching is True and (asked.prefix_cache_hit_rate or 0) > 0.3
    assert not any("turns prefix caching off" in w for w in asked.warnings)


def test_a_cached_hybrid_model_keeps_two_state_pages_a_request_from_0_28() -> None:
    """The 'align' mode 0.28 runs while such a model caches prefixes budgets two pages of its recurrent state per
    request: fewer full-length requests fit the same KV cache, and nothing changes for a dense model."""
    gpu = get_gpu("H200")
    common: dict[str, Any] = {"num_gpus": 2, "tp": 2, "input_length": 1024, "output_length": 128}
    cached = plan_deployment(HYBRID, gpu, engine="vllm==0.28.0", **common)
    plain = plan_deployment(
        HYBRID,
        gpu,
        engine="vllm==0.28.0",
        engine_options=EngineOptions(enable_prefix_caching=False),
        **common,
    )
    assert cached.prefix_caching and not plain.prefix_caching
    assert (cached.state_pages, plain.state_pages) == (VLLM_HYBRID_CACHED_STATE_PAGES, 1)
    assert (
        cached.pooled_state_bytes == pytest.approx(2 * plain.pooled_state_bytes)
        and plain.pooled_state_bytes > 0
    )
    assert cached.kv_limit_per_replica < plain.kv_limit_per_replica
    # before 0.28 a hybrid model asked to cache keeps one page here (another mode for some classes)
    assert (
        plan_deployment(
            HYBRID,
            gpu,
            engine="vllm==0.27.1",
            engine_options=EngineOptions(enable_prefix_caching=True),
            **common,
        ).state_pages
        == 1
    )
    assert plan_deployment(DENSE, gpu, engine="vllm==0.28.0", **common).state_pages == 1


def test_vllm_allocates_a_hybrid_models_cache_in_blocks_that_hold_a_recurrent_layers_state() -> None:
    """From 0.11 vLLM sizes a hybrid model's blocks so one attention layer's page of a block holds one recurrent layer's
    state: 16 x ceil(state page / (16 x one token's page)). Its keys and values take whole blocks, and its prompts are
    cached and served in whole blocks, so a prefix shorter than a block is never served from cache."""
    gpu = get_gpu("H200")
    common: dict[str, Any] = {"num_gpus": 2, "tp": 2, "input_length": 1600, "output_length": 128}
    dep = plan_deployment(HYBRID, gpu, engine="vllm==0.28.0", **common)
    state_page = dep.costs.state_bytes_per_sequence / (HYBRID.num_mamba_layers + HYBRID.num_linear_layers)
    token_page = dep.costs.kv_bytes_per_token_full / HYBRID.num_attention_layers
    block = dep.profile.block_size
    assert block % 16 == 0 and block * token_page >= state_page > (block - 16) * token_page
    assert block == 544  # Qwen3-Next at TP2
    assert dep.scheduler_config().block_size == block
    # the rule from 0.11; a dense model, SGLang and earlier releases keep their own blocks
    assert plan_deployment(HYBRID, gpu, engine="vllm==0.10.2", **common).profile.block_size == 16
    assert plan_deployment(DENSE, gpu, engine="vllm==0.28.0", **common).profile.block_size == 16
    assert plan_deployment(HYBRID, gpu, engine="sglang", **common).profile.block_size == 1
    # prefixes in whole blocks: a 256-token one is never served, an 1,100-token one for its two whole blocks
    short = attrs.evolve(HYBRID_SHARED, prefix=SharedPrefix.distinct(256, 4))
    kw: dict[str, Any] = {"backend": "native", "engine": "vllm==0.28.0"}
    assert (
        estimate_performance(HYBRID, "H200", 2, 2, 1600, 128, traffic=short, **kw).prefix_cache_hit_rate == 0
    )
    long = estimate_performance(HYBRID, "H200", 2, 2, 1600, 128, traffic=HYBRID_SHARED, **kw)
    assert 0 < (long.prefix_cache_hit_rate or 0) <= 2 * block / 1600
    # the analytic screen counts the same whole blocks
    fixed = attrs.evolve(HYBRID_SHARED, num_requests=None)
    screen = estimate_performance(
        HYBRID, "H200", 2, 2, 1600, 128, traffic=fixed, serving_model="analytic", **kw
    )
    assert screen.prefix_cache_hit_rate == pytest.approx(
        fixed.prefix.steady_hit_share * 2 * block / 1600,
        abs=1 / 1600,  # type: ignore[union-attr]
    )


def test_the_record_says_which_release_it_follows() -> None:
    kw: dict[str, Any] = {"backend": "native", "serving_model": "analytic"}
    assert estimate_performance(DENSE, "H100", 1, 1, 512, 128, **kw).engine_release == "0.11"
    assert (
        estimate_performance(DENSE, "H100", 1, 1, 512, 128, engine="vllm==0.19.0", **kw).engine_release
        == "0.19.0"
    )
    sglang = estimate_performance(DENSE, "H100", 1, 1, 512, 128, engine="sglang", **kw)
    assert sglang.engine_release is None and sglang.enable_prefix_caching is None


# -- launch commands ---------------------------------------------------------------------------------
def test_a_switch_the_estimate_turned_off_is_off_in_the_command() -> None:
    kw: dict[str, Any] = {"backend": "native", "serving_model": "analytic"}
    off = estimate_performance(DENSE, "H100", 1, 1, 1024, 256, engine="vllm==0.19.0",
                               engine_options={"async_scheduling": False, "enable_prefix_caching": False},
                               **kw)  # fmt: skip
    flags = assert_valid("vllm", serve_commands(DENSE, off)["vllm"])
    assert "--no-async-scheduling" in flags and "--no-enable-prefix-caching" in flags
    plain = estimate_performance(DENSE, "H100", 1, 1, 1024, 256, engine="vllm==0.19.0", **kw)
    flags = assert_valid("vllm", serve_commands(DENSE, plain)["vllm"])
    assert not {"--no-async-scheduling", "--no-enable-prefix-caching"} & set(flags)
    # the estimate's own release has them off by default: the command is the listed release's, as before
    v011 = estimate_performance(DENSE, "H100", 1, 1, 1024, 256, engine="vllm==0.11.0",
                                engine_options={"async_scheduling": False}, **kw)  # fmt: skip
    assert "--no-async-scheduling" not in serve_commands(DENSE, v011)["vllm"]


def test_the_cli_takes_the_switch(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100", "--input-len", "1024",
            "--output-len", "128", "--concurrency", "8", "--json"]  # fmt: skip
    assert main([*argv, "--engine-option", "enable_prefix_caching=false"]) == 0
    assert json.loads(capsys.readouterr().out)["enable_prefix_caching"] is False
    assert main([*argv, "--engine-option", "enable_prefix_caching=maybe"]) == 2
    assert (
        "'enable_prefix_caching=maybe': expected NAME=NUMBER (or NAME=true/false" in capsys.readouterr().err
    )


def test_the_negated_forms_are_the_listed_switches() -> None:
    flags = engine_flags("vllm")
    data = json.loads(Path(__file__).parents[1].joinpath(
        "src", "config_explorer", "data", "engine_flags", "vllm.json").read_text("utf-8"))  # fmt: skip
    negated = data["negated_flags"]
    assert negated == sorted(negated) and "tools/vllm_negated_flags.py" in data["negated_flags_method"]
    assert {"--no-async-scheduling", "--no-enable-prefix-caching", "--no-enforce-eager"} <= set(negated)
    assert all(f.startswith("--no-") and "--" + f[5:] in data["flags"] for f in negated)
    assert set(negated) <= flags.flags
    assert "--no-max-model-len" not in flags.flags and "--no-tensor-parallel-size" not in flags.flags


# -- the extraction tool ------------------------------------------------------------------------------
def _tool() -> ModuleType:
    path = Path(__file__).parents[1] / "tools" / "vllm_negated_flags.py"
    spec = importlib.util.spec_from_file_location("vllm_negated_flags", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _tree(root: Path, arg_utils: str) -> Path:
    (root / "vllm" / "engine").mkdir(parents=True)
    (root / "vllm" / "config").mkdir(parents=True)
    (root / "vllm" / "config" / "cache.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import dataclass
            from typing import Optional, Literal

            @dataclass
            class CacheConfig:
                enable_prefix_caching: bool = True
                block_size: int | None = None
                sliding: Optional[bool] = None
                mode: bool | str | None = None
                dtype: Literal["auto", "fp8"] = "auto"
                offload: "OffloadConfig | None" = None

            @dataclass
            class OffloadConfig:
                size: int = 0
            """
        ),
        "utf-8",
    )
    (root / "vllm" / "engine" / "arg_utils.py").write_text(textwrap.dedent(arg_utils), "utf-8")
    return root


def test_the_tool_reads_boolean_optional_actions(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        """
        import argparse

        def add_cli_args(parser):
            cache_kwargs = get_kwargs(CacheConfig)
            group = parser.add_argument_group()
            group.add_argument("--enable-prefix-caching", **{**cache_kwargs["enable_prefix_caching"], "default": None})
            group.add_argument("--block-size", **cache_kwargs["block_size"])
            group.add_argument("--sliding", **cache_kwargs["sliding"])
            group.add_argument("--mode", **cache_kwargs["mode"])
            group.add_argument("--dtype", **cache_kwargs["dtype"])
            group.add_argument("--offload", **cache_kwargs["offload"])
            parser.add_argument("--enable-lora", action=argparse.BooleanOptionalAction)
            parser.add_argument("--verbose", action="store_true")
            parser.add_argument("--seed", type=int)
        """,
    )
    assert _tool().negated_flags(root) == ["--no-enable-lora", "--no-enable-prefix-caching", "--no-sliding"]


def test_the_tool_refuses_a_call_it_cannot_read(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        """
        def add_cli_args(parser):
            parser.add_argument("--odd", **make_kwargs())
            parser.add_argument("--odder", **other["x"])
        """,
    )
    with pytest.raises(SystemExit, match="--odder: other is not a get_kwargs"):
        _tool().negated_flags(root)


# -- TensorRT-LLM's block reuse ------------------------------------------------------------------------
def test_tensorrt_llm_without_block_reuse_serves_no_prompt_from_cache() -> None:
    kw: dict[str, Any] = {"traffic": SHARED, "backend": "native", "engine": "trtllm"}
    on = estimate_performance(DENSE, "H100", 1, 1, 1024, 128, **kw)
    off = estimate_performance(
        DENSE, "H100", 1, 1, 1024, 128, engine_options={"enable_block_reuse": False}, **kw
    )
    assert (on.enable_block_reuse, off.enable_block_reuse) == (True, False)
    assert (on.prefix_cache_hit_rate or 0) > 0.3 and off.prefix_cache_hit_rate == 0
    command = serve_commands(DENSE, off)["trtllm"]
    assert_valid("trtllm", command)
    assert "kv_cache_config:\\n  enable_block_reuse: false" in command
    assert "enable_block_reuse" not in serve_commands(DENSE, on)["trtllm"]
    # with an FP8 cache both settings share the one kv_cache_config section
    fp8 = estimate_performance(DENSE, "H100", 1, 1, 1024, 128, kv_precision="fp8",
                               engine_options={"enable_block_reuse": False}, **kw)  # fmt: skip
    text = serve_commands(DENSE, fp8)["trtllm"]
    assert text.count("kv_cache_config:") == 1 and "  dtype: fp8\\n  enable_block_reuse: false" in text
    assert estimate_performance(DENSE, "H100", 1, 1, 512, 128, backend="native").enable_block_reuse is None


def test_the_replay_reads_block_reuse_from_a_quoted_launch() -> None:
    accuracy = load_benchmark("accuracy")
    notes = "server: trtllm-serve MODEL --extra_llm_api_options kv_cache_config(dtype=fp8,enable_block_reuse=false)"
    assert accuracy.serve_knobs(notes, 8)["engine_options"] == {"enable_block_reuse": False}
