"""vLLM's API server as a throughput limit: the front end streams every output token, one process at most
~34,000 tokens per second (engine/calibration.py FRONTEND_TOKEN_US); more processes lift the limit,
SGLang and TensorRT-LLM are not capped, and the launch command carries --api-server-count."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.cli import main
from config_explorer.engine.calibration import FRONTEND_TOKEN_US, profile_for
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.serving import FRONTEND_BOUND_SHARE, api_servers_for, estimate
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import serve_command

SMALL = load_model("meta-llama/Llama-3.2-1B")
H100 = get_gpu("H100")
CEILING = 1e6 / FRONTEND_TOKEN_US
#: the measured run behind the ceiling scheduled asynchronously (PR #27869 ran --async-scheduling), as vLLM
#: does by default from v0.14: the engine's own host time then hides under the GPU's, and a small model
#: outruns one API server. Synchronously, the engine's host time alone holds a 1B model near the ceiling
VLLM_ASYNC = "vllm==0.14.0"


def _run(**kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "num_gpus": 1,
        "tp": 1,
        "input_length": 512,
        "output_length": 512,
        "concurrency": 512,
        "engine": VLLM_ASYNC,
    }
    args.update(kw)
    return estimate(SMALL, H100, **args)  # type: ignore[arg-type]


def test_the_constant_is_the_published_run() -> None:
    """1e6 / 34,078.85 us: vLLM PR #27869's output rate with one API server (gpt-oss-20b, one B200)."""
    assert math.isclose(1e6 / FRONTEND_TOKEN_US, 34_078.85)
    assert profile_for("vllm").frontend_token_us == FRONTEND_TOKEN_US
    assert profile_for("sglang").frontend_token_us == profile_for("trtllm").frontend_token_us == 0.0


@pytest.mark.parametrize("serving_model", ["simulated", "analytic"])
def test_one_api_server_caps_a_small_model_and_more_lift_it(serving_model: str) -> None:
    one = _run(serving_model=serving_model)
    assert one.api_server_count == 1
    assert one.output_throughput_tok_s is not None and one.output_throughput_tok_s <= CEILING
    assert any("front-end bound" in w and "--api-server-count 2" in w for w in one.warnings)
    two = _run(serving_model=serving_model, api_server_count=2)
    assert two.api_server_count == 2
    assert two.output_throughput_tok_s is not None and two.output_throughput_tok_s > 1.2 * CEILING
    assert not any("front-end bound" in w for w in two.warnings)
    assert two.itl_ms is not None and one.itl_ms is not None and two.itl_ms < one.itl_ms
    # the engine alone is what more processes approach; SGLang's front end is not capped (at 256 in flight,
    # its decode batches stay inside the CUDA graphs it captures on one H100: cuda_graph_max_bs 256)
    sglang = _run(serving_model=serving_model, engine="sglang", concurrency=256)
    assert sglang.api_server_count is None
    assert not any("front-end bound" in w for w in sglang.warnings)
    assert sglang.output_throughput_tok_s is not None and sglang.output_throughput_tok_s > CEILING


def test_one_rule_counts_the_processes_a_rate_needs() -> None:
    share = FRONTEND_BOUND_SHARE * CEILING  # what one process streams before it is called a bound
    assert api_servers_for(0.0, FRONTEND_TOKEN_US) == 1
    assert api_servers_for(0.5 * share, FRONTEND_TOKEN_US) == 1
    assert api_servers_for(0.999 * 3 * share, FRONTEND_TOKEN_US) == 3
    assert api_servers_for(1.001 * 3 * share, FRONTEND_TOKEN_US) == 4
    counts = [api_servers_for(rate, FRONTEND_TOKEN_US) for rate in range(0, 200_000, 5_000)]
    assert counts == sorted(counts)


