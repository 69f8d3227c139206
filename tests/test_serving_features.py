"""Prefix caching and speculative decoding: the physics each must obey, bad input, and launch flags."""

from __future__ import annotations

import json
import shlex

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.cli import main
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.serving import estimate
from config_explorer.engine.simulator import simulate
from config_explorer.engine.speculative import SPECULATIVE_METHODS, SpeculativeConfig, method_defaults
from config_explorer.engine.traffic import Lengths, SharedPrefix, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.recommend import recommend_gpus
from config_explorer.recommender.serve_command import DRAFT_PLACEHOLDER, engine_flags, serve_commands
from config_explorer.recommender.speculation import speculative_break_even

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
ARCH = load_model(MODEL)
H100 = get_gpu("H100")


def _dep(**kw: object):  # type: ignore[no-untyped-def]
    return plan_deployment(ARCH, H100, num_gpus=1, tp=1, input_length=2000, output_length=100, **kw)  # type: ignore[arg-type]


def _traffic(prefix: SharedPrefix | None, concurrency: int = 16, n: int = 120) -> Traffic:
    return Traffic(
        input_lengths=Lengths.fixed(2000),
        output_lengths=Lengths.fixed(100),
        concurrency=concurrency,
        num_requests=n,
        prefix=prefix,
    )


# -- prefix caching ------------------------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(st.integers(16, 1900), st.integers(16, 1900), st.sampled_from([1, 4, 30]))
def test_a_longer_shared_prefix_never_lengthens_ttft(a: int, b: int, prefixes: int) -> None:
    short, long = sorted((a, b))
    dep = _dep()
    runs = [
        simulate(dep.step_cost, dep.scheduler_config(), _traffic(SharedPrefix.distinct(n, prefixes)))
        for n in (short, long)
    ]
    assert runs[1].ttft_s.mean <= runs[0].ttft_s.mean * 1.001
    for run in runs:
        assert run.prefix_cache_hit_rate is not None and 0.0 <= run.prefix_cache_hit_rate <= 1.0


def test_hit_rate_falls_as_the_kv_cache_shrinks() -> None:
    dep = _dep()
    cfg = dep.scheduler_config()
    traffic = _traffic(SharedPrefix.distinct(1024, 400, zipf_s=0.8), concurrency=8, n=600)
    rates = []
    for blocks in (cfg.num_blocks, 20_000, 6_000, 2_000):
        run = simulate(dep.step_cost, attrs.evolve(cfg, num_blocks=blocks), traffic)
        assert run.prefix_cache_hit_rate is not None
        rates.append(run.prefix_cache_hit_rate)
    assert all(0.0 <= r <= 1.0 for r in rates)
    assert rates == sorted(rates, reverse=True)
    assert rates[0] > rates[-1] + 0.1


def test_one_common_prefix_is_served_by_the_cache_after_its_first_use() -> None:
    dep = _dep()
    run = simulate(dep.step_cost, dep.scheduler_config(), _traffic(SharedPrefix.common(1600)))
    # every request but those admitted before the first published the prefix hits its 100 full blocks
    assert run.prefix_cache_hit_rate == pytest.approx(1600 / 2000, abs=0.05)
    plain = simulate(dep.step_cost, dep.scheduler_config(), _traffic(None))
    assert plain.prefix_cache_hit_rate is None
    assert run.ttft_s.mean < plain.ttft_s.mean
    assert run.output_tokens == plain.output_tokens


def test_a_prefix_share_hits_about_that_share() -> None:
    dep = _dep()
    run = simulate(
        dep.step_cost, dep.scheduler_config(), _traffic(SharedPrefix.common(1600, share=0.5), n=400)
    )
    assert run.prefix_cache_hit_rate == pytest.approx(0.5 * 1600 / 2000, abs=0.06)


def test_the_analytic_screen_takes_the_steady_state_hit() -> None:
    base = estimate(
        ARCH, H100, input_length=2000, output_length=100, concurrency=16, serving_model="analytic"
    )
    cached = estimate(
        ARCH,
        H100,
        input_length=2000,
        output_length=100,
        serving_model="analytic",
        traffic=Traffic.closed_loop(2000, 100, 16, prefix=SharedPrefix.common(1600)),
    )
    assert cached.prefix_cache_hit_rate == pytest.approx(1600 / 2000)
    assert base.prefix_cache_hit_rate is None
    assert cached.ttft_ms is not None and base.ttft_ms is not None and cached.ttft_ms < base.ttft_ms


