"""The recommender's default question: the cheapest deployment that meets the SLOs at the load."""

from __future__ import annotations

import pytest

from config_explorer.engine.slo import SLOConstraint, check_slos
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import WORKLOADS, recommend_gpus
from config_explorer.recommender.recommend import OPERATING_POINT_TOLERANCE
from config_explorer.recommender.workloads import merge_slos

MODEL = "Qwen/Qwen3-8B"
GPUS = ["H100", "L40S", "A100"]


@pytest.fixture(scope="module")
def chat() -> object:
    return recommend_gpus(MODEL, workload="chat", gpus=GPUS, max_gpus=2, backend="native")


def test_the_default_is_cost_per_million_tokens_within_the_presets_slos(chat: object) -> None:
    result = chat
    assert result.metric == "cost_per_million_tokens"  # type: ignore[attr-defined]
    assert set(result.constraints) == set(WORKLOADS["chat"].slos)  # type: ignore[attr-defined]
    assert "MLPerf" in result.slo_note  # type: ignore[attr-defined]
    costs = [c.cost_per_million_output_tokens_usd for c in result.ranked]  # type: ignore[attr-defined]
    assert costs == sorted(costs)
    for c in result.ranked:  # type: ignore[attr-defined]
        assert c.estimate is not None and not check_slos(c.estimate, result.constraints)  # type: ignore[attr-defined]


def test_one_row_per_gpu_type_unless_all_layouts(chat: object) -> None:
    gpus = [c.gpu for c in chat.ranked]  # type: ignore[attr-defined]
    assert len(gpus) == len(set(gpus))
    every = recommend_gpus(MODEL, workload="chat", gpus=GPUS, max_gpus=2, backend="native", all_layouts=True)
    assert every.other_layouts == () and len(every.ranked) == len(chat.ranked) + len(chat.other_layouts)  # type: ignore[attr-defined]
    # each type's row is its best layout
    for row in chat.ranked:  # type: ignore[attr-defined]
        same = [c for c in every.ranked if c.gpu == row.gpu]
        assert row.cost_per_million_output_tokens_usd == pytest.approx(
            min(c.cost_per_million_output_tokens_usd for c in same)
        )


def test_the_operating_point_is_the_most_a_layout_carries_within_the_slos(chat: object) -> None:
    """Within 2% (or one request per replica): one more request per replica breaks the named SLO."""
    from config_explorer.recommender import estimate_performance

    best = chat.ranked[0]  # type: ignore[attr-defined]
    assert best.binding_slo is not None
    assert best.binding_slo in {str(c) for c in chat.constraints} or best.binding_slo.startswith(  # type: ignore[attr-defined]
        ("capacity", "none")
    )
    per_replica = best.concurrency // best.replicas
    step = max(1, int(OPERATING_POINT_TOLERANCE * per_replica))
    above = estimate_performance(
        MODEL, best.gpu, best.num_gpus, best.tp, 512, 256, backend="native",
        concurrency=(per_replica + step + 1) * best.replicas, serving_model="analytic",
    )  # fmt: skip
    if best.binding_slo in {str(c) for c in chat.constraints}:  # type: ignore[attr-defined]
        # the screen (analytic) at a higher point is at least as loaded as the judged one
        assert above.tpot_ms is None or above.tpot_ms >= best.estimate.tpot_ms * 0.9


def test_a_bound_you_give_replaces_the_presets_bound_on_that_metric() -> None:
    mine = (SLOConstraint("ttft", "p95", "<=", 2000.0),)
    merged = merge_slos(WORKLOADS["chat"].slos, mine)
    assert merged[0] == mine[0] and [c.metric for c in merged] == ["ttft", "tpot"]
    assert merge_slos(WORKLOADS["chat"].slos, (SLOConstraint("itl", "mean", "<=", 50.0),))[1].metric == "ttft"
    result = recommend_gpus(
        MODEL,
        workload="chat",
        gpus=["H100"],
        max_gpus=1,
        backend="native",
        max_ttft_ms=2000,
        slo_percentile="p95",
    )
    assert str(mine[0]) in [str(c) for c in result.constraints] and "the rest yours" in result.slo_note
    bare = recommend_gpus(
        MODEL, workload="chat", gpus=["H100"], max_gpus=1, backend="native", default_slos=False
    )
    assert bare.constraints == () and "no SLOs" in bare.slo_note


