"""How ``benchmarks/accuracy.py`` replays a row's run: the options its release implies and its client's draws."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer.engine.traffic import Lengths

ACCURACY = load_benchmark("accuracy")


def test_nim_releases_that_serve_tensorrt_engines_run_without_the_overlap_scheduler() -> None:
    options = ACCURACY.engine_backend_options
    assert options("trtllm", "NIM 1.8.0") == {"disable_overlap_scheduler": True, "tensorrt_engine": True}
    assert options("trtllm", "NIM 1.15.0") == {} and options("trtllm", "1.3.0rc14") == {}
    assert options("trtllm", "0.6.1") == {"tensorrt_engine": True}  # before 1.0: TensorRT engines
    assert options("trtllm", "1.0") == {}  # the PyTorch backend
    assert options("sglang", "NIM 1.8.0") == {}


def test_runs_of_an_image_without_deep_gemm_are_replayed_without_it() -> None:
    """GPUStack's runner image installs vLLM with pip and no DeepGEMM; other sources and engines keep it."""
    source = "https://github.com/gpustack/gpustack/blob/47277d7/docs/performance-lab/deepseek-r1/h200.md"
    assert ACCURACY.installed_options("vllm", source) == {"deep_gemm": False}
    assert ACCURACY.installed_options("sglang", source) == {}
    assert ACCURACY.installed_options("vllm", "https://github.com/SemiAnalysisAI/InferenceX/pull/3288") == {}
    row = {"source": source, "engine": "vllm", "engine_version": "0.11.0", "num_gpus": "8", "tp": "8"}
    row |= {"weight_precision": "fp8", "notes": "serve: `vllm serve deepseek-ai/DeepSeek-R1-0528 -tp 8`"}
    assert ACCURACY._layout(row, "vllm==0.11.0", None)["engine_options"] == {"deep_gemm": False}


def test_launch_commands_that_turn_the_overlap_off_are_replayed() -> None:
    knobs = ACCURACY.serve_knobs("server: python -m sglang.launch_server --tp 8 --disable-overlap-schedule")
    assert knobs["engine_options"] == {"disable_overlap_schedule": True}
    knobs = ACCURACY.serve_knobs("launch: trtllm-serve M with disable_overlap_scheduler: true in its options")
    assert knobs["engine_options"] == {"disable_overlap_scheduler": True}


def test_sglang_state_pool_flags_are_replayed() -> None:
    knobs = ACCURACY.serve_knobs(
        "server: python3 -m sglang.launch_server --tp 8 --max-running-requests 256 --mamba-ssm-dtype bfloat16 "
        "--disable-radix-cache --trust-remote-code"
    )
    assert knobs["engine_options"] == {"disable_radix_cache": True, "mamba_ssm_dtype": "bfloat16"}
    assert knobs["max_num_seqs"] == 256


def test_sglang_graph_limits_are_replayed_in_either_spelling() -> None:
    knobs = ACCURACY.serve_knobs("server: python -m sglang.launch_server --tp 4 --cuda-graph-max-bs 640")
    assert knobs["engine_options"] == {"cuda_graph_max_bs": 640}
    knobs = ACCURACY.serve_knobs("server: python -m sglang.launch_server --cuda-graph-max-bs-decode 96")
    assert knobs["engine_options"] == {"cuda_graph_max_bs": 96}


