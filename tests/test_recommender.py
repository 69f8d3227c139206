from __future__ import annotations

import json

import pytest

from config_explorer.errors import InvalidArgumentError, UnknownGPUError
from config_explorer.recommender import (
    GPURecommender,
    estimate_performance,
    estimate_performance_batch,
    recommend_gpus,
)

GPUS = ["H100", "H200", "L40S", "A100"]


def test_estimate_performance_records_config_and_numbers() -> None:
    e = estimate_performance(
        "meta-llama/Llama-3.1-8B-Instruct", "H100", 1, None, 1000, 500, 16, backend="native"
    )
    assert e.ok and e.backend == "native" and e.concurrency == 16
    assert e.time_to_first_token_ms == e.ttft_ms and e.inter_token_latency_ms == e.itl_ms
    assert e.throughput_tokens_per_sec == e.output_throughput_tok_s
    assert e.max_concurrent_requests == e.max_concurrency_kv


def test_estimate_performance_raises_only_for_bad_arguments() -> None:
    with pytest.raises(UnknownGPUError):
        estimate_performance("Qwen/Qwen3-8B", "H1000", backend="native")
    with pytest.raises(InvalidArgumentError, match="input_length"):
        estimate_performance("Qwen/Qwen3-8B", "H100", input_length=-5, backend="native")
    unfit = estimate_performance("meta-llama/Llama-3.1-405B", "L4", 1, backend="native")
    assert not unfit.fits and unfit.error


def test_batch_keeps_order_and_isolates_bad_entries() -> None:
    records = estimate_performance_batch(
        "Qwen/Qwen3-8B",
        [("H100", 1), ("nope", 1), ("A100", 2, 2), ("H100", 4, 3), "junk"],
        512,
        128,
        backend="native",
    )
    assert [r.gpu for r in records][:1] == ["H100 SXM"]
    assert records[0].ok and records[2].ok and records[2].tp == 2
    assert "unknown GPU 'nope'" in (records[1].error or "")
    assert "valid tp" in (records[3].error or "")
    assert "(gpu, num_gpus)" in (records[4].error or "")


def test_recommend_ranks_and_explains_rejections() -> None:
    result = recommend_gpus(
        "meta-llama/Llama-3.1-70B", 2048, 512, gpus=GPUS, max_gpus=4, backend="native", metric="throughput"
    )
    assert result.best is not None and result.ranked[0].rank == 1
    values = [c.estimate.output_throughput_tok_s for c in result.ranked if c.estimate]
    assert values == sorted(values, reverse=True)
    assert any("does not fit" in (c.rejected_reason or "") for c in result.rejected)
    assert result.best.serve_commands["vllm"].startswith("vllm serve meta-llama/Llama-3.1-70B")
    doc = json.loads(result.to_json())
    assert doc["best"]["gpu"] == result.best.gpu
    rows = result.to_records()
    assert len(rows) == len(result.ranked) + len(result.other_layouts) + len(result.rejected)
    assert all(not isinstance(v, (dict, list)) for row in rows for v in row.values())
    assert "ranked by throughput" in result.summary()


@pytest.mark.parametrize(
    "metric",
    [
        "throughput_per_gpu",
        "ttft",
        "itl",
        "e2e_latency",
        "latency",
        "cost_per_hour",
        "cost_per_million_tokens",
        "throughput_per_dollar",
    ],
)
def test_every_metric_orders_the_ranking(metric: str) -> None:
    result = recommend_gpus(
        "Qwen/Qwen3-8B", 1024, 256, gpus=GPUS, max_gpus=2, metric=metric, backend="native"
    )
    values = [c.value(metric) for c in result.ranked if c.value(metric) is not None]
    assert values
    higher = metric in ("throughput_per_gpu", "throughput_per_dollar")
    assert values == sorted(values, reverse=higher)


def test_slos_reject_with_reasons_and_bound_the_operating_point() -> None:
    result = recommend_gpus(
        "Qwen/Qwen3-32B",
        2048,
        512,
        gpus=["H100", "L40S"],
        max_gpus=2,
        max_itl_ms=25,
        constraints="ttft:p95<1500ms",
        backend="native",
    )
    assert result.ranked
    for c in result.ranked:
        assert c.estimate is not None and c.estimate.itl_ms is not None and c.estimate.itl_ms <= 25
        assert c.estimate.ttft_p95_ms is not None and c.estimate.ttft_p95_ms < 1500
    assert any("misses SLO" in (c.rejected_reason or "") for c in result.rejected)


def test_target_load_sizes_copies_and_cost() -> None:
    result = recommend_gpus(
        "meta-llama/Llama-3.1-8B-Instruct",
        512,
        256,
        gpus=["H100", "L40S", "A100"],
        max_gpus=2,
        metric="cost",
        target_requests_per_s=50,
        max_itl_ms=40,
        backend="native",
        gpu_costs={"H100": 2.0},
    )
    best = result.best
    assert best is not None and best.copies_for_target and best.cost_per_hour_for_target_usd
    assert best.estimate is not None
    assert best.copies_for_target * best.estimate.requests_per_s >= 50  # type: ignore[operator]
    costs = [c.cost_per_hour_for_target_usd for c in result.ranked if c.cost_per_hour_for_target_usd]
    assert costs == sorted(costs)
    assert next(c for c in result.ranked if c.gpu == "H100 SXM").cost_per_gpu_hour_usd == 2.0
    with pytest.raises(InvalidArgumentError, match="target"):
        recommend_gpus("Qwen/Qwen3-8B", 512, 256, metric="cost", backend="native")