def test_a_target_load_sizes_copies_and_headroom_and_ranks_by_its_cost() -> None:
    result = recommend_gpus(
        MODEL, workload="chat", gpus=GPUS, max_gpus=2, backend="native", target_requests_per_s=20
    )
    assert result.metric == "cost"
    for c in result.ranked:
        assert c.copies_for_target and c.estimate is not None and c.estimate.requests_per_s
        carried = c.copies_for_target * c.estimate.requests_per_s
        assert carried >= 20 * (1 - 1e-9)
        assert c.headroom_for_target == pytest.approx(carried / 20 - 1)
        assert (c.copies_for_target - 1) * c.estimate.requests_per_s < 20  # no copy too many
    text = result.summary()
    assert "target load: 20.00 requests/s" in text and "spare" in text and "binds" in text


def test_without_prices_it_ranks_by_gpus_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    from config_explorer.recommender import costs

    monkeypatch.setattr(costs.GPUCosts, "per_gpu_hour", lambda self, gpu: None)
    result = recommend_gpus(
        MODEL, workload="chat", gpus=GPUS, max_gpus=2, backend="native", target_requests_per_s=5
    )
    assert result.metric == "gpus_for_target"
    needed = [c.total_gpus_for_target for c in result.ranked]
    assert needed == sorted(needed)
    plain = recommend_gpus(MODEL, workload="chat", gpus=GPUS, max_gpus=2, backend="native")
    assert plain.metric == "throughput_per_gpu"


def test_a_gpu_without_a_price_still_shows_its_best_layout_beside_priced_ones() -> None:
    """Ranked by cost, a GPU without a price has no cost to compare its layouts by: its row is still the layout
    that needs the fewest GPUs for the load, the one it leads with when no GPU has a price (Qwen3-32B on an
    H800: two GPUs at TP2, not four copies of one)."""
    from config_explorer.recommender import costs

    assert costs.GPUCosts().per_gpu_hour("H800 SXM") is None
    kwargs = {"workload": "chat", "target_requests_per_s": 10, "backend": "native"}
    alone = recommend_gpus("Qwen/Qwen3-32B", gpus=["H800"], **kwargs)
    mixed = recommend_gpus("Qwen/Qwen3-32B", gpus=["H100", "H800"], **kwargs)
    assert mixed.metric == "cost" and alone.metric == "gpus_for_target"
    row = next(c for c in mixed.ranked if c.gpu == "H800 SXM")
    assert (row.tp, row.total_gpus_for_target) == (alone.best.tp, alone.best.total_gpus_for_target)
    assert mixed.ranked[0].gpu == "H100 SXM"  # priced rows first


def test_gpu_counts_follow_how_each_gpu_is_sold() -> None:
    from config_explorer import get_gpu

    assert get_gpu("H100").deployable_counts(16) == [1, 2, 4, 8, 16]
    gb200 = get_gpu("GB200")
    assert (gb200.gpus_per_node, gb200.sold_counts) == (4, (4,))
    assert gb200.deployable_counts(12) == [4, 8, 12]
    result = recommend_gpus(
        MODEL, workload="chat", gpus=["GB200", "H100"], max_gpus=8, backend="native", all_layouts=True
    )
    counts = {(c.gpu, c.num_gpus) for c in (*result.ranked, *result.rejected)}
    assert {n for g, n in counts if g == "GB200"} <= {4, 8}
    assert {n for g, n in counts if g == "H100 SXM"} <= {1, 2, 4, 8}


def test_pipeline_parallelism_is_searched_and_tp_stays_inside_a_node() -> None:
    from config_explorer import get_gpu, load_model
    from config_explorer.recommender.recommend import deployment_layouts

    layouts = deployment_layouts(load_model("deepseek-ai/DeepSeek-V3"), get_gpu("H100"), 16)
    shapes = {(layout.tp, layout.pp) for layout in layouts if layout.dp_attention == 1}
    assert (8, 2) in shapes and (16, 1) not in shapes  # TP8 x PP2, never TP16 across two nodes
    # past one node only the wide expert-parallel layout spans both: attention stays on each GPU
    assert all(layout.tp <= 8 or (layout.ep, layout.dp_attention) == (16, 16) for layout in layouts)