# -- speculative decoding ----------------------------------------------------------------------------------
def test_tokens_per_step_is_the_expected_acceptance_run() -> None:
    spec = SpeculativeConfig.of("eagle3", 3, [0.8, 0.5, 0.5])
    assert spec.tokens_per_step == pytest.approx(1 + 0.8 + 0.4 + 0.2)
    assert SpeculativeConfig.of("ngram", 4, 1.0).tokens_per_step == 5.0
    for method in SPECULATIVE_METHODS:
        k, rates, source = method_defaults(method)
        assert k == len(rates) and source


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["eagle3", "eagle", "ngram"]), st.integers(1, 8), st.integers(1, 512))
def test_full_acceptance_divides_a_step_by_k_plus_one(method: str, k: int, batch: int) -> None:
    dep = _dep(speculative=SpeculativeConfig.of(method, k, 1.0))
    per_round = dep.step_cost.time(batch, batch * 2050.0, batch * 2050.0, 0, 0, 0, batch)
    whole = dep.step_cost.decode_step_s(batch, batch * 2050.0, batch * 2050.0)  # type: ignore[attr-defined]
    assert per_round == pytest.approx(whole / (k + 1))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["eagle3", "eagle", "ngram"]), st.integers(1, 8), st.integers(1, 512))
def test_acceptance_near_zero_never_speeds_decode(method: str, k: int, batch: int) -> None:
    plain = _dep()
    drafted = _dep(speculative=SpeculativeConfig.of(method, k, 1e-6))
    assert drafted.step_s(float(batch), 0.0, 0.0) >= plain.step_s(float(batch), 0.0, 0.0)


def test_speculation_changes_times_not_output_tokens() -> None:
    traffic = _traffic(None, concurrency=8, n=60)
    plain_dep = _dep()
    spec_dep = _dep(speculative=SpeculativeConfig.of("eagle3"))
    plain = simulate(plain_dep.step_cost, plain_dep.scheduler_config(), traffic)
    drafted = simulate(spec_dep.step_cost, spec_dep.scheduler_config(), traffic)
    assert drafted.output_tokens == plain.output_tokens and drafted.num_requests == plain.num_requests
    assert drafted.itl_s is not None and plain.itl_s is not None
    assert drafted.itl_s.mean < plain.itl_s.mean
    # the draft's weights and KV take room from the target's KV cache
    assert spec_dep.memory.kv_capacity_gib < plain_dep.memory.kv_capacity_gib
    assert spec_dep.memory.weights_gib > plain_dep.memory.weights_gib


def test_estimates_report_the_features() -> None:
    est = estimate_performance(
        MODEL,
        "H100",
        input_length=2000,
        output_length=100,
        concurrency=8,
        backend="native",
        speculative="eagle3",
        prefix=SharedPrefix.common(1024),
    )
    assert est.ok and est.speculative_method == "eagle3" and est.num_speculative_tokens == 3
    assert est.tokens_per_decode_step == pytest.approx(SpeculativeConfig.of("eagle3").tokens_per_step)
    assert est.prefix_cache_hit_rate is not None and est.prefix_cache_hit_rate > 0.4
    plain = estimate_performance(
        MODEL, "H100", input_length=2000, output_length=100, concurrency=8, backend="native"
    )
    assert plain.speculative_method is None and plain.prefix_cache_hit_rate is None
    assert est.itl_ms is not None and plain.itl_ms is not None and est.itl_ms < plain.itl_ms


def test_the_break_even_batch_falls_with_acceptance() -> None:
    high = speculative_break_even(
        MODEL, "H100", SpeculativeConfig.of("ngram", 3, 0.6), input_length=1000, output_length=300
    )
    low = speculative_break_even(
        MODEL, "H100", SpeculativeConfig.of("ngram", 3, 0.2), input_length=1000, output_length=300
    )
    assert low is not None
    assert high is None or high >= low