def test_fit_only_planning_needs_no_estimates() -> None:
    result = recommend_gpus(
        "meta-llama/Llama-3.1-70B",
        workload="rag",
        gpus=GPUS,
        estimate_performance_flag=False,
        backend="native",
    )
    assert result.input_length == 4096 and result.output_length == 512
    assert result.best is not None and result.best.estimate is None
    counts = [c.num_gpus for c in result.ranked]
    assert counts == sorted(counts)


def test_progress_callback_sees_every_layout() -> None:
    seen: list[tuple[int, int]] = []
    recommend_gpus(
        "Qwen/Qwen3-8B",
        512,
        128,
        gpus=["H100"],
        max_gpus=2,
        backend="native",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen and seen[-1][0] == seen[-1][1] == len(seen)


def test_gpu_recommender_explains_models_that_fit_nowhere() -> None:
    rec = GPURecommender(input_len=2000, output_len=256, backend="native")
    recs = rec.recommend_gpus(
        models=["Qwen3-8B", "meta-llama/Llama-3.1-405B"], gpus=["H200", "L40"], num_gpus=1
    )
    assert recs[0].best_gpu == "H200 SXM"
    assert set(recs[0].analysis) == {"H200 SXM", "L40"}
    assert recs[1].best_gpu is None
    assert "fits on none of H200 SXM, L40 at num_gpus=1" in recs[1].reason
    assert "smallest that fit" in recs[1].reason
    latency = rec.recommend_gpus(models=["Qwen3-8B"], gpus=["H200", "L40"], metric="latency")
    assert latency[0].best_gpu == "H200 SXM"


def test_a_judged_point_carries_the_rate_it_keeps_up_with() -> None:
    """The judge's Poisson run that keeps up carries its arrivals' rate (its completions in the steady window read it
    within their noise); one that falls behind is an error naming both rates, so the operating point moves below it."""
    from config_explorer.architecture import load_model
    from config_explorer.catalogs.gpus import get_gpu
    from config_explorer.engine.serving import estimate
    from config_explorer.engine.traffic import Lengths, Traffic
    from config_explorer.recommender.recommend import _kept_up

    arch, gpu = load_model("meta-llama/Llama-3.1-8B-Instruct"), get_gpu("H100")

    def judged(rate: float) -> object:
        traffic = Traffic(
            input_lengths=Lengths.fixed(512),
            output_lengths=Lengths.fixed(256),
            arrival="poisson",
            request_rate=rate,
        )
        return _kept_up(estimate(arch, gpu, traffic=traffic), rate)

    capacity = estimate(arch, gpu, input_length=512, output_length=256, concurrency=64).requests_per_s or 0.0
    kept = judged(0.7 * capacity)
    assert kept.ok  # type: ignore[attr-defined]
    assert kept.requests_per_s == pytest.approx(0.7 * capacity)  # type: ignore[attr-defined]
    assert kept.output_throughput_tok_s == pytest.approx(0.7 * capacity * 256)  # type: ignore[attr-defined]
    fell = judged(3 * capacity)
    assert not fell.ok  # type: ignore[attr-defined]
    assert "cannot keep up" in (fell.error or "")  # type: ignore[attr-defined]


def test_pcie_gpus_search_pipeline_stages_inside_a_node_and_nvlink_gpus_do_not() -> None:
    """Past the GPUs' scale-up domain tensor parallelism all-reduces over PCIe, so the search tries pipeline stages
    inside one node there (a PCIe card at two GPUs, an NVLink-bridge pair's card at four), up to
    IN_NODE_PIPELINE_DEGREE of them; an NVLink GPU keeps them for replicas larger than a node."""
    from config_explorer.architecture import load_model
    from config_explorer.catalogs.gpus import get_gpu
    from config_explorer.recommender.recommend import IN_NODE_PIPELINE_DEGREE, deployment_layouts

    arch = load_model("meta-llama/Llama-3.3-70B-Instruct")
    pcie = {(x.tp, x.pp) for x in deployment_layouts(arch, get_gpu("RTX PRO 6000"), 8)}
    assert {(8, 1), (4, 2), (2, 4)} <= pcie
    assert all(pp <= IN_NODE_PIPELINE_DEGREE for _, pp in pcie)
    assert all(x.pp == 1 for x in deployment_layouts(arch, get_gpu("H100"), 8))
    assert all(x.pp == 1 for x in deployment_layouts(arch, get_gpu("L40S"), 8, ("tp",)))
    bridged = get_gpu("H100 NVL")  # NVLink bridges join pairs
    assert all(x.pp == 1 for x in deployment_layouts(arch, bridged, 2))
    assert (2, 2) in {(x.tp, x.pp) for x in deployment_layouts(arch, bridged, 4)}
    past_a_node = {(x.tp, x.pp) for x in deployment_layouts(arch, get_gpu("H100"), 16)}
    assert (8, 2) in past_a_node