def test_pipeline_sends_across_nodes_cost_network_time() -> None:
    """The same TP8 x PP2 replica: its stage-to-stage sends take longer when the stages are two
    servers joined by the network than when they share one NVLink domain (GB200 NVL72)."""
    from config_explorer import get_gpu
    from config_explorer.engine.calibration import efficiency_for
    from config_explorer.engine.roofline import rates_for

    h100 = get_gpu("H100")
    inside, _ = rates_for(h100, efficiency_for("hopper"), "bf16", 4, 2)
    across, _ = rates_for(h100, efficiency_for("hopper"), "bf16", 8, 2)
    assert across.pipeline_link_bytes_s < inside.pipeline_link_bytes_s
    nvl, _ = rates_for(get_gpu("GB200"), efficiency_for("blackwell"), "bf16", 8, 2)
    assert nvl.pipeline_link_bytes_s > across.pipeline_link_bytes_s


def test_rows_carry_their_caveats_with_a_legend() -> None:
    from config_explorer.recommender.recommend import CAVEATS

    result = recommend_gpus(
        MODEL, workload="chat", gpus=["H100", "B200", "MI300X"], max_gpus=2, backend="native", num_gpus=3
    )
    rows = {c.gpu: c for c in (*result.ranked, *result.other_layouts)}
    assert "not sold in this count" in rows["H100 SXM"].caveats
    assert "calibration: partly measured" in rows["B200"].caveats
    assert "calibration: literature" in rows["MI300X"].caveats
    assert not any(k.startswith("calibration") for k in rows["H100 SXM"].caveats)
    text = result.summary()
    assert "caveats: " in text and CAVEATS["not sold in this count"][1] in text


def test_rows_flag_a_binding_ttft_and_expert_parallelism_on_vllm_or_sglang() -> None:
    """TTFT is the estimate that scatters most against published runs, and vLLM's and SGLang's published
    expert-parallel runs outside tuned recipes measured slower than estimated: rows say so."""
    from config_explorer import get_gpu
    from config_explorer.recommender.recommend import row_caveats

    h100 = get_gpu("H100")
    plain = row_caveats(h100, 8, 8, 1, "tpot:p99<=40ms", True)
    assert "TTFT binds" not in plain and "expert parallel on vLLM/SGLang" not in plain
    assert "TTFT binds" in row_caveats(h100, 8, 8, 1, "ttft:p99<=500ms", True)
    for engine in ("vllm", "sglang", "sglang==0.5.6"):
        assert "expert parallel on vLLM/SGLang" in row_caveats(h100, 8, 8, 1, None, True, engine=engine, ep=8)
    assert "expert parallel on vLLM/SGLang" not in row_caveats(
        h100, 8, 8, 1, None, True, engine="trtllm", ep=8
    )
    assert "expert parallel on vLLM/SGLang" not in row_caveats(h100, 8, 8, 1, None, True, engine="vllm", ep=1)


def test_rows_on_an_export_capped_gpu_say_so() -> None:
    """The H20's tensor rates are an export cap, so the Hopper kernel efficiencies measured on uncapped parts
    are a weaker guide there: its rows carry the caveat, the H100's and the H800's (the H100's silicon) do not."""
    from config_explorer import get_gpu
    from config_explorer.catalogs.gpus import gpu_from_mapping
    from config_explorer.recommender.recommend import CAVEATS, row_caveats

    assert "tensor rates capped" in CAVEATS
    assert "tensor rates capped" in row_caveats(get_gpu("H20"), 8, 8, 1, None, True)
    for name in ("H100", "H800"):
        assert "tensor rates capped" not in row_caveats(get_gpu(name), 8, 8, 1, None, True)
    spec = get_gpu("H20").to_dict()
    layout = {
        "name": "capped test part",
        "memory_gib": spec["memory_gib"],
        "memory_bandwidth_tb_s": spec["memory_bandwidth_tb_s"],
        "tflops": {"bf16": 148.0},
        "interconnect": {"bandwidth_gb_s": 900},
    }
    with pytest.raises(InvalidArgumentError, match="tensor_rates_capped"):
        gpu_from_mapping({**layout, "tensor_rates_capped": "yes"})
    assert gpu_from_mapping({**layout, "tensor_rates_capped": True}).tensor_rates_capped