def test_recommend_takes_both_features() -> None:
    result = recommend_gpus(
        MODEL, 1500, 200, gpus=["H100"], max_gpus=1, speculative="eagle3", prefix=SharedPrefix.common(512)
    )
    assert result.best is not None and result.best.estimate is not None
    assert result.best.estimate.speculative_method == "eagle3"
    assert result.best.estimate.prefix_cache_hit_rate is not None


# -- bad input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speculative": SpeculativeConfig.of("eagle3", 3, 0.7), "engine": "trtllm"}, None),
        ({"speculative": "mtp"}, "multi-token-prediction"),
        ({"speculative": "medusa"}, "accepted: eagle3"),
        ({"speculative": "eagle", "engine": "trtllm"}, "does not implement"),
        (
            {"speculative": SpeculativeConfig.of("draft_model", draft_model="meta-llama/Llama-3.1-70B")},
            "not smaller",
        ),
        ({"prefix": SharedPrefix.common(2000)}, "not shorter than the prompt"),
        ({"prefix": 512}, "SharedPrefix"),
    ],
)
def test_bad_feature_input_is_named(kwargs: dict[str, object], message: str | None) -> None:
    call = lambda: estimate_performance(  # noqa: E731
        MODEL,
        "H100",
        input_length=2000,
        output_length=100,
        backend="native",
        **kwargs,  # type: ignore[arg-type]
    )
    if message is None:
        assert call().ok
        return
    with pytest.raises(InvalidArgumentError, match=message):
        call()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SpeculativeConfig.of("eagle3", 3, 0.0), r"\(0, 1\]"),
        (lambda: SpeculativeConfig.of("eagle3", 3, 1.2), "1.2"),
        (lambda: SpeculativeConfig.of("eagle3", 0), "num_speculative_tokens"),
        (lambda: SpeculativeConfig.of("eagle3", 2, [0.5, 0.5, 0.5]), "positions"),
        (lambda: SpeculativeConfig.of("draft_model"), "draft"),
        (lambda: SharedPrefix.common(100, share=0.0), "share"),
        (lambda: SharedPrefix.distinct(100, 0), "num_prefixes"),
        (lambda: Traffic.closed_loop(100, 10, 1, prefix=SharedPrefix.common(100)), "prefix length below 100"),
    ],
)
def test_bad_records_are_refused(build: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        build()  # type: ignore[operator]


# -- launch commands and the CLI ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "gpu", "gpus", "method"),
    [
        (MODEL, "H100", 1, "eagle3"),
        (MODEL, "H100", 1, "eagle"),
        (MODEL, "H100", 1, "ngram"),
        ("deepseek-ai/DeepSeek-R1", "H200", 8, "mtp"),
    ],
)
def test_speculative_commands_use_only_the_engines_flags(
    model: str, gpu: str, gpus: int, method: str
) -> None:
    est = estimate_performance(
        model,
        gpu,
        gpus,
        input_length=1000,
        output_length=100,
        concurrency=4,
        backend="native",
        speculative=method,
    )
    commands = serve_commands(load_model(model), est, speculative_model=None)
    for engine, command in commands.items():
        flags = engine_flags(engine).flags
        for line in command.splitlines():
            if line.startswith("#") or line.startswith("printf"):
                continue
            for token in shlex.split(line):
                if token.startswith("--"):
                    assert token in flags, (engine, token)
    if method in ("eagle3", "eagle"):
        assert DRAFT_PLACEHOLDER in commands["vllm"] and "# replace" in commands["vllm"]
    vllm_line = commands["vllm"].splitlines()[-1]
    config = json.loads(shlex.split(vllm_line)[shlex.split(vllm_line).index("--speculative-config") + 1])
    assert config["num_speculative_tokens"] == est.num_speculative_tokens
    assert "--speculative-algorithm" in commands["sglang"]
    named = serve_commands(load_model(model), est, speculative_model="org/draft")
    if method in ("eagle3", "eagle"):
        assert "org/draft" in named["vllm"] and DRAFT_PLACEHOLDER not in named["vllm"]