def test_data_parallel_attention_is_replayed_with_each_groups_share_of_the_servers_limits() -> None:
    """SGLang's --enable-dp-attention runs its --dp groups (default 1: attention over all the ranks, as
    without it), each scheduler taking its share of the running-request limit and the prefill chunk;
    TensorRT-LLM's enable_attention_dp makes every rank a group, whose batch limits are already a rank's.
    A note saying a command ran without the switch does not turn it on."""
    knobs = ACCURACY.serve_knobs(
        "server: python3 -m sglang.launch_server --tp 4 --ep-size 4 --enable-dp-attention --dp 4 "
        "--max-running-requests 256 --chunked-prefill-size 16384",
        4,
    )
    assert knobs == {"ep": 4, "dp_attention": 4, "max_num_seqs": 64, "max_num_batched_tokens": 4096}
    knobs = ACCURACY.serve_knobs("server: sglang.launch_server --tp 8 --enable-dp-attention --dp-size 2", 8)
    assert knobs["dp_attention"] == 2
    tp_only = ACCURACY.serve_knobs("serve: `sglang.launch_server --tp 8 --enable-dp-attention` (defaults)", 8)
    assert "dp_attention" not in tp_only
    without = ACCURACY.serve_knobs(
        "server: sglang.launch_server --tp 4 --data-parallel-size=1 --ep-size 4 (no --enable-dp-attention)", 4
    )
    assert without == {"ep": 4}
    knobs = ACCURACY.serve_knobs(
        "server: trtllm-serve M --tp_size 8 --ep_size 8 --max_batch_size 64 with enable_attention_dp: true", 8
    )
    assert knobs == {"ep": 8, "dp_attention": 8, "max_num_seqs": 64}
    knobs = ACCURACY.serve_knobs("server: trtllm-serve M --ep_size=8 with enable_attention_dp=true", 8)
    assert knobs["dp_attention"] == 8
    off = ACCURACY.serve_knobs(
        "server: trtllm-serve M with cuda_graph_config(max_batch_size=4) enable_attention_dp=false", 8
    )
    assert off == {}
    row = {"source": "x", "engine": "sglang", "engine_version": "0.5.12", "num_gpus": "4", "tp": "4"}
    row |= {
        "weight_precision": "fp4",
        "notes": "server: sglang.launch_server --ep-size 4 --enable-dp-attention --dp 4",
    }
    assert ACCURACY._layout(row, "sglang==0.5.12", "fp8")["dp_attention"] == 4
    scored = {"ep": 4, "dp_attention": 4}
    assert ACCURACY.layout_group(scored) == "expert parallel + DP attention"
    assert ACCURACY.layout_group({"ep": 4, "dp_attention": 1}) == "expert parallel"
    assert ACCURACY.layout_group({"ep": 1}) == "tensor parallel"
    assert ACCURACY.layout_group({"ep": 1, "dp_attention": 4}) == "DP attention"


def test_offline_vllm_runs_told_to_run_eagerly_are_replayed_eagerly() -> None:
    knobs = ACCURACY.serve_knobs(
        "runs: `python benchmark_throughput.py --backend vllm --tensor-parallel-size 8 --max-model-len 91680 "
        "--enforce-eager --num-scheduler-step 1`; checkpoint X"
    )
    assert knobs == {"max_model_len": 91680, "engine_options": {"enforce_eager": True}}
    assert "engine_options" not in ACCURACY.serve_knobs("python benchmark_throughput.py --max-model-len 4096")
    knobs = ACCURACY.serve_knobs(
        "issue: X; server flags: --enforce-eager --max-num-seq 30 --max-model-len 16384"
    )
    assert knobs == {"max_num_seqs": 30, "max_model_len": 16384, "engine_options": {"enforce_eager": True}}
    assert ACCURACY.serve_knobs("serve: `vllm serve M --max-model-len 32768 --max-num-seqs 64`") == {
        "max_num_seqs": 64,
        "max_model_len": 32768,
    }


def test_sglang_random_rows_replay_the_draws_their_printed_means_identify() -> None:
    """The client's output floor changed in 0.5.6.post2; the row's printed means pick the one it drew with,
    and means that neither reproduces leave the row to the distribution."""
    row = {"input_len": "610", "output_len": "421", "notes": ""}
    inputs, outputs = ACCURACY.sglang_client_draws(row, 1000, 1000, 10)
    assert (sum(inputs.values), sum(outputs.values)) == (6101, 4210)
    inputs, outputs = ACCURACY.sglang_client_draws({**row, "output_len": "422"}, 1000, 1000, 10)
    assert sum(outputs.values) == 4220
    assert ACCURACY.sglang_client_draws({**row, "output_len": "500"}, 1000, 1000, 10) is None


def test_static_batch_throughput_of_the_per_gpu_page_is_read_per_gpu() -> None:
    """TensorRT-LLM's v0.5-v0.6.1 performance page heads every throughput table "out tok/s/GPU"."""
    source = "NVIDIA/TensorRT-LLM docs/source/performance.md (v0.5-v0.6.1 era), gptSessionBenchmark"
    row = {"source": source, "metric": "output_tok_s_total"}
    assert ACCURACY.static_batch_metric(row) == "output_tok_s_per_gpu"
    assert ACCURACY.static_batch_metric({**row, "metric": "ttft_ms"}) == "ttft_ms"
    assert ACCURACY.static_batch_metric({**row, "source": "another page"}) == "output_tok_s_total"