def test_max_gpus_caps_the_gpus_a_target_load_takes() -> None:
    result = recommend_gpus(
        "meta-llama/Llama-3.3-70B-Instruct",
        workload="chat",
        gpus=["H100"],
        backend="native",
        target_requests_per_s=300,
    )
    assert result.ranked == ()
    capped = [
        c for c in result.rejected if (c.rejected_reason or "").startswith("exceeds max_gpus for the target")
    ]
    assert capped and all((c.total_gpus_for_target or 0) > 8 for c in capped)
    fewest = min(c.total_gpus_for_target or 0 for c in capped)
    assert f"raise max_gpus (--max-gpus) to at least {fewest}" in result.summary()
    wider = recommend_gpus(
        "meta-llama/Llama-3.3-70B-Instruct",
        workload="chat",
        gpus=["H100"],
        backend="native",
        target_requests_per_s=300,
        max_gpus=fewest,
    )
    assert wider.best is not None and (wider.best.total_gpus_for_target or 0) <= fewest


def test_slos_nothing_meets_name_the_closest_layout_and_by_how_much() -> None:
    result = recommend_gpus(
        MODEL, workload="chat", gpus=["H100"], max_gpus=1, backend="native", max_ttft_ms=1
    )
    assert result.ranked == ()
    text = result.summary()
    assert "No layout fits and meets the SLOs." in text
    assert "Closest: 1 x H100 SXM, TP1 at concurrency 1," in text and "over its tightest bound" in text


def test_the_fewest_capped_layout_is_simulated_until_it_is_the_fewest() -> None:
    """``_judge_fewest_capped``: the screen's fewest is simulated; when it needs more, the next fewest is tried;
    a layout the simulation finds within max_gpus is accepted, not left among the rejected."""
    from types import SimpleNamespace

    from config_explorer.recommender.recommend import CAPPED_REASON, _judge_fewest_capped

    def capped(gpus: int, tag: str) -> SimpleNamespace:
        return SimpleNamespace(
            rejected_reason=f"{CAPPED_REASON}: {gpus}",
            total_gpus_for_target=gpus,
            cost_per_hour_for_target_usd=None,
            tag=tag,
        )

    screened = [capped(72, "a"), capped(80, "b"), SimpleNamespace(rejected_reason="does not fit", tag="c")]
    simulated = {"a": capped(96, "a*"), "b": capped(88, "b*")}
    layout_of = {id(c): ("layout", c.tag) for c in screened}
    calls: list[str] = []

    def judge(c):  # type: ignore[no-untyped-def]
        calls.append(c.tag)
        return simulated[c.tag]

    rejected, accepted = _judge_fewest_capped(screened, layout_of, judge)  # type: ignore[arg-type]
    assert calls == ["a", "b"] and accepted == []
    assert sorted(c.tag for c in rejected) == ["a*", "b*", "c"]

    within = SimpleNamespace(
        rejected_reason=None, total_gpus_for_target=64, cost_per_hour_for_target_usd=None, tag="a+"
    )
    fresh = [capped(72, "a")]
    rejected, accepted = _judge_fewest_capped(fresh, {id(fresh[0]): ("layout", "a")}, lambda c: within)  # type: ignore[arg-type]
    assert accepted == [within] and rejected == []


def test_a_model_wider_than_the_search_says_to_raise_max_gpus() -> None:
    """Nothing fits within the stated bound: the report names the widest layout tried and what it lacked, and
    the bound to raise. Left to its default, the bound grows to the fewest whole nodes that hold the model."""
    from config_explorer.architecture import load_model
    from config_explorer.catalogs.gpus import get_gpu
    from config_explorer.recommender.recommend import fewest_nodes_holding
    from config_explorer.reports import nothing_met

    widened = recommend_gpus(
        "deepseek-ai/DeepSeek-R1", workload="chat", gpus=["H100"], target_requests_per_s=1
    )
    assert widened.ranked and widened.ranked[0].num_gpus == 16  # two HGX boards hold its FP8 weights
    r1, h100, h200 = load_model("deepseek-ai/DeepSeek-R1"), get_gpu("H100"), get_gpu("H200")
    assert fewest_nodes_holding(r1, h100, None, 64) == 16 and fewest_nodes_holding(r1, h200, None, 64) == 0
    assert fewest_nodes_holding(r1, h100, None, 8) == 0  # past the cap: the search keeps its bound
    result = recommend_gpus(
        "deepseek-ai/DeepSeek-R1", workload="chat", gpus=["H100"], target_requests_per_s=1, max_gpus=8
    )
    lines = nothing_met(result)
    assert lines[0] == "No layout fits in memory."
    assert lines[1].startswith("For example 8 x H100 SXM, TP8: does not fit: needs TP >= 16")
    assert lines[2] == "The widest layout tried spans 8 GPUs; raise max_gpus (--max-gpus) to try wider ones."
