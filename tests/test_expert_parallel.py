"""Expert parallelism, data-parallel attention, redundant experts and two-batch overlap (MoE layouts).

Hand checks on DeepSeek-R1 / Qwen3-30B-A3B, the physics as properties (imbalance never speeds a step,
more expert-parallel ranks never send fewer tokens), the published signs of two-batch overlap, the bad
inputs the layout refuses, and the layouts through the API, the CLI, the recommender and the launch
commands (each flag checked against the engine's own option list).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import shlex
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmark_scripts import load_benchmark
from tests.test_serve_command_flags import _raw as engine_flag_data
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.cli import main
from config_explorer.engine.calibration import EXCHANGE_US, EXPERT_IMBALANCE, NCCL_GATHER_BY_FAMILY
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.layout import GIB, check_layout, sequence_kv_bytes, shard_costs
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.roofline import (
    exchange_seconds_per_token,
    exchange_sends,
    expected_max_normal,
    gathers_tokens,
)
from config_explorer.engine.slo import check_slos
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.recommend import RecommendationResult, deployment_layouts, recommend_gpus
from config_explorer.recommender.serve_command import disaggregated_commands, serve_commands

R1 = load_model("deepseek-ai/DeepSeek-R1")
V3 = load_model("deepseek-ai/DeepSeek-V3")
QWEN_MOE = load_model("Qwen/Qwen3-30B-A3B")
LLAMA8 = load_model("meta-llama/Llama-3.1-8B")
H200 = get_gpu("H200")
H100 = get_gpu("H100")


def _plan(arch=R1, gpu=H200, tp=8, **kw):  # type: ignore[no-untyped-def]
    return plan_deployment(arch, gpu, num_gpus=tp, tp=tp, input_length=1024, output_length=1024, **kw)


# -- what each GPU holds ---------------------------------------------------------------------------
def test_expert_parallel_keeps_the_experts_bytes_and_splits_them_whole() -> None:
    """EP8 over 8 GPUs holds the same expert bytes per GPU as TP8 (32 whole experts instead of 256 slices
    of 1/8), so the weights per GPU are equal; each expert shard is the full intermediate width."""
    tp8 = shard_costs(QWEN_MOE, "bf16", "bf16", 8, 1)
    ep8 = shard_costs(QWEN_MOE, "bf16", "bf16", 8, 1, ep=8)
    assert ep8.resident_weight_bytes == pytest.approx(tp8.resident_weight_bytes)
    assert ep8.expert_width == QWEN_MOE.moe_intermediate_size == 8 * tp8.expert_width
    assert ep8.expert_bytes == pytest.approx(8 * tp8.expert_bytes)


def test_dp_attention_replicates_attention_and_splits_the_mla_cache() -> None:
    """DeepSeek's MLA cache is one latent per token that TP cannot split: at TP8 every GPU holds every
    sequence's; with 8 attention groups each holds only its own, so the replica holds about 8x the
    sequences, while the attention weights, now whole on every GPU, take more memory."""
    tp = _plan()
    dp = _plan(ep=8, dp_attention=8)
    assert dp.memory.weights_gib > tp.memory.weights_gib + 5
    per_seq_tp = tp.costs.kv_bytes(2048)
    per_seq_dp = dp.costs.kv_bytes(2048)
    assert per_seq_dp == pytest.approx(per_seq_tp / 8)
    assert dp.kv_limit_per_replica > 4 * tp.kv_limit_per_replica
    # one sequence still lives whole in one group: its own KV per GPU is what TP8's is
    assert sequence_kv_bytes(dp.costs, 4096, 16) == pytest.approx(sequence_kv_bytes(tp.costs, 4096, 16))


def test_sglang_with_dp_attention_reserves_less_of_the_running_requests_output() -> None:
    """SGLang's ServerArgs multiplies --schedule-conservativeness by 0.3 when data-parallel attention is on,
    and the scheduler reserves 0.7 x conservativeness of each running request's remaining output at
    admission, decaying to 0.14 of that over 600 decode steps: with DP attention the reserve starts at
    0.21. Other layouts and engines keep the default."""
    from config_explorer.engine.simulator import sglang_new_token_ratio

    assert sglang_new_token_ratio() == pytest.approx((0.7, 0.098, (0.7 - 0.098) / 600))
    dp = _plan(ep=8, dp_attention=8, engine="sglang").scheduler_config()
    assert dp.new_token_ratio == pytest.approx((0.21, 0.0294, (0.21 - 0.0294) / 600))
    assert _plan(ep=8, engine="sglang").scheduler_config().new_token_ratio[0] == pytest.approx(0.7)


def test_scale_replays_trtllm_bench_sizing_and_client_closed_loops() -> None:
    """benchmarks/scale.py: a trtllm-bench run that prints no batch limits is sized as the tool sizes it, for the
    whole tensor-parallel group (each attention-DP rank takes that batch as its own), with every request queued
    at once; a benchmark client's ShareGPT closed loop keeps its concurrency and prompt count; a TTFT row reads
    the estimate's TTFT."""
    module = load_benchmark("scale")
    rows = _scale_more_rows(module)
    bench = next(
        r for r in rows if "perf-overview" in r["source"] and r["gpu"] == "B200" and "Qwen3" in r["model"]
    )
    layout = module._layout(bench)
    assert layout["dp_attention"] == 4 and layout["ep"] == 4 and layout["kv_precision"] == "fp8"
    value, how = module.end_to_end_estimate(bench, layout)
    assert value is not None and value > 0 and "requests at once" in how
    probe = module._phase_deployment(bench, layout)
    batch, _ = module.trtllm_bench_settings(
        int(bench["input_len"]), int(bench["output_len"]), probe.kv_limit_per_replica
    )
    assert f"batch limit {batch} a rank" in how and batch > probe.kv_limit_per_replica // 4
    client = next(r for r in rows if r["dataset"] == "sharegpt" and r["concurrency"] == "100")
    value, how = module.end_to_end_estimate(client, module._layout(client))
    assert value is not None and "closed loop of 100, 1000 requests" in how
    ttft = next(r for r in rows if r["metric"] == "ttft_ms_mean" and r["concurrency"] == "100")
    value, _ = module.end_to_end_estimate(ttft, module._layout(ttft))
    assert value is not None and 10.0 < value < 60_000.0