#: the columns of a published-points CSV, as the tests below write small ones
POINTS_HEADER = (
    "source,engine,engine_version,model,weight_precision,kv_precision,gpu,num_gpus,tp,input_len,output_len,"
    "dataset,concurrency,request_rate,metric,value,notes,num_prompts\n"
)


def scored_points(tmp_path: Path, common: str, tails: tuple[str, ...]) -> list[dict[str, object]]:
    """The rows ``accuracy.py`` scores from a small points file: one row per tail, each after ``common``."""
    path = tmp_path / "points.csv"
    path.write_text(POINTS_HEADER + "".join(f"{common}{tail}\n" for tail in tails))
    return ACCURACY.published_rows(path, "analytic")


def test_the_ttft_floor_is_the_first_waves_prefill_at_peak() -> None:
    """Four 1,000-token prompts sent at once to a GPU doing 1e12 FLOP/s at 1e9 FLOP a token: their first
    tokens come no sooner than 1, 2, 3 and 4 s. Over 10 requests the mean is then at least 10 s / 10, and the
    p99 (interpolated between the two largest of 10) at least the second largest, 3 s."""
    floor = ACCURACY.ttft_floor_ms
    fixed = Lengths.fixed(1000)
    assert floor("ttft_ms_mean", 4, 10, fixed, 1e9, 1e12) == pytest.approx(1000.0)
    assert floor("ttft_ms_p99", 4, 10, fixed, 1e9, 1e12) == pytest.approx(3000.0)
    # exact draws: the bound sorts the wave's prompts, shortest first, whatever the order they were sent in
    drawn = Lengths.sequence([3000, 1000, 2000, 500])
    assert floor("ttft_ms_mean", 3, 3, drawn, 1e9, 1e12) == pytest.approx((1000 + 3000 + 6000) / 3)
    # every request sent at once: one wave, whose median (interpolated between the 2nd and 3rd of 4) is bounded
    assert floor("ttft_ms_median", 4, 4, fixed, 1e9, 1e12) == pytest.approx(2000.0)
    # lengths known only as a distribution, a closed loop's median, or a wave smaller than the p99's rank: no bound
    assert floor("ttft_ms_mean", 4, 10, Lengths.uniform(1, 2000), 1e9, 1e12) is None
    assert floor("ttft_ms_median", 4, 10, fixed, 1e9, 1e12) is None
    assert floor("ttft_ms_p99", 1, 500, fixed, 1e9, 1e12) is None


def test_rows_printing_a_ttft_their_setup_cannot_reach_are_not_scored() -> None:
    """Only the SGLang cookbook's Llama-3.1-70B runs on eight A100s print mean or p99 TTFTs below the first
    wave's prefill at the A100's bf16 peak; they are listed, and left out of every group."""
    from pathlib import Path

    here = Path(ACCURACY.__file__).parent / "data"
    rows = ACCURACY.published_rows(here / "published_serving_points_more.csv", "analytic")
    flagged = [r for r in rows if r["split"] == ACCURACY.NOT_SCORED]
    assert {(r["model"], r["gpu"], r["batch"], r["metric"]) for r in flagged} == {
        ("meta-llama/Llama-3.1-70B", "A100 SXM 80GB", "100", "ttft_ms_p99"),
        ("meta-llama/Llama-3.1-70B", "A100 SXM 80GB", "16", "ttft_ms_p99"),
        ("meta-llama/Llama-3.1-70B", "A100 SXM 80GB", "64", "ttft_ms_mean"),
        ("meta-llama/Llama-3.1-70B", "A100 SXM 80GB", "64", "ttft_ms_p99"),
    }
    assert all(r["measured"] < r["floor"] for r in flagged)
    summary = ACCURACY.summarize(rows)
    scored = [
        r for r in rows if r["family"] == "ttft" and r["split"] == "held-out" and r["error_pct"] is not None
    ]
    assert summary["held-out:ttft"]["n"] == len(scored)