def test_cli_estimate_and_recommend_take_the_feature_flags(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--model",
        MODEL,
        "--gpu",
        "H100",
        "--input-len",
        "2000",
        "--output-len",
        "100",
        "--backend",
        "native",
    ]
    assert (
        main(
            ["estimate", *args, "--prefix-len", "1500", "--speculative", "eagle3", "--acceptance-rate", "0.7"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "prefix cache hit rate" in out and "eagle3" in out
    assert main(["estimate", *args, "--num-prefixes", "4", "--prefix-len", "1000", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert 0.0 <= doc["prefix_cache_hit_rate"] <= 1.0
    assert main(["estimate", *args, "--speculative", "eagle3", "--acceptance-rate", "1.5"]) == 2
    assert "1.5" in capsys.readouterr().err
    assert main(["estimate", *args, "--prefix-share", "0.5"]) == 2
    assert "--prefix-len" in capsys.readouterr().err
    rec = ["recommend", "--model", MODEL, "--gpus", "H100", "--max-gpus", "1", "--input-len", "1500"]
    assert main([*rec, "--output-len", "200", "--speculative", "ngram", "--quiet", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ranked"][0]["estimate"]["speculative_method"] == "ngram"


def test_recommend_says_where_speculation_stops_paying() -> None:
    result = recommend_gpus(MODEL, 1000, 300, gpus=["H100"], max_gpus=1, speculative="ngram")
    assert "ngram" in result.speculative_note and "batch" in result.speculative_note
    assert "speculative decoding:" in result.summary()
    assert recommend_gpus(MODEL, 1000, 300, gpus=["H100"], max_gpus=1).speculative_note == ""


@pytest.mark.parametrize("engine", ["vllm", "sglang", "trtllm"])
def test_every_policy_caches_prefixes_and_conserves_tokens(engine: str) -> None:
    dep = plan_deployment(ARCH, H100, num_gpus=1, tp=1, input_length=2000, output_length=100, engine=engine)
    traffic = Traffic(
        input_lengths=Lengths.uniform(1000, 3000),
        output_lengths=Lengths.uniform(50, 150),
        concurrency=32,
        num_requests=200,
        prefix=SharedPrefix.distinct(900, 20, zipf_s=1.0),
    )
    run = simulate(dep.step_cost, dep.scheduler_config(), traffic)
    plain = simulate(dep.step_cost, dep.scheduler_config(), attrs.evolve(traffic, prefix=None))
    assert run.prefix_cache_hit_rate is not None
    # at most the prefix's share of the mean prompt, and well above nothing once the 20 prefixes are warm
    assert 0.2 < run.prefix_cache_hit_rate <= 900 / 2000 + 0.02
    assert run.output_tokens == plain.output_tokens and run.input_tokens == plain.input_tokens
    assert run.ttft_s.mean < plain.ttft_s.mean


def test_the_batch_call_takes_both_features() -> None:
    from config_explorer.engine.traffic import SharedPrefix
    from config_explorer.recommender import estimate_performance_batch

    plain, fast = (
        estimate_performance_batch(
            "meta-llama/Llama-3.1-8B-Instruct",
            [("H100", 1), ("nope", 1)],
            1024,
            256,
            batch_size=8,
            **features,
        )
        for features in (
            {"backend": "native"},
            {"backend": "auto", "speculative": "eagle3", "prefix": SharedPrefix.common(512, 1.0)},
        )
    )
    assert fast[0].ok and fast[0].backend == "native" and fast[0].speculative_method == "eagle3"
    assert fast[0].prefix_cache_hit_rate is not None and fast[0].prefix_cache_hit_rate > 0
    assert (fast[0].itl_ms or 0) < (plain[0].itl_ms or 0)
    assert "unknown GPU" in (fast[1].error or "")  # one bad row never sinks the rest


# -- presets and the multi-model recommender ---------------------------------------------------------------
def test_the_chat_preset_carries_vllm_bench_prefix_repetition_defaults() -> None:
    """The chat preset's prompts start with one of vllm bench serve's prefix_repetition defaults' prefixes
    (10 of 256 tokens before a 256-token suffix: the preset's 512); they apply only where the preset sets
    the prompt length and the backend models them, and can be left out."""
    from config_explorer.recommender.workloads import WORKLOADS, preset_prefix

    chat = WORKLOADS["chat"]
    assert chat.prefix == SharedPrefix.distinct(256, 10) and "prefix_repetition" in chat.prefix_source
    assert chat.prefix.length + 256 == chat.input_length
    applied, note = preset_prefix("chat", 512, None, use_preset=True, backend_name="native")
    assert applied == chat.prefix and "applied" in note
    mine = SharedPrefix.common(100)
    assert preset_prefix("chat", 512, mine, use_preset=True, backend_name="native") == (mine, "")
    assert preset_prefix("chat", 800, None, use_preset=True, backend_name="native") == (None, "")
    assert preset_prefix("rag", 4096, None, use_preset=True, backend_name="native") == (None, "")
    left, why = preset_prefix("chat", 512, None, use_preset=True, backend_name="llm-optimizer")
    assert left is None and "does not model prefix caching" in why
    left, why = preset_prefix("chat", 512, None, use_preset=False, backend_name="native")
    assert left is None and "as asked" in why


def test_recommend_applies_the_chat_preset_prefix_and_says_so() -> None:
    kwargs = {"workload": "chat", "gpus": ["H100"], "max_gpus": 1, "backend": "native"}
    with_prefix = recommend_gpus(MODEL, **kwargs)  # type: ignore[arg-type]
    without = recommend_gpus(MODEL, preset_prefix=False, **kwargs)  # type: ignore[arg-type]
    assert with_prefix.best is not None and with_prefix.best.estimate is not None
    assert without.best is not None and without.best.estimate is not None
    hit = with_prefix.best.estimate.prefix_cache_hit_rate
    assert hit is not None and 0.3 < hit <= 0.5  # at most the prefix's share of the prompt
    assert without.best.estimate.prefix_cache_hit_rate is None
    assert "applied" in with_prefix.prefix_note and "prefix caching:" in with_prefix.summary()
    assert "as asked" in without.prefix_note
    document = json.loads(with_prefix.to_json())
    assert document["prefix_note"] == with_prefix.prefix_note and document["prefix"]["length"] == 256
    # a length the caller sets is a different workload: the preset's prefix stays out
    own = recommend_gpus(MODEL, 900, None, **kwargs)  # type: ignore[arg-type]
    assert own.prefix_note == "" and own.best is not None and own.best.estimate is not None
    assert own.best.estimate.prefix_cache_hit_rate is None


def test_cli_applies_and_drops_the_preset_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--model", MODEL, "--gpu", "H100", "--workload", "chat", "--backend", "native", "--json"]
    assert main(["estimate", *base]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["prefix_cache_hit_rate"] > 0 and "applied" in doc["prefix_note"]
    assert main(["estimate", *base, "--no-preset-prefix"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["prefix_cache_hit_rate"] is None and "as asked" in doc["prefix_note"]
    serve = ["serve-command", "--model", MODEL, "--gpu", "H100", "--workload", "chat"]
    assert main(serve) == 0
    assert "# prefix caching:" in capsys.readouterr().out


def test_the_multi_model_recommender_takes_both_features() -> None:
    from config_explorer.recommender import GPURecommender

    fast = GPURecommender(1024, 256, concurrency=8, speculative="eagle3", prefix=SharedPrefix.common(512))
    plain = GPURecommender(1024, 256, concurrency=8, backend="native")
    (a,) = fast.recommend_gpus([MODEL], ["H100"])
    (b,) = plain.recommend_gpus([MODEL], ["H100"])
    assert a.best_estimate is not None and b.best_estimate is not None
    assert a.best_estimate.speculative_method == "eagle3" and a.best_estimate.backend == "native"
    assert (a.best_estimate.prefix_cache_hit_rate or 0) > 0
    assert (a.best_estimate.itl_ms or 0) < (b.best_estimate.itl_ms or 0)
    with pytest.raises(InvalidArgumentError, match="medusa"):
        GPURecommender(1024, 256, speculative="medusa")
    with pytest.raises(InvalidArgumentError, match="not shorter than the prompt"):
        GPURecommender(1024, 256, prefix=SharedPrefix.common(1024))