def test_scale_replays_each_row_under_the_engine_release_it_states() -> None:
    """benchmarks/scale.py pins the release a row states (its prompt-graph, scheduling and memory rules differ by
    release) and leaves the engine's newest rules where a row names a commit, a branch or nothing."""
    module = load_benchmark("scale")

    def release(text: str) -> str:
        return str(module._release({"engine_version": text}))

    assert release("0.5.6.post1") == "0.5.6"
    assert release("main of Aug 2025 with PR #9359 (about 0.5.0rc)") == "0.5.0"
    assert release("release/1.2 (page: 'As of release/1.2, ...')") == "1.2"
    assert release("v0.11.x era (V1 engine; exact version not stated)") == "0.11"
    assert release("commit b6261862419c33d6ce2313aff1e7116067d6037d") == ""
    assert release("not stated") == ""
    row = next(
        r for r in _scale_more_rows(module) if r["engine"] == "sglang" and r["engine_version"] == "0.5.7"
    )
    layout = module._layout(row)
    assert layout["engine"] == "sglang==0.5.7" and module._engine_name(layout) == "sglang"


def test_scale_replays_a_rate_driven_client_and_skips_runs_of_unstated_traffic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every collection ``benchmarks/scale.py`` reads has the first one's columns; a row whose client sent its
    prompts at a rate (no concurrency) is replayed as Poisson arrivals at that rate with its prompt count and
    the client's own length draws, and a row whose dataset is not stated is not scored, saying why."""
    import csv

    module = load_benchmark("scale")
    header = module.DATA.open().readline()
    assert all(path.open().readline() == header for path in module.SOURCES)
    with module.DATA_2026.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    paced = next(r for r in rows if r["request_rate"] not in ("", "inf") and not r["concurrency"])
    seen: dict[str, Any] = {}

    def capture(*args: Any, traffic: Any, **kwargs: Any) -> Any:
        seen["traffic"] = traffic
        raise module.ConfigExplorerError("captured")

    monkeypatch.setattr(module, "estimate", capture)
    with pytest.raises(module.ConfigExplorerError):
        module.end_to_end_estimate(paced, module._layout(paced))
    traffic = seen["traffic"]
    assert traffic.arrival == "poisson" and traffic.request_rate == float(paced["request_rate"])
    assert traffic.num_requests == 600  # the row's --num-prompts
    # sglang.bench_serving's --random-input 180 / --random-output 400 at range ratio 0: uniform over [1, L]
    assert traffic.input_lengths.high == 180 and traffic.output_lengths.high == 400
    unstated = next(r for r in rows if r["dataset"] == "unstated")
    assert module._skip_reason(unstated) == "the run's dataset and lengths are not stated"


def _scale_more_rows(module: Any) -> list[dict[str, str]]:
    import csv

    with module.DATA_MORE.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_redundant_experts_add_copies_to_each_rank() -> None:
    plain = shard_costs(V3, "fp8", "bf16", 64, 1, ep=64, dp_attention=64)
    spare = shard_costs(V3, "fp8", "bf16", 72, 1, ep=72, dp_attention=72, redundant_experts=32)
    assert spare.resident_weight_bytes > 0 and plain.resident_weight_bytes > 0
    per_rank = (V3.num_experts + 32) // 72
    dense = spare.resident_weight_bytes - spare.moe_layers * per_rank * spare.expert_bytes
    assert per_rank == 4 and dense > 0


# -- bad layouts ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"ep": 3}, "ep=3 does not divide tp=8; accepted: 1, 2, 4, 8"),
        ({"dp_attention": 3}, "dp_attention=3 does not divide tp=8"),
        ({"ep": 0}, "ep must be an integer >= 1, got 0"),
        ({"redundant_experts": 8}, "redundant_experts=8 needs expert parallelism"),
        ({"ep": 8, "redundant_experts": -1}, "redundant_experts must be an integer >= 0"),
        ({"ep": 8, "redundant_experts": 4}, "ep=8 does not divide the 256 + 4 redundant experts"),
        ({"two_batch_overlap": True}, "two_batch_overlap=True"),
        ({"ep": 8, "expert_imbalance": 0.5}, "expert_imbalance must be a number in [1, 64]"),
    ],
)
def test_bad_layouts_name_the_value_and_what_is_accepted(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidArgumentError, match=None) as info:
        _plan(**kw)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("model", "gpus", "kw", "needle"),
    [
        ("deepseek-ai/DeepSeek-R1", 8, {"expert_parallel_size": 7}, "at tp=8, ep=7 does not divide tp=8"),
        (
            "meta-llama/Llama-3.1-8B-Instruct",
            2,
            {"expert_parallel_size": 2},
            "has no experts; accepted: ep=1",
        ),
        ("mistralai/Mixtral-8x7B-v0.1", 16, {"expert_parallel_size": 16}, "does not divide the 8 experts"),
    ],
)
def test_a_split_no_tp_takes_says_why_when_tp_is_left_out(
    model: str, gpus: int, kw: dict[str, int], needle: str
) -> None:
    from config_explorer.recommender import estimate_performance

    with pytest.raises(InvalidArgumentError) as info:
        estimate_performance(model, "H100", gpus, backend="native", **kw)
    assert "no tensor-parallel degree splits" in str(info.value) and needle in str(info.value)


def test_expert_layouts_need_experts() -> None:
    assert "has no experts" in (check_layout(LLAMA8, 8, 8, 1, ep=2) or "")
    assert "applies to MoE models" in (check_layout(LLAMA8, 8, 8, 1, dp_attention=2) or "")
    # EP72 needs redundant experts to split DeepSeek's 256 experts: 32 make 288 = 72 x 4
    assert "does not divide the 256 experts" in (check_layout(V3, 72, 72, 1, ep=72, dp_attention=72) or "")
    assert check_layout(V3, 72, 72, 1, ep=72, dp_attention=72, redundant_experts=32) is None


# -- the token exchange and the busiest rank ---------------------------------------------------------
def test_exchange_sends_by_hand() -> None:
    # one node of 8: every remote expert is inside it; top-8 of 8 ranks sends 7 per-expert copies
    assert exchange_sends(8, 8, 8, per_expert=True) == pytest.approx((7.0, 0.0))
    # per remote rank instead: 7 x (1 - (7/8)^8) = 4.59 distinct ranks
    inside, across = exchange_sends(8, 8, 8, per_expert=False)
    assert inside == pytest.approx(7 * (1 - (7 / 8) ** 8)) and across == 0.0
    # 64 ranks over 8 nodes: per expert, 56 of every 64 experts are across the network
    assert exchange_sends(64, 8, 8, per_expert=True) == pytest.approx((8 * 7 / 64, 8 * 56 / 64))