def test_an_all_at_once_run_below_its_one_wave_floor_is_not_scored(tmp_path: Path) -> None:
    """Four 1,024-token prompts sent at once to one H100: their median first token cannot come before two
    of them are prefilled at the bf16 peak (tens of ms), so a printed 5 ms median is not a measurement of that
    setup (a prompt cache replaying them would print it); the same median of a closed loop is not bounded."""
    common = "test,vllm,0.11.0,meta-llama/Llama-3.1-8B-Instruct,bf16,bf16,H100 SXM,1,1,1024,16,random"
    rows = scored_points(
        tmp_path,
        common,
        (
            ",,inf,ttft_ms_median,5.0,burst,4",
            ",,inf,ttft_ms_median,500.0,burst,4",
            ",2,,ttft_ms_median,5.0,closed loop,8",
        ),
    )
    assert [r["split"] for r in rows] == [ACCURACY.NOT_SCORED, "held-out", "held-out"]
    assert rows[0]["floor"] > 5.0


def test_a_per_token_gap_below_one_weight_read_is_not_scored(tmp_path: Path) -> None:
    """Llama-3.1-8B in bf16 on one H100 reads about 16 GB of weights each decode step, about 4.8 ms at the
    datasheet's 3.35 TB/s: a printed median gap of 0.1 ms is a client reading queued chunks back to back (as
    GPUStack's TensorRT-LLM H100 runs print), so it is listed, not scored; 20 ms is scored, and so is any TTFT."""
    floor = ACCURACY.token_gap_floor_ms
    assert floor("itl_ms_median", 16e9, 3.35e12) == pytest.approx(1e3 * 16e9 / 3.35e12)
    assert floor("tpot_ms_mean", 16e9, 2 * 3.35e12) == pytest.approx(0.5e3 * 16e9 / 3.35e12)
    assert floor("ttft_ms_median", 16e9, 3.35e12) is None
    assert floor("itl_ms_p99", 16e9, 3.35e12) is None
    common = "test,vllm,0.11.0,meta-llama/Llama-3.1-8B-Instruct,bf16,bf16,H100 SXM,1,1,1024,64,random,4,"
    rows = scored_points(
        tmp_path,
        common,
        (
            ",itl_ms_median,0.1,closed loop,16",
            ",itl_ms_median,20.0,closed loop,16",
            ",ttft_ms_median,0.1,closed loop,16",
        ),
    )
    assert [r["split"] for r in rows] == [ACCURACY.NOT_SCORED, "held-out", "held-out"]
    assert 4.0 < rows[0]["floor"] < 5.5


def test_tensorrt_llm_rows_are_replayed_on_their_release() -> None:
    """A TensorRT-LLM row's release picks its decode attention kernel (XQA from 0.8); NIM names none."""
    assert ACCURACY.released("trtllm", "0.6.1") == "trtllm==0.6.1"
    assert ACCURACY.released("trtllm", "NIM 1.8.0") == "trtllm"
    assert ACCURACY.released("trtllm", "") == "trtllm"


def test_a_nightly_sglang_image_is_replayed_as_the_release_before_it() -> None:
    """A 2026-03-10 nightly carries 0.5.9's rules (0.5.10 came on 2026-04-05), not the newest ones."""
    assert ACCURACY.released("sglang", "nightly-dev-20260310-0fd9a57d") == "sglang==0.5.9"
    assert ACCURACY.released("sglang", "nightly-dev-20260626") == "sglang==0.5.14"
    assert ACCURACY.released("sglang", "nightly-dev-20250101") == "sglang"  # older than the table: unpinned
    assert ACCURACY.released("vllm", "nightly-dev-20260310") == "vllm"


def test_sglang_moe_runners_are_replayed() -> None:
    knobs = ACCURACY.serve_knobs("server: sglang serve --tp 4 --moe-runner-backend flashinfer_mxfp4", 4)
    assert knobs["engine_options"] == {"moe_runner_backend": "flashinfer_mxfp4"}
    knobs = ACCURACY.serve_knobs("server: sglang serve --tp 4 --moe-runner-backend triton", 4)
    assert knobs["engine_options"] == {"moe_runner_backend": "triton"}
    # the engine's own picks are left to it
    assert "engine_options" not in ACCURACY.serve_knobs(
        "server: sglang serve --tp 4 --moe-runner-backend flashinfer_trtllm", 4
    )