def test_the_warning_names_the_count_the_recommender_would_plan() -> None:
    """Two processes held at their limit: the warning asks for what the observed rate needs (at least
    one more), by the same rule the recommender plans with, not twice the current count."""
    two = estimate(
        SMALL,
        get_gpu("B200"),
        num_gpus=1,
        tp=1,
        input_length=128,
        output_length=1024,
        concurrency=2048,
        api_server_count=2,
        serving_model="analytic",
        engine=VLLM_ASYNC,
    )
    rate = two.output_throughput_tok_s
    assert rate is not None and rate > FRONTEND_BOUND_SHARE * 2 * CEILING
    wanted = max(3, api_servers_for(rate, FRONTEND_TOKEN_US))
    assert any(f"--api-server-count {wanted} or more" in w for w in two.warnings), two.warnings
    assert wanted < 4  # the old figure (the count times the multiple) said 4


def test_the_screen_and_the_simulator_agree_on_the_bound() -> None:
    simulated, analytic = _run(), _run(serving_model="analytic")
    assert simulated.output_throughput_tok_s == pytest.approx(analytic.output_throughput_tok_s, rel=0.05)


def test_more_api_servers_never_slow_a_replica() -> None:
    rates = [_run(api_server_count=n).output_throughput_tok_s or 0.0 for n in (1, 2, 4)]
    assert rates == sorted(rates)


def test_a_large_model_is_not_front_end_bound() -> None:
    """A 70B on four GPUs streams far below one process's limit: the front end changes nothing."""
    arch = load_model("meta-llama/Llama-3.1-70B")
    args = {"num_gpus": 4, "tp": 4, "input_length": 1024, "output_length": 256, "concurrency": 64}
    one = estimate(arch, H100, **args)  # type: ignore[arg-type]
    many = estimate(arch, H100, api_server_count=8, **args)  # type: ignore[arg-type]
    assert one.output_throughput_tok_s == pytest.approx(many.output_throughput_tok_s, rel=1e-6)
    assert not any("front-end bound" in w for w in one.warnings)


def test_vllm_starts_one_api_server_per_data_parallel_rank() -> None:
    """vllm/entrypoints/cli/serve.py (0.34.0): --api-server-count defaults to --data-parallel-size."""
    r1 = load_model("deepseek-ai/DeepSeek-R1")
    dep = plan_deployment(
        r1, get_gpu("H200"), num_gpus=8, tp=8, ep=8, dp_attention=8, input_length=1024, output_length=256
    )
    assert dep.frontend_processes == 8
    assert dep.scheduler_config().frontend_token_s == pytest.approx(FRONTEND_TOKEN_US * 1e-6 / 8)


def test_launch_commands_carry_the_count_where_it_differs_from_vllms_default() -> None:
    default = estimate_performance("meta-llama/Llama-3.2-1B", "H100", 1, 1, 512, 512, concurrency=64)
    assert "--api-server-count" not in serve_command(SMALL, default)
    three = estimate_performance(
        "meta-llama/Llama-3.2-1B", "H100", 1, 1, 512, 512, concurrency=64, api_server_count=3
    )
    assert assert_valid("vllm", serve_command(SMALL, three))["--api-server-count"] == "3"
    # two replicas in one command (--data-parallel-size 2) with two processes each: four in all
    split = estimate_performance(
        "meta-llama/Llama-3.2-1B", "H100", 2, 1, 512, 512, concurrency=64, api_server_count=2
    )
    flags = assert_valid("vllm", serve_command(SMALL, split))
    assert (flags["--data-parallel-size"], flags["--api-server-count"]) == ("2", "4")
    one_each = estimate_performance(
        "meta-llama/Llama-3.2-1B", "H100", 2, 1, 512, 512, concurrency=64, api_server_count=1
    )
    assert "--api-server-count" not in serve_command(SMALL, one_each)  # vLLM's default: one per rank


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"api_server_count": 0}, "api_server_count must be an integer in [1,"),
        ({"api_server_count": 10_000}, "api_server_count must be an integer in [1,"),
        ({"api_server_count": 2.5}, "api_server_count must be an integer"),
        ({"api_server_count": 2, "engine": "sglang"}, "the sglang front end is not modelled"),
    ],
)
def test_bad_counts_name_the_value(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidArgumentError, match=None) as caught:
        estimate_performance("meta-llama/Llama-3.2-1B", "H100", 1, 1, 512, 512, concurrency=64, **kw)  # type: ignore[arg-type]
    assert needle in str(caught.value)