@settings(max_examples=40, deadline=None)
@given(ep=st.sampled_from([2, 4, 8, 16, 32, 64, 128]), k=st.integers(1, 16))
def test_per_rank_sends_never_exceed_per_expert_sends(ep: int, k: int) -> None:
    for domain in (4, 8, 72):
        dedup = sum(exchange_sends(ep, domain, k, per_expert=False))
        each = sum(exchange_sends(ep, domain, k, per_expert=True))
        assert dedup <= each + 1e-9
        assert each == pytest.approx(k * (ep - 1) / ep)


@settings(max_examples=25, deadline=None)
@given(low=st.floats(1.0, 3.0), extra=st.floats(0.0, 2.0), batch=st.sampled_from([1, 16, 256, 2048]))
def test_more_expert_imbalance_never_speeds_a_step(low: float, extra: float, batch: int) -> None:
    even = _plan(ep=8, dp_attention=8, expert_imbalance=low)
    skewed = _plan(ep=8, dp_attention=8, expert_imbalance=low + extra)
    args = (batch, batch * 2048.0, 0.0, 0.0, 0.0, 0.0, float(batch))
    assert skewed.step_cost.time(*args) >= even.step_cost.time(*args) * (1 - 1e-12)


def test_expected_largest_normal_draw_by_hand() -> None:
    # E[max of 2] = 1/sqrt(pi), of 3 = 3/(2 sqrt(pi)); of 4 and 8 from the tables of normal order statistics
    assert expected_max_normal(1) == 0.0
    assert expected_max_normal(2) == pytest.approx(1 / math.sqrt(math.pi), abs=1e-4)
    assert expected_max_normal(3) == pytest.approx(3 / (2 * math.sqrt(math.pi)), abs=1e-4)
    assert expected_max_normal(4) == pytest.approx(1.0294, abs=1e-4)
    assert expected_max_normal(8) == pytest.approx(1.4236, abs=1e-4)


def test_one_token_lands_unevenly_on_expert_parallel_ranks() -> None:
    """One decode token picks 8 of DeepSeek's 256 experts; over 8 ranks of 32 the mean rank holds 1 of them, but
    the busiest holds more than the routing skew's 1.2: a rank's share is hypergeometric (variance
    8 x 1/8 x 7/8 x 248/255), and the largest of 8 such draws lies 1.424 standard deviations above the mean."""
    sc = _plan(ep=8, dp_attention=8).step_cost
    touched = sc.moe_layer_streaming(1.0)[0] / sc.costs.expert_bytes
    assert touched == pytest.approx(1 + 1.4236 * math.sqrt(8 / 8 * 7 / 8 * 248 / 255), rel=1e-3)
    # without expert parallelism every GPU streams its slice of all 8
    tp_only = _plan().step_cost
    assert tp_only.moe_layer_streaming(1.0)[0] / tp_only.costs.expert_bytes == pytest.approx(8.0)


@settings(max_examples=25, deadline=None)
@given(ep=st.sampled_from([2, 4, 8, 16, 32]), tokens=st.integers(1, 4096), more=st.integers(1, 4096))
def test_the_busiest_rank_never_streams_less_for_more_tokens(ep: int, tokens: int, more: int) -> None:
    sc = _plan(tp=ep, ep=ep, dp_attention=ep).step_cost
    fewer = sc.moe_layer_streaming(float(tokens))[0]
    assert sc.moe_layer_streaming(float(tokens + more))[0] >= fewer * (1 - 1e-12)
    # and never more than the experts the rank holds
    assert fewer <= sc.costs.num_experts / ep * sc.costs.expert_bytes * (1 + 1e-12)


def test_default_imbalance_is_the_stated_figure() -> None:
    assert _plan(ep=8).rates.expert_imbalance == EXPERT_IMBALANCE
    assert _plan().rates.expert_imbalance == 1.0  # no expert parallelism, no busiest rank


def test_exchange_constant_is_the_deepep_fit() -> None:
    """EXCHANGE_US is what benchmarks/ep_exchange.py fits on DeepEP's EP16/EP32 low-latency kernel
    times (rounded to 0.1 us): a change to the exchange model or the data shows up here."""
    module = load_benchmark("ep_exchange")
    assert round(module.fitted_latency_us(), 1) == EXCHANGE_US


def test_two_batch_overlap_hurts_small_batches_and_helps_large_ones() -> None:
    """LMSYS's DeepSeek-V3 decode on 72 H100s (EP72, DeepEP): two-batch overlap cost 27% at 32 tokens
    per GPU and gained 25.5% at 256. The engine gets both signs from the mechanism: each half re-reads
    the weights and relaunches the kernels, and hides only the other half's exchange
    (benchmarks/scale.py prints the figures beside the blog's)."""
    module = load_benchmark("scale")
    for _batch, engine_change, measured in module.overlap_ablation():
        assert engine_change * measured > 0  # the same sign as measured


def test_wide_layouts_exchange_over_the_network() -> None:
    one_node = _plan(ep=8, dp_attention=8)
    four_nodes = plan_deployment(
        R1, H200, num_gpus=32, tp=32, ep=32, dp_attention=32, input_length=1024, output_length=1024
    )
    assert "scale-up domains" in " ".join(four_nodes.warnings)
    assert four_nodes.rates.scale_out_bytes_s < one_node.rates.scale_up_bytes_s / 4
    # per GPU, a 64-sequence decode step of the 4-node layout spends longer exchanging tokens
    one = one_node.step_cost.breakdown(512, 512 * 2048.0, 0, 0, 0, 0, 512)
    four = four_nodes.step_cost.breakdown(2048, 2048 * 2048.0, 0, 0, 0, 0, 2048)
    assert four.comm_s > 2 * one.comm_s


def test_expert_parallel_speeds_a_large_moe_decode_at_tp8() -> None:
    """TP8 slices DeepSeek's 2048-wide experts into 256-wide shards whose grouped GEMMs run far below a
    whole expert's; at a large batch the whole-expert layout decodes faster."""
    tp = _plan()
    ep = _plan(ep=8)
    args = (1024, 1024 * 2048.0, 0.0, 0.0, 0.0, 0.0, 1024.0)
    assert ep.step_cost.time(*args) < tp.step_cost.time(*args)


# -- through the API, the CLI, the recommender and the launch commands --------------------------------
def test_estimate_records_the_layout_and_picks_the_native_engine() -> None:
    est = estimate_performance(
        "deepseek-ai/DeepSeek-R1",
        "H200",
        8,
        8,
        1024,
        256,
        concurrency=64,
        expert_parallel_size=8,
        dp_attention=8,
        serving_model="analytic",
    )
    assert est.ok and est.backend == "native"
    assert (est.ep, est.dp_attention, est.nodes, est.redundant_experts) == (8, 8, 1, 0)
    data = json.loads(est.to_json())
    assert data["ep"] == 8 and data["dp_attention"] == 8
    assert "ep=8" in repr(est)