def test_vllms_marlin_moe_backend_is_replayed() -> None:
    """InferenceX's gpt-oss H100 recipe sets VLLM_MXFP4_USE_MARLIN=1 (vLLM before PR #33807); later launches say
    --moe-backend marlin."""
    for launch in ("server: VLLM_MXFP4_USE_MARLIN=1 vllm serve openai/gpt-oss-120b --tensor-parallel-size=8",
                   "server: vllm serve MiniMaxAI/MiniMax-M3 --moe-backend marlin"):  # fmt: skip
        assert ACCURACY.serve_knobs(launch, 8)["engine_options"] == {"moe_backend": "marlin"}
    assert "engine_options" not in ACCURACY.serve_knobs("server: vllm serve openai/gpt-oss-120b -tp 8", 8)


def test_vllms_cudagraph_mode_is_replayed() -> None:
    """InferenceX's MiniMax-M2.5 H100 recipe launches vLLM with ``--compilation-config '{"cudagraph_mode":"PIECEWISE"}'``
    (the CSV doubles the JSON's quotes, which csv reads back single); a config without the key states nothing."""
    launch = (
        "server: vllm serve MiniMaxAI/MiniMax-M2.5 --tensor-parallel-size=8 "
        """--compilation-config '{"cudagraph_mode":"PIECEWISE"}'"""
    )
    assert ACCURACY.serve_knobs(launch, 8)["engine_options"] == {"cudagraph_mode": "PIECEWISE"}
    full = """server: vllm serve X --compilation-config '{"cudagraph_mode": "FULL_AND_PIECEWISE", "custom_ops": []}'"""
    assert ACCURACY.serve_knobs(full, 8)["engine_options"] == {"cudagraph_mode": "FULL_AND_PIECEWISE"}
    assert "engine_options" not in ACCURACY.serve_knobs(
        """server: vllm serve X --compilation-config '{"full_cuda_graph":false}'""", 8
    )