def test_the_engine_refuses_a_count_for_an_engine_without_one() -> None:
    with pytest.raises(InvalidArgumentError, match="trtllm's front end is not modelled"):
        plan_deployment(
            SMALL,
            H100,
            num_gpus=1,
            tp=1,
            input_length=512,
            output_length=512,
            engine="trtllm",
            api_server_count=2,
        )


def test_cli_takes_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["estimate", "--model", "meta-llama/Llama-3.2-1B", "--gpu", "H100", "--concurrency", "512"]
    argv += ["--input-length", "512", "--output-length", "512", "--api-server-count", "2", "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    record = record[0] if isinstance(record, list) else record
    assert record["api_server_count"] == 2
    serve = [
        "serve-command",
        "--model",
        "meta-llama/Llama-3.2-1B",
        "--gpu",
        "H100",
        "--api-server-count",
        "3",
    ]
    assert main([*serve, "--input-len", "512", "--output-len", "512"]) == 0
    assert "--api-server-count 3" in capsys.readouterr().out


def test_auto_picks_the_native_engine_and_llm_optimizer_refuses() -> None:
    auto = estimate_performance(
        "meta-llama/Llama-3.2-1B", "H100", 1, 1, 512, 512, api_server_count=2, backend="auto"
    )
    assert auto.backend == "native" and auto.api_server_count == 2
    from config_explorer.backends.base import EstimateRequest
    from config_explorer.backends.llm_optimizer import LLMOptimizerBackend

    try:
        backend = LLMOptimizerBackend()
    except Exception:
        pytest.skip("BentoML's llm-optimizer is not importable here")
    record = backend.estimate(
        EstimateRequest(arch=SMALL, gpu=H100, input_length=512, output_length=512, api_server_count=2)
    )
    assert not record.ok and "front end" in (record.error or "")


def test_the_recommender_plans_enough_api_servers() -> None:
    """A small model on a B200 streams past one process's limit: the plan starts more, and says so."""
    from config_explorer.recommender import recommend_gpus

    result = recommend_gpus(
        "meta-llama/Llama-3.2-1B",
        512,
        512,
        gpus=["B200"],
        max_gpus=1,
        metric="throughput",
        backend="native",
        default_slos=False,
    )
    best = result.ranked[0]
    assert best.estimate is not None and best.estimate.api_server_count is not None
    assert best.estimate.api_server_count >= 2
    assert (best.estimate.output_throughput_tok_s or 0.0) > CEILING
    assert f"--api-server-count {best.estimate.api_server_count}" in best.launch_command
    # a 70B's replica streams far below one process's limit: nothing is added
    big = recommend_gpus(
        "meta-llama/Llama-3.1-70B",
        1024,
        256,
        gpus=["H100"],
        max_gpus=4,
        metric="throughput",
        backend="native",
        default_slos=False,
    )
    assert all(c.estimate is None or c.estimate.api_server_count in (None, 1) for c in big.ranked)


def test_a_disaggregated_decode_pool_streams_through_its_front_end() -> None:
    """A vLLM decode replica's clients see gaps no shorter than its API server takes to stream a token to
    each sequence; past what the processes stream, the pool cannot keep up and says it is the front end."""
    from config_explorer.engine.disaggregated import PoolLayout, decode_gap_s, estimate_disaggregated

    def run(share: float, engine: str = "vllm", decode_replicas: int = 1, servers: int | None = None):  # type: ignore[no-untyped-def]
        """``share``: the output rate per decode replica over what one API-server process streams."""
        per_request = 1023 * FRONTEND_TOKEN_US * 1e-6  # front-end seconds per request's output
        return estimate_disaggregated(
            SMALL,
            get_gpu("B200"),
            prefill=PoolLayout(1),
            decode=PoolLayout(1),
            prefill_replicas=4,
            decode_replicas=decode_replicas,
            input_length=128,
            output_length=1024,
            request_rate=share / per_request,
            engine=engine,
            api_server_count=servers,
        )

    fast = run(0.8)
    assert fast.ok, fast.error
    batch = fast.decode_batch_per_replica
    assert batch is not None and fast.itl_ms is not None
    assert fast.itl_ms >= batch * FRONTEND_TOKEN_US * 1e-3 * 0.999  # the round of the batch's tokens
    sglang = run(0.8, engine="sglang")  # SGLang's front end is not capped
    assert sglang.ok and sglang.itl_ms is not None and sglang.itl_ms < fast.itl_ms
    over = run(1.05)
    assert not over.ok and "front end cannot keep up" in (over.error or "")
    # the message names the count the recommender would plan, and that count (a process, not a GPU) lifts it
    wanted = api_servers_for(1.05 * 1e6 / FRONTEND_TOKEN_US, FRONTEND_TOKEN_US)
    assert f"api_server_count {wanted} or more" in (over.error or "")
    lifted = run(1.05, servers=wanted)
    assert lifted.ok and lifted.api_server_count == wanted
    assert run(1.05, decode_replicas=2).ok
    dep = plan_deployment(SMALL, H100, num_gpus=1, tp=1, input_length=128, output_length=1024)
    assert decode_gap_s(dep, 64.0) >= 64.0 * dep.frontend_token_s


def test_the_disaggregated_search_gives_a_decode_pool_api_servers_before_gpus() -> None:
    """A decode replica whose tokens outrun vLLM's default front end gets more API-server processes (its
    launch command says so), not another GPU; the prefill pool keeps vLLM's default."""
    from config_explorer.recommender import recommend_gpus
    from config_explorer.recommender.disaggregated import PoolLayout, estimate_disaggregated

    kwargs: dict[str, Any] = {
        "prefill": PoolLayout(1),
        "decode": PoolLayout(1),
        "input_length": 512,
        "output_length": 256,
    }
    alone = estimate_disaggregated(
        SMALL, "H100", prefill_replicas=2, decode_replicas=1, request_rate=200, engine=VLLM_ASYNC, **kwargs
    )
    assert not alone.ok and "front end" in (alone.error or "")
    with pytest.raises(InvalidArgumentError, match="api_server_count=2 is vLLM's"):
        estimate_disaggregated(
            SMALL,
            "H100",
            prefill_replicas=2,
            decode_replicas=1,
            request_rate=200,
            engine="sglang",
            api_server_count=2,
            **kwargs,
        )
    result = recommend_gpus(
        SMALL,
        512,
        256,
        gpus=["H100"],
        max_gpus=8,
        target_requests_per_s=200,
        max_ttft_ms=1000,
        max_itl_ms=50,
        default_slos=False,
        disaggregated=True,
        backend="native",
        engine=VLLM_ASYNC,
    )
    plan = result.disaggregated[0]
    est = plan.estimate
    assert est is not None and est.ok and est.decode_replicas == 1
    needed = api_servers_for(200 * 255 / est.decode_replicas, FRONTEND_TOKEN_US)
    assert est.api_server_count == needed > 1
    prefill, decode = [line for line in plan.serve_commands["vllm"].splitlines() if not line.startswith("#")]
    assert "--api-server-count" not in prefill
    assert f"--api-server-count {needed}" in decode
    assert_valid("vllm", decode)