def test_llm_optimizer_backend_refuses_expert_layouts() -> None:
    from config_explorer.backends.base import EstimateRequest
    from config_explorer.backends.llm_optimizer import LLMOptimizerBackend

    try:
        backend = LLMOptimizerBackend()
    except Exception:
        pytest.skip("BentoML's llm-optimizer is not importable here")
    record = backend.estimate(
        EstimateRequest(arch=R1, gpu=H200, num_gpus=8, tp=8, ep=8, input_length=100, output_length=10)
    )
    assert not record.ok and "expert parallelism" in (record.error or "")


def test_cli_estimate_takes_the_moe_layout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "estimate",
            "--model",
            "deepseek-ai/DeepSeek-R1",
            "--gpu",
            "H200",
            "--num-gpus",
            "8",
            "--tp",
            "8",
            "--ep",
            "8",
            "--dp-attention",
            "8",
            "--input-len",
            "512",
            "--output-len",
            "64",
            "--concurrency",
            "16",
            "--serving-model",
            "analytic",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "ep=8, dp_attention=8" in out


def test_cli_refuses_an_unknown_parallelism(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "recommend",
            "--model",
            "Qwen/Qwen3-30B-A3B",
            "--gpus",
            "H100",
            "--workload",
            "chat",
            "--parallelism",
            "tp,zp",
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and "unknown parallelism 'zp'; accepted: tp, pp, ep, dp-attention" in err


def test_search_offers_expert_layouts_for_moe_models_only() -> None:
    moe = deployment_layouts(R1, H200, 8)
    assert {(x.ep, x.dp_attention) for x in moe if x.tp == 8} == {(1, 1), (8, 1), (8, 8)}
    assert all((x.ep, x.dp_attention) == (1, 1) for x in deployment_layouts(LLAMA8, H200, 8))
    assert all((x.ep, x.dp_attention) == (1, 1) for x in deployment_layouts(R1, H200, 8, ("tp", "pp")))
    wide = deployment_layouts(R1, H100, 32)
    assert (32, 1, 32, 32) in wide  # one expert-parallel replica over four nodes


def test_recommender_ranks_expert_layouts_for_deepseek() -> None:
    result = recommend_gpus(
        "deepseek-ai/DeepSeek-R1",
        1024,
        256,
        gpus=["H200"],
        max_gpus=8,
        target_requests_per_s=5,
        max_itl_ms=100,
        all_layouts=True,
        default_slos=False,
    )
    layouts = {(c.tp, c.ep, c.dp_attention) for c in result.ranked}
    assert (8, 8, 8) in layouts and (8, 1, 1) in layouts
    best = result.best
    assert best is not None
    assert (best.ep, best.dp_attention) == (best.estimate.ep, best.estimate.dp_attention)  # type: ignore[union-attr]
    plain = recommend_gpus(
        "deepseek-ai/DeepSeek-R1",
        1024,
        256,
        gpus=["H200"],
        max_gpus=8,
        target_requests_per_s=5,
        max_itl_ms=100,
        all_layouts=True,
        default_slos=False,
        parallelism="tp,pp",
    )
    assert all((c.ep, c.dp_attention) == (1, 1) for c in plain.ranked)


@pytest.mark.parametrize(
    ("ep", "groups", "overlap", "redundant"),
    [(8, 1, False, 0), (8, 8, False, 0), (8, 8, True, 8), (4, 1, False, 0), (8, 2, False, 0)],
)
def test_launch_commands_use_each_engines_own_options(
    ep: int, groups: int, overlap: bool, redundant: int
) -> None:
    est = estimate_performance(
        "deepseek-ai/DeepSeek-R1",
        "H200",
        16,
        8,
        1024,
        256,
        concurrency=128,
        expert_parallel_size=ep,
        dp_attention=groups,
        two_batch_overlap=overlap,
        redundant_experts=redundant,
        serving_model="analytic",
        backend="native",
    )
    assert est.ok
    commands = serve_commands(R1, est)
    if ep in (1, 8):
        options = assert_valid("vllm", commands["vllm"])
        assert options["--tensor-parallel-size"] == str(8 // groups)
        assert ("--enable-expert-parallel" in options) == (ep > 1)
        if groups > 1:
            assert options["--data-parallel-size"] == str(groups)
            assert "start 2 of these" in commands["vllm"]
        assert ("--enable-dbo" in options) == overlap
    else:
        assert commands["vllm"].startswith("# vLLM cannot run ep=4 over tp=8")
    sglang = assert_valid("sglang", commands["sglang"])
    assert sglang["--ep-size"] == str(ep) and sglang["--dp-size"] == "2"
    if groups > 1:
        assert sglang["--attn-dp-size"] == str(groups)
        # SGLang's running-request cap is the server's, split over its attention groups
        assert int(sglang["--max-running-requests"] or 0) % groups == 0
    if groups in (1, 8):
        trt = assert_valid("trtllm", commands["trtllm"])
        assert trt["--ep_size"] == str(ep)
        assert ("enable_attention_dp: true" in commands["trtllm"]) == (groups > 1)
    else:
        assert commands["trtllm"].startswith("# TensorRT-LLM cannot run dp_attention=2 over tp=8")


def test_dp_attention_sizes_each_group_for_its_share() -> None:
    est = estimate_performance(
        "deepseek-ai/DeepSeek-R1",
        "H200",
        8,
        8,
        1024,
        256,
        concurrency=256,
        expert_parallel_size=8,
        dp_attention=8,
        serving_model="analytic",
    )
    commands = serve_commands(R1, est)
    vllm = assert_valid("vllm", commands["vllm"])
    assert vllm["--max-num-seqs"] == "32"  # 256 in flight over 8 data-parallel ranks
    sglang = assert_valid("sglang", commands["sglang"])
    assert sglang["--max-running-requests"] == "256"
    assert math.isfinite(est.memory_kv_capacity_gib or math.nan) and est.memory_kv_capacity_gib * GIB > 0  # type: ignore[operator]


def test_dp_attention_groups_step_in_lockstep_on_the_busiest_group() -> None:
    """A prompt chunk is computed by one attention group while the others wait for it at the expert
    layers: the step costs that group's load, more than an even share of the same tokens would. (A TensorRT
    engine: the PyTorch backend's host issue time would set both steps.)"""
    dep = _plan(ep=8, dp_attention=8, engine="trtllm", engine_options=EngineOptions(tensorrt_engine=True))
    cost, decodes, context, chunk = dep.step_cost, 512, 2048, 1024
    kv = decodes * context
    pairs = chunk * (chunk + 1) / 2
    even = cost.time(decodes, kv, kv, chunk, pairs, pairs, decodes + 1)
    # the same totals as an even share: grouped_time reduces to time
    assert cost.grouped_time(
        decodes, kv, kv, chunk, pairs, pairs, decodes + 1, moe_tokens=decodes + chunk
    ) == (pytest.approx(even))
    one_group = cost.grouped_time(
        decodes, kv, kv, 8 * chunk, 8 * pairs, 8 * pairs, decodes + 8, moe_tokens=decodes + chunk
    )
    assert one_group > 1.2 * even


def test_dp_attention_chunks_fit_one_groups_token_budget() -> None:
    """Each attention group schedules under its own max_num_batched_tokens: a long prompt takes as many
    chunks as one group's budget needs, not the replica's total."""
    from config_explorer.engine.simulator import simulate
    from config_explorer.engine.traffic import Lengths, Traffic

    traffic = Traffic(
        input_lengths=Lengths.fixed(16384), output_lengths=Lengths.fixed(2), arrival="offline", num_requests=1
    )
    grouped = _plan(ep=8, dp_attention=8, max_num_batched_tokens=2048)
    assert grouped.scheduler_config().attention_groups == 8
    assert grouped.step_token_budget == 8 * 2048
    run = simulate(grouped.step_cost, grouped.scheduler_config(), traffic)
    assert run.steps >= 16384 // 2048 + 1  # eight chunks, then a decode
    tp8 = _plan(max_num_batched_tokens=8 * 2048)
    assert simulate(tp8.step_cost, tp8.scheduler_config(), traffic).steps <= 3


# -- disaggregated prefill / decode ----------------------------------------------------------------
def _split(**kw):  # type: ignore[no-untyped-def]
    from config_explorer.engine.disaggregated import PoolLayout, estimate_disaggregated

    args = {
        "prefill": PoolLayout(8),
        "decode": PoolLayout(8, 8, 8),
        "prefill_replicas": 1,
        "decode_replicas": 1,
        "input_length": 2000,
        "output_length": 400,
        "request_rate": 8.0,
    }
    args.update(kw)
    return estimate_disaggregated(R1, H200, **args)


def test_disaggregated_ttft_is_prefill_plus_transfer_plus_a_decode_step() -> None:
    from config_explorer.engine.disaggregated import PoolLayout, kv_transfer_s

    e = _split()
    assert e.ok and e.serving_model == "disaggregated"
    assert (e.prefill_replicas, e.decode_replicas, e.prefill_tp, e.num_gpus) == (1, 1, 8, 16)
    transfer = kv_transfer_s(R1, H200, PoolLayout(8), PoolLayout(8, 8, 8), 2000, "bf16")
    assert e.kv_transfer_ms == pytest.approx(transfer * 1e3)
    # MLA's latent for 2,000 tokens, over one NIC (the decode group is one GPU): milliseconds, not micro
    assert 1.0 < (e.kv_transfer_ms or 0) < 20.0
    assert e.ttft_ms is not None and e.itl_ms is not None
    assert e.ttft_ms > e.itl_ms + e.kv_transfer_ms  # type: ignore[operator]
    # every decode step is alike: the ITL tail is the mean; E2E = TTFT + (output - 1) ITL
    assert e.itl_p99_ms == pytest.approx(e.itl_ms)
    assert e.e2e_latency_s == pytest.approx(e.ttft_ms / 1e3 + 399 * e.itl_ms / 1e3)
    # Little's law: requests in flight = rate x E2E
    assert e.concurrency == max(round(8.0 * (e.e2e_latency_s or 0)), 1)
    assert e.output_throughput_tok_s_per_gpu == pytest.approx(8.0 * 400 / 16)


def test_more_decode_replicas_never_slow_decode() -> None:
    itls = [_split(decode_replicas=y).itl_ms for y in (1, 2, 4)]
    assert all(a is not None for a in itls)
    assert itls[0] >= itls[1] >= itls[2]  # type: ignore[operator]


def test_a_pool_that_cannot_keep_up_says_which() -> None:
    slow = _split(request_rate=500.0)
    assert not slow.ok and "cannot keep up" in (slow.error or "")


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"prefill_replicas": 0}, "prefill_replicas must be an integer from 1"),
        ({"decode_replicas": 1.5}, "decode_replicas must be an integer from 1"),
        ({"request_rate": 0}, "request_rate must be a finite number"),
    ],
)
def test_disaggregated_bad_input(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        _split(**kw)
    assert needle in str(info.value)


def test_disaggregated_bad_layout_names_the_pool() -> None:
    from config_explorer.engine.disaggregated import PoolLayout

    with pytest.raises(InvalidArgumentError) as info:
        _split(decode=PoolLayout(8, 3))
    assert str(info.value).startswith("decode layout: ep=3 does not divide tp=8")


@functools.cache
def _split_search(speculative: str | None = None) -> RecommendationResult:
    """DeepSeek-R1 on up to 16 H200s at 8 requests/s, aggregated and disaggregated (searched once). The ITL bound
    leaves an aggregated plan within 16 GPUs (its 2,000-token prompts' eager steps hold its mixed steps near 80 ms),
    so the note compares the two."""
    return recommend_gpus(
        "deepseek-ai/DeepSeek-R1",
        2000,
        400,
        gpus=["H200"],
        max_gpus=16,
        target_requests_per_s=8,
        max_ttft_ms=2000,
        max_itl_ms=80,
        default_slos=False,
        disaggregated=True,
        speculative=speculative,
        backend="native",
    )


def test_recommender_compares_disaggregated_with_aggregated_plans() -> None:
    result = _split_search()
    assert result.disaggregated, result.disaggregation_note
    for plan in result.disaggregated:
        est = plan.estimate
        assert est is not None and est.ok and not check_slos(est, result.constraints)
        assert (
            plan.num_gpus
            == (est.prefill_replicas or 0) * (est.prefill_tp or 0) + (est.decode_replicas or 0) * plan.tp
        )
    assert "aggregated best:" in result.disaggregation_note
    text = result.summary()
    assert "disaggregated prefill/decode" in text and "prefill pool" in text
    data = json.loads(result.to_json())
    assert data["disaggregated"] and data["disaggregated"][0]["estimate"]["prefill_replicas"] >= 1
    commands = result.disaggregated[0].serve_commands
    for engine in ("vllm", "sglang"):
        servers = [line for line in commands[engine].splitlines() if not line.startswith("#")]
        assert len(servers) == 2
        for line in servers:
            assert_valid(engine, line)
    assert "--disaggregation-mode prefill" in commands["sglang"]
    assert "--disaggregation-mode decode" in commands["sglang"]
    est = result.disaggregated[0].estimate
    assert est is not None
    check_trtllm_disaggregated(commands["trtllm"], est.prefill_replicas or 0, est.decode_replicas or 0)


def _printed_yaml(argv: list[str]) -> tuple[str, list[str]]:
    """(file, its lines) of a ``printf 'TEXT' > FILE`` line."""
    assert argv[0] == "printf" and argv[2] == ">", argv
    return argv[3], argv[1].split("\\n")[:-1]


def _yaml_tree(lines: list[str]) -> dict[str, Any]:
    """The few YAML shapes the commands write: ``key: value``, ``key:`` with an indented mapping below,
    and ``- item`` lists."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, Any]] = [(-1, root)]
    for n, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if text.startswith("- "):
            assert isinstance(parent, list), line
            parent.append(text[2:].strip('"'))
            continue
        key, _, value = text.partition(":")
        assert isinstance(parent, dict), line
        if value.strip():
            parent[key] = value.strip()
        else:
            nxt = lines[n + 1] if n + 1 < len(lines) else ""
            child: Any = [] if nxt.strip().startswith("- ") else {}
            parent[key] = child
            stack.append((indent, child))
    return root


def check_trtllm_disaggregated(command: str, prefill: int, decode: int) -> None:
    """TensorRT-LLM's disaggregated launch: every option and file key is one its source reads, each pool's
    worker lists as many replicas in the cluster file as the plan has, and the ports agree."""
    raw = engine_flag_data("trtllm")
    lines = [shlex.split(line) for line in command.splitlines() if line and not line.startswith("#")]
    files = dict(_printed_yaml(argv) for argv in lines if argv[0] == "printf")
    workers = [argv for argv in lines if argv[:1] == ["trtllm-serve"] and argv[1] != "disaggregated"]
    proxy = [argv for argv in lines if argv[:2] == ["trtllm-serve", "disaggregated"]]
    assert len(workers) == 2 and len(proxy) == 1 and len(files) == 3, command
    disagg = raw["disaggregated"]
    assert {t for t in proxy[0][2:] if t.startswith("-")} <= set(disagg["flags"])
    cluster = _yaml_tree(files[proxy[0][proxy[0].index("-c") + 1]])
    assert set(cluster) <= set(disagg["cluster_file_keys"]["top"])
    ports = []
    for argv, (section, replicas) in zip(
        workers, (("context_servers", prefill), ("generation_servers", decode))
    ):
        assert_valid("trtllm", shlex.join(argv))
        options = _yaml_tree(files[argv[argv.index("--extra_llm_api_options") + 1]])
        backend = options["cache_transceiver_config"]["backend"]
        assert backend in raw["extra_llm_api_options_values"]["cache_transceiver_config.backend"]
        assert ("disable_overlap_scheduler" in options) == (section == "context_servers")
        pool = cluster[section]
        assert set(pool) <= set(disagg["cluster_file_keys"]["server"])
        assert int(pool["num_instances"]) == len(pool["urls"]) == replicas >= 1
        port = int(argv[argv.index("--port") + 1])
        assert pool["urls"][0] == f"localhost:{port}"
        ports += [int(url.rpartition(":")[2]) for url in pool["urls"]]
    assert len(set(ports)) == len(ports) and int(cluster["port"]) not in ports


def test_trtllm_disaggregated_launch_lists_every_replica() -> None:
    plan = _split_search().disaggregated[0]
    assert plan.estimate is not None
    est = attrs.evolve(plan.estimate, prefill_replicas=3, decode_replicas=2)
    arch = load_model("deepseek-ai/DeepSeek-R1")
    command = disaggregated_commands(arch, est)["trtllm"]
    check_trtllm_disaggregated(command, 3, 2)
    assert "8001 to 8003" in command and "8004 to 8005" in command
    # a layout TensorRT-LLM cannot run gets the reason, not a broken launch
    odd = attrs.evolve(est, dp_attention=2)
    assert disaggregated_commands(arch, odd)["trtllm"].startswith("# TensorRT-LLM cannot run dp_attention=2")


def test_disaggregated_search_needs_a_load_and_the_native_engine() -> None:
    with pytest.raises(InvalidArgumentError, match="target_requests_per_s"):
        recommend_gpus("deepseek-ai/DeepSeek-R1", 1000, 100, gpus=["H200"], disaggregated=True)

    class Fake:
        name = "fake"

        def estimate(self, request: object) -> object:
            raise AssertionError("never called")

        def describe(self) -> dict[str, object]:
            return {"name": "fake"}

    with pytest.raises(InvalidArgumentError, match="needs the native engine"):
        recommend_gpus(
            "deepseek-ai/DeepSeek-R1",
            1000,
            100,
            gpus=["H200"],
            disaggregated=True,
            target_requests_per_s=1,
            backend=Fake(),  # type: ignore[arg-type]
        )


def test_mla_decodes_in_the_absorbed_form() -> None:
    """DeepSeek's decode attention per query-key pair, by hand: 2 x heads x (2 x 512 + 64) per layer over
    its 61 layers (the absorbed form), against 2 x heads x (192 + 128) for prefill; per GPU at TP8, 16
    heads; with 8 attention groups, each GPU's share of the replica's pairs is 1/8 of its group's."""
    tp8 = shard_costs(R1, "fp8", "bf16", 8, 1)
    assert tp8.attention_flops_per_pair_decode == pytest.approx(2 * 16 * 1088 * 61)
    assert tp8.attention_flops_per_pair_full == pytest.approx(2 * 16 * 320 * 61)
    groups = shard_costs(R1, "fp8", "bf16", 8, 1, ep=8, dp_attention=8)
    assert groups.attention_flops_per_pair_decode == pytest.approx(tp8.attention_flops_per_pair_decode)
    # grouped-query attention is unchanged: its decode and prefill pairs cost the same
    gqa = shard_costs(LLAMA8, "bf16", "bf16", 1, 1)
    assert gqa.attention_flops_per_pair_decode == gqa.attention_flops_per_pair_full


def test_the_network_per_gpu_is_catalog_data() -> None:
    """A spec may state its network per GPU; a faster one shortens a multi-node token exchange, and a
    figure outside its physical range is refused, naming the field."""
    import attrs

    from config_explorer.catalogs.gpus import gpu_from_mapping

    assert H100.scale_out_bandwidth_gb_s == 50.0  # one 400 Gb/s NIC per GPU, the stated default
    fast = attrs.evolve(H100, name="H100 with two NICs", scale_out_bandwidth_gb_s=100.0)
    args = (2048, 2048 * 2048.0, 0.0, 0.0, 0.0, 0.0, 2048.0)

    def comm(gpu) -> float:  # type: ignore[no-untyped-def]
        dep = plan_deployment(
            R1, gpu, num_gpus=32, tp=32, ep=32, dp_attention=32, input_length=1024, output_length=1024
        )
        return dep.step_cost.breakdown(*args).comm_s

    assert comm(fast) < comm(H100)
    data = H100.to_dict()
    data["interconnect"] = {"kind": "NVLink 4", "bandwidth_gb_s": 900, "scale_out_gb_s": 0.0}
    data["name"] = "bad network"
    with pytest.raises(InvalidArgumentError, match="scale_out_gb_s"):
        gpu_from_mapping(data)


def test_html_and_csv_carry_the_moe_layouts_and_the_disaggregated_plans() -> None:
    from config_explorer.html_report import html_report

    result = _split_search()
    page = html_report([result])
    assert "<th>EP</th>" in page and "<th>DPA</th>" in page
    assert "Disaggregated prefill and decode" in page and "prefill pool" in page
    rows = result.to_records()
    split = [r for r in rows if r.get("serving_model") == "disaggregated"]
    assert split and all(r["prefill_replicas"] >= 1 and r["decode_replicas"] >= 1 for r in split)


def test_disaggregated_pools_run_speculative_decoding() -> None:
    """With a draft, both pools hold it and the decode pool's rounds are the speculative steps' per-token
    share: MTP shortens DeepSeek-R1's decode gap at a light load, as it does aggregated."""
    from config_explorer.recommender.disaggregated import PoolLayout, estimate_disaggregated

    plain = _split(request_rate=2.0)
    kwargs: dict[str, Any] = {"prefill": PoolLayout(8), "decode": PoolLayout(8, 8, 8), "request_rate": 2}
    kwargs.update(prefill_replicas=1, decode_replicas=1, input_length=2000, output_length=400)
    drafted = estimate_disaggregated("deepseek-ai/DeepSeek-R1", "H200", speculative="mtp", **kwargs)
    assert plain.ok and drafted.ok, (plain.error, drafted.error)
    assert drafted.speculative_method == "mtp" and plain.speculative_method is None
    assert drafted.itl_ms is not None and plain.itl_ms is not None and drafted.itl_ms < 0.8 * plain.itl_ms
    assert drafted.memory_kv_capacity_gib < plain.memory_kv_capacity_gib  # the draft's weights and KV
    with pytest.raises(InvalidArgumentError, match="speculative"):
        estimate_disaggregated("deepseek-ai/DeepSeek-R1", "H200", speculative="medusa", **kwargs)
    result = _split_search("mtp")
    assert result.disaggregated and "estimated without" not in result.disaggregation_note
    plan = result.disaggregated[0]
    assert plan.estimate is not None and plan.estimate.speculative_method == "mtp"
    for line in plan.serve_commands["sglang"].splitlines():
        if not line.startswith("#"):
            assert "--speculative-algorithm EAGLE" in line
            assert_valid("sglang", line)


def test_the_prefill_pool_serves_shared_prefixes_from_its_cache() -> None:
    """A shared prefix shortens the prefill pool's work (and TTFT); the KV transfer still carries every
    prompt's whole cache, and the recommender's note no longer says the prefix was left out."""
    from config_explorer.engine.traffic import SharedPrefix
    from config_explorer.recommender.disaggregated import PoolLayout, estimate_disaggregated

    kwargs: dict[str, Any] = {"prefill": PoolLayout(4), "decode": PoolLayout(4), "request_rate": 4}
    kwargs.update(prefill_replicas=1, decode_replicas=1, input_length=2048, output_length=256)
    model = "meta-llama/Llama-3.3-70B-Instruct"
    cold = estimate_disaggregated(model, "H100", **kwargs)
    warm = estimate_disaggregated(model, "H100", prefix=SharedPrefix(length=1536, num_prefixes=4), **kwargs)
    assert cold.ok and warm.ok, (cold.error, warm.error)
    assert cold.prefix_cache_hit_rate is None
    assert warm.prefix_cache_hit_rate is not None and 0.5 < warm.prefix_cache_hit_rate <= 0.75
    assert warm.ttft_ms is not None and cold.ttft_ms is not None and warm.ttft_ms < 0.6 * cold.ttft_ms
    assert warm.kv_transfer_ms == cold.kv_transfer_ms
    with pytest.raises(InvalidArgumentError, match="prefix"):
        estimate_disaggregated(model, "H100", prefix=SharedPrefix(length=4096), **kwargs)
    chat = recommend_gpus(
        model,
        workload="chat",
        gpus=["H100"],
        max_gpus=8,
        target_requests_per_s=10,
        disaggregated=True,
        backend="native",
    )
    assert chat.disaggregated and "estimated without" not in chat.disaggregation_note
    best = chat.disaggregated[0].estimate
    assert best is not None and (best.prefix_cache_hit_rate or 0.0) > 0.0


def test_sglang_dp_attention_decode_graphs_run_the_moe_on_every_group_s_padded_rows() -> None:
    """SGLang with data-parallel attention replays every group's decode graph at the largest group's graph size
    (sizes that are multiples of the group's TP size) and gathers the MoE input in MAX_LEN mode; with the experts
    not split the padding rows are routed like tokens. At one request a ``--tp 8 --dp 4`` server's MoE runs on
    2 x 4 = 8 rows (sglang 0.5.6: cuda_graph_runner.py, dp_attention.py, forward_batch_info.py)."""
    from config_explorer.engine.calibration import sglang_graph_batch_sizes
    from config_explorer.engine.roofline import StepCost

    sizes = sglang_graph_batch_sizes(512)
    assert sizes[:6] == (1, 2, 4, 8, 12, 16) and 256 in sizes and 272 in sizes and 257 not in sizes
    assert (
        sizes[-2:] == (496, 512) and sglang_graph_batch_sizes(100)[-1] == 100
    )  # the limit itself is captured
    dpa = _plan(V3, engine="sglang", dp_attention=4)
    assert dpa.rates.gathered_moe_sizes and all(b % 2 == 0 for b in dpa.rates.gathered_moe_sizes)
    cost = dpa.step_cost
    rows = {d: cost._gathered_moe_tokens(d) for d in (1, 8, 9, 100)}
    assert rows == {1: 8.0, 8: 8.0, 9: 16.0, 100: 128.0}  # 100 over 4 groups: 25 each, graphed at 32
    unpadded = StepCost(dpa.costs, attrs.evolve(dpa.rates, gathered_moe_sizes=()), dpa.profile)
    one = (1, 1500, 0, 0, 0, 0, 1)
    assert cost.time(*one) > unpadded.time(*one) + 1e-3  # a millisecond and more: 8 rows' experts, not 1's
    prompt = (0, 0, 0, 1024, 1024 * 1025 / 2, 0, 1)  # a prompt step is not a decode graph: its own rows
    assert cost.time(*prompt) == pytest.approx(unpadded.time(*prompt), rel=1e-12)
    # no padding where SGLang masks it (experts split), without attention groups, or on another engine
    for plain in (
        _plan(V3, engine="sglang", ep=8, dp_attention=8),
        _plan(V3, engine="sglang"),
        _plan(V3, engine="vllm", dp_attention=4),
    ):
        assert plain.rates.gathered_moe_sizes == ()


def test_deepep_expert_compute_reads_sglangs_measured_decode_layers() -> None:
    """benchmarks/deepep_moe_compute.py (nothing fitted): SGLang 0.5.10's expert computation behind DeepEP's
    low-latency dispatch, as aiconfigurator measured it on five GPUs at EP2-EP256 with uniform routing, reads the
    engine's MoE layer term within a median 12% on every GPU and at every expert-parallel size within 20%."""
    module = load_benchmark("deepep_moe_compute")
    found = module.ratios()
    for gpu in module.GPUS:
        by_ep = found[(gpu, "uniform")]
        every = [r for v in by_ep.values() for r in v]
        assert len(every) == 56
        assert module.log_error(every) < math.log(1.12)
        for values in by_ep.values():
            assert abs(math.log(sorted(values)[len(values) // 2])) < math.log(1.2)


def test_the_exchange_model_reads_sglangs_measured_multi_node_deepep_kernels() -> None:
    """benchmarks/ep_exchange.py's check on SGLang's DeepEP low-latency kernels as aiconfigurator measured them
    (nothing fitted on them): across two to eight H100 nodes (EP16-EP64) at 24-128 tokens a GPU, the decode regime,
    dispatch and combine read the engine's exchange model within a median 10% (0.94-1.03x)."""
    module = load_benchmark("ep_exchange")
    ratios = module.measured_ratios()
    for ep in (16, 32, 64):
        for phase in ("dispatch", "combine"):
            values = sorted(ratios[("H100", ep, phase, 24)])
            assert abs(math.log(values[len(values) // 2])) < math.log(1.1)


def test_tensorrt_llm_gathers_moe_tokens_outside_a_multi_node_nvlink_domain() -> None:
    """TensorRT-LLM's CUTLASS MoE uses its all-to-all only on multi-node NVLink (GB200, GB300); on an HGX node its
    attention-DP ranks all-gather every rank's tokens and reduce-scatter the 16-bit results, at 16 bits for
    block-scaled FP8 experts, whatever the top-k."""
    kw: dict[str, Any] = {"num_gpus": 8, "tp": 8, "ep": 8, "dp_attention": 8, "input_length": 1024}
    hgx = plan_deployment(R1, H200, engine="trtllm", output_length=1024, **kw)
    assert hgx.costs.moe_exchange_gathers
    assert hgx.costs.moe_exchange_token_bytes == R1.expert_hidden_size * (2.0 + 2.0) * hgx.costs.moe_layers
    # the same layout on the other engines, and on GB200's NVL72 domain, dispatches to the experts' ranks
    assert not plan_deployment(R1, H200, engine="sglang", output_length=1024, **kw).costs.moe_exchange_gathers
    gb200 = plan_deployment(R1, get_gpu("GB200"), engine="trtllm", output_length=1024, **kw)
    assert not gb200.costs.moe_exchange_gathers
    # per-tensor FP8 and NVFP4 experts are quantized before the gather
    maverick = load_model("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    fp8 = plan_deployment(maverick, H200, engine="trtllm", precision="fp8", output_length=1024, **kw)
    assert (
        fp8.costs.moe_exchange_token_bytes == maverick.expert_hidden_size * (1.0 + 2.0) * fp8.costs.moe_layers
    )
    # a top-1 model's gather moves every rank's tokens to every GPU: more than a dispatch to one expert's rank
    step = (512.0, 512 * 2048.0, 0.0, 0.0, 0.0, 0.0, 512.0)
    sglang = plan_deployment(maverick, H200, engine="sglang", precision="fp8", output_length=1024, **kw)
    assert fp8.step_cost.breakdown(*step).comm_s > sglang.step_cost.breakdown(*step).comm_s


def test_gathered_tokens_cost_nccls_measured_all_gather_and_reduce_scatter() -> None:
    """Where the MoE layers gather every attention group's tokens (experts not split, or an engine that gathers),
    each collective costs NCCL_GATHER_BY_FAMILY's fixed time and the family's measured share of the link (the
    constants benchmarks/fit_nccl_gather.py fits on its named GPUs), not the token dispatch's; a dispatch
    (expert-parallel ranks exchanging tokens) keeps EXCHANGE_US, and a family without NCCL measurements keeps both."""
    fit = load_benchmark("fit_nccl_gather")
    with fit.DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    for family, gpu in fit.FIT.items():
        fixed, efficiency = fit.fit([r for r in rows if r["gpu"] == gpu])
        held_fixed, held_efficiency = NCCL_GATHER_BY_FAMILY[family]
        assert round(fixed, 1) == held_fixed
        assert round(efficiency, 2) == held_efficiency
    gathered = _plan(dp_attention=8, engine="sglang")  # experts split by tensor parallelism: tokens gathered
    assert gathers_tokens(gathered.costs)
    fixed, efficiency = NCCL_GATHER_BY_FAMILY["hopper"]
    rates = gathered.step_cost.rates
    assert rates.gather_latency_s == pytest.approx(fixed * 1e-6)
    link = H200.link_bandwidth_bytes_s * efficiency
    per_token = gathered.costs.expert_hidden * 4.0 * gathered.costs.moe_layers * (1 - 1 / 8) / link
    assert exchange_seconds_per_token(gathered.costs, rates, decode=True) == pytest.approx(per_token)
    dispatched = _plan(
        arch=QWEN_MOE, ep=8, dp_attention=8, engine="sglang", engine_options=EngineOptions(deep_gemm=True)
    )
    assert not gathers_tokens(dispatched.costs)
    assert dispatched.step_cost.rates.exchange_latency_s == pytest.approx(EXCHANGE_US * 1e-6)
    other = _plan(arch=QWEN_MOE, gpu=get_gpu("MI300X"), dp_attention=8, engine="sglang")
    assert other.step_cost.rates.gather_latency_s == pytest.approx(EXCHANGE_US * 1e-6)
    assert other.step_cost.rates.gather_link_scale == pytest.approx(1.0)