def test_a_static_batch_runs_whole_even_past_the_executors_memory_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gptSessionBenchmark ran each batch in one generate call, which cannot queue part of it: a batch whose
    KV cache needs more than 0.9 of free memory (the in-flight executor's share), but not more than all of
    it, is replayed resident, so it runs faster than the same batch held to 0.9 would."""
    columns = "source,engine,engine_version,model,weight_precision,kv_precision,gpu,num_gpus,tp,"
    columns += "input_len,output_len,batch_size,metric,value,notes"
    row = "page,trtllm,0.6.1,meta-llama/Llama-3.1-8B,fp16,fp16,A100 SXM 80GB,1,1,128,2048,220,"
    row += "output_tok_s_per_gpu,1000,static batch"
    small = row.replace(",220,", ",100,")  # a batch the 0.9 share holds too
    (tmp_path / "trtllm_static_batch.csv").write_text(f"{columns}\n{row}\n{small}\n")
    whole = [r["predicted"] for r in ACCURACY.static_batch_rows(tmp_path, "simulated")]
    monkeypatch.setattr(ACCURACY, "STATIC_BATCH_KV_FRACTION", 0.9)
    held = [r["predicted"] for r in ACCURACY.static_batch_rows(tmp_path, "simulated")]
    assert whole[0] > 1.05 * held[0]
    assert whole[-1] == pytest.approx(held[-1])


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("ttft_ms_p99", "p99"),
        ("ttft_ms_median", "median"),
        ("tpot_ms_mean", "mean"),
        ("e2e_s_mean", "mean"),
        ("itl_ms_p99", "p99"),
        ("ttft_ms", None),  # a static batch's one TTFT
        ("itl_ms_proxy", None),
        ("output_tok_s_total", None),
        ("request_s", None),
    ],
)
def test_each_latency_metric_names_the_statistic_it_reports(metric: str, expected: str | None) -> None:
    assert ACCURACY.statistic(metric) == expected


def test_signed_errors_by_statistic_keep_their_sign() -> None:
    """The signed split reads the median of the errors as they are: an engine reading low shows negative."""
    rows = [
        {"metric": "ttft_ms_p99", "family": "ttft", "split": "held-out", "error_pct": e}
        for e in (-40.0, -30.0, 10.0)
    ] + [{"metric": "ttft_ms_p99", "family": "ttft", "split": "fit", "error_pct": 99.0}]
    signed = ACCURACY.signed_by_statistic(rows)
    assert signed == {"held-out signed by statistic:p99:ttft": {"n": 3, "median_signed_pct": -30.0}}


def test_vllm_data_parallel_ranks_and_expert_parallelism_are_replayed() -> None:
    """vLLM's ``-dp N`` makes N attention groups of ``--tensor-parallel-size`` GPUs each, the replica their
    product; ``--enable-expert-parallel`` spreads the experts over all of them. SGLang spells its EP size three
    ways (``--ep-size``, ``--ep``, ``--expert-parallel-size``)."""
    knobs = ACCURACY.serve_knobs(
        "server: vllm serve M -tp 1 -dp 8 --enable-expert-parallel --max-model-len 81920"
    )
    assert (knobs["tp"], knobs["dp_attention"], knobs["ep"]) == (8, 8, 8)
    knobs = ACCURACY.serve_knobs("server: vllm serve M --tensor-parallel-size=4 --enable-expert-parallel", 4)
    assert knobs["ep"] == 4 and "dp_attention" not in knobs and "tp" not in knobs
    knobs = ACCURACY.serve_knobs("server: vllm serve M --tensor-parallel-size 2 --data-parallel-size 4", 2)
    assert (knobs["tp"], knobs["dp_attention"]) == (8, 4) and "ep" not in knobs
    for spelling in ("--ep 8", "--expert-parallel-size 8", "--ep-size 8"):
        assert ACCURACY.serve_knobs(f"server: sglang serve --tp 8 {spelling}", 8)["ep"] == 8


def test_runs_that_drafted_tokens_are_kept_but_not_estimated(tmp_path: Path) -> None:
    """A run with multi-token prediction (``MTP=yes`` in its notes) printed no acceptance rate, so no estimate
    of it is scored; it stays in the file, set apart, and out of every summary."""
    common = "test,vllm,0.11.0,meta-llama/Llama-3.1-8B-Instruct,bf16,bf16,H100 SXM,1,1,1024,128,fixed,4,"
    path = tmp_path / "points.csv"
    path.write_text(
        POINTS_HEADER
        + f"{common},tpot_ms_mean,8.0,ep=1; MTP=yes (1 token),40\n"
        + f"{common},tpot_ms_mean,8.0,MTP=no,40\n"
    )
    rows = ACCURACY.published_rows(path, "analytic")
    assert [r["split"] for r in rows] == [ACCURACY.SPECULATIVE, "held-out"]
    assert rows[0]["predicted"] is None and rows[1]["predicted"] is not None
    assert ACCURACY.summarize(rows)["held-out:itl"]["n"] == 1


def test_sglang_data_parallel_rows_without_a_stated_fraction_run_at_sglangs_own() -> None:
    """A row whose SGLang launch ran data-parallel attention and stated no ``--mem-fraction-static`` is replayed at
    SGLang's own default, which keeps room for its padded graphs (a plan budgets more and states it); a stated
    fraction, or no data-parallel attention, is replayed as it stands."""
    from config_explorer import load_model

    arch = load_model("deepseek-ai/DeepSeek-V3.2")
    row = {"gpu": "H200 SXM", "input_len": "4000", "output_len": "200", "notes": ""}
    layout = {"num_gpus": 8, "tp": 8, "dp_attention": 8, "engine": "sglang==0.5.6", "kv_precision": None}
    own = ACCURACY.own_memory_fraction(arch, row, layout)
    assert own is not None and 0.5 < own < 0.85
    assert ACCURACY.own_memory_fraction(arch, row, {**layout, "gpu_memory_utilization": 0.8}) is None
    assert ACCURACY.own_memory_fraction(arch, row, {**layout, "dp_attention": 1}) is None


def test_gpustacks_deepseek_v32_page_ran_vllm_with_deep_gemm() -> None:
    """That page turns DeepGEMM off as one of its experiments, so its baseline had it; the performance lab's other
    vLLM pages ran an image without it."""
    page = "https://github.com/gpustack/gpustack/blob/1f37f1b8bd79c6b424a0cb55c7abd08a5c2132dc/docs/performance-lab/"
    assert ACCURACY.installed_options("vllm", page + "deepseek-v3.2/h200.md") == {}
    assert ACCURACY.installed_options("vllm", page + "deepseek-r1/h200.md") == {"deep_gemm": False}
    assert ACCURACY.installed_options("sglang", page + "deepseek-r1/h200.md") == {}
