"""How ``benchmarks/accuracy.py`` replays a row's run: the options its release implies and its client's draws."""

from __future__ import annotations

from tests.benchmark_scripts import load_benchmark

ACCURACY = load_benchmark("accuracy")


def test_nim_releases_that_serve_tensorrt_engines_run_without_the_overlap_scheduler() -> None:
    options = ACCURACY.engine_backend_options
    assert options("trtllm", "NIM 1.8.0") == {"disable_overlap_scheduler": True}
    assert options("trtllm", "NIM 1.15.0") == {} and options("trtllm", "1.3.0rc14") == {}
    assert options("sglang", "NIM 1.8.0") == {}


def test_launch_commands_that_turn_the_overlap_off_are_replayed() -> None:
    knobs = ACCURACY.serve_knobs("server: python -m sglang.launch_server --tp 8 --disable-overlap-schedule")
    assert knobs["engine_options"] == {"disable_overlap_schedule": True}
    knobs = ACCURACY.serve_knobs("launch: trtllm-serve M with disable_overlap_scheduler: true in its options")
    assert knobs["engine_options"] == {"disable_overlap_scheduler": True}


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
