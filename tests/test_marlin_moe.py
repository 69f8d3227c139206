"""vLLM's Marlin MoE kernel: which deployments run it, and what it costs against measured kernel times."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import pytest
from tests.benchmark_scripts import load_benchmark
from tests.test_serve_command_flags import assert_valid

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import GPUSpec, get_gpu
from config_explorer.engine.calibration import (
    MARLIN_MOE_BY_FAMILY,
    MARLIN_MOE_HALF_WIDTH,
    VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP,
    efficiency_for,
    profile_for,
    runs_marlin_linears,
    runs_marlin_moe,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.options import check_engine_options
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import serve_command

KERNELS = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "moe_kernel_times.csv"
#: Marlin MoE layer times off vLLM's Hopper tables (tools/extract_marlin_moe_times.py)
OFF_HOPPER = KERNELS.with_name("marlin_moe_times.csv")
#: the database's expert shapes (hidden, intermediate, experts, top-k) of bundled models
SHAPES = {
    ("2048", "768", "128", "8"): "Qwen/Qwen3-30B-A3B",
    ("4096", "14336", "8", "2"): "mistralai/Mixtral-8x7B-v0.1",
    ("4096", "1536", "128", "8"): "Qwen/Qwen3-235B-A22B",
    ("7168", "2048", "256", "8"): "deepseek-ai/DeepSeek-V3",
}


@pytest.mark.parametrize(
    ("engine", "precision", "family", "expected"),
    [
        ("vllm==0.11.0", "mxfp4", "hopper", True),  # no triton_kernels in the v0.11 wheel: Marlin
        ("vllm==0.10.2", "mxfp4", "hopper", True),
        ("vllm==0.12.0", "mxfp4", "hopper", False),  # the Triton kernels ship with v0.12
        ("vllm==0.19.0", "int4", "hopper", True),  # AWQ/GPTQ experts always run on Marlin
        ("vllm==0.19.0", "awq", "hopper", True),
        ("vllm", "mxfp4", "hopper", True),  # the profile's default release is 0.11
        ("vllm", "fp8", "hopper", False),
        ("vllm", "bf16", "hopper", False),
        ("sglang", "mxfp4", "hopper", False),  # SGLang and TensorRT-LLM run gpt-oss on the Triton kernels
        ("trtllm", "mxfp4", "hopper", False),
        ("vllm", "mxfp4", "blackwell", False),  # native FP4 there
        ("vllm", "int4", "blackwell", True),  # AWQ/GPTQ experts run on Marlin there too
        ("vllm==0.11.0", "awq", "blackwell", True),
        ("vllm", "fp8", "blackwell", False),
        ("sglang", "int4", "blackwell", False),
        ("vllm", "mxfp4", "ampere", True),  # below compute capability 9.0 vLLM has only Marlin for MXFP4
        ("vllm==0.19.0", "mxfp4", "ampere", True),  # in every release
        ("vllm", "int4", "ampere", True),
        ("vllm", "bf16", "ampere", False),
        ("vllm", "fp8", "ampere", True),  # no FP8 tensor cores below 8.9: FP8 experts weight-only on Marlin
        ("vllm", "fp8", "ada", False),  # Ada has them
        ("sglang", "fp8", "ampere", False),
        ("sglang", "mxfp4", "ampere", False),
        ("vllm", "mxfp4", "ada", True),  # Ada (compute capability 8.9) too
        ("vllm", "mxfp4", "volta", False),  # no measured rate: the generic term stands
    ],
)
def test_which_deployments_run_marlin(engine: str, precision: str, family: str, expected: bool) -> None:
    assert runs_marlin_moe(profile_for(engine), precision, family) is expected


@pytest.mark.parametrize(
    ("engine", "gpt_oss", "expected"),
    [
        ("vllm==0.20.0", False, True),  # from 0.20 only gpt-oss keeps Triton: other MXFP4 experts take Marlin
        ("vllm==0.27.1", False, True),
        ("vllm==0.20.0", True, False),
        ("vllm==0.19.0", False, False),  # one oracle for every MXFP4 model before: Triton on Hopper
        ("vllm==0.11.0", False, True),  # no Triton kernels at all before 0.12
        ("sglang", False, False),
    ],
)
def test_mxfp4_experts_on_hopper_pick_their_kernel_by_model(
    engine: str, gpt_oss: bool, expected: bool
) -> None:
    assert runs_marlin_moe(profile_for(engine), "mxfp4", "hopper", gpt_oss=gpt_oss) is expected
    # Blackwell has native FP4 kernels for every model
    assert not runs_marlin_moe(profile_for(engine), "mxfp4", "blackwell", gpt_oss=gpt_oss)


def test_deepseek_v4_experts_run_on_marlin_on_hopper_under_vllm() -> None:
    """DeepSeek-V4-Flash's MXFP4 experts on four H200s: vLLM 0.20's generic MXFP4 priority ends at Marlin on
    SM90, so the expert GEMMs take the Marlin rate and the plan says why; gpt-oss on the same release does not."""

    def plan(model: str) -> Deployment:
        return plan_deployment(
            load_model(model),
            get_gpu("H200"),
            num_gpus=4,
            tp=4,
            input_length=8192,
            output_length=512,
            engine="vllm==0.20.0",
        )

    v4, gpt_oss = plan("deepseek-ai/DeepSeek-V4-Flash"), plan("openai/gpt-oss-120b")
    hopper_marlin, _ = MARLIN_MOE_BY_FAMILY["hopper"]
    assert v4.rates.moe_gemm_flops == pytest.approx(get_gpu("H200").tflops.bf16 * 1e12 * hopper_marlin)
    assert any("Marlin" in w and "gpt-oss only" in w for w in v4.warnings)
    assert gpt_oss.rates.moe_gemm_flops == 0.0
    assert not any("Marlin" in w for w in gpt_oss.warnings)


def _gpt_oss_20b(gpu: str, engine: str) -> Deployment:
    """gpt-oss-20b on one ``gpu``, planned for 8,192-token prompts."""
    return plan_deployment(
        load_model("openai/gpt-oss-20b"),
        get_gpu(gpu),
        num_gpus=1,
        tp=1,
        input_length=8192,
        output_length=128,
        engine=engine,
    )


def _gpt_oss(engine: str) -> tuple[float, float, tuple[str, ...]]:
    """(an 8,192-token prompt step, a one-sequence decode step) of gpt-oss-20b on one H100, seconds."""
    dep = _gpt_oss_20b("H100", engine)
    prefill = dep.step_s(0.0, 8192, 1.0)
    decode = dep.step_cost.time(1, 2048, 128, 0, 0, 0, 1)
    return prefill, decode, dep.warnings


def test_marlin_slows_gpt_oss_prefill_on_hopper_but_not_its_decode() -> None:
    marlin_prefill, marlin_decode, warned = _gpt_oss("vllm==0.11.0")
    triton_prefill, triton_decode, quiet = _gpt_oss("vllm==0.12.0")
    # the expert GEMMs dominate a prompt step: at 0.29 of the peak instead of 0.72 it takes far longer
    assert marlin_prefill > 1.5 * triton_prefill
    # one sequence's decode streams the weights either way
    assert marlin_decode == pytest.approx(triton_decode, rel=0.05)
    assert any("Marlin" in w and "0.12" in w for w in warned)
    assert not any("Marlin" in w for w in quiet)


def test_sglang_on_hopper_keeps_the_triton_rate() -> None:
    sglang, _, _ = _gpt_oss("sglang")
    triton, _, _ = _gpt_oss("vllm==0.12.0")
    marlin, _, _ = _gpt_oss("vllm==0.11.0")
    assert sglang < marlin
    assert sglang == pytest.approx(triton, rel=0.25)


def test_sglang_mxfp4_experts_on_ampere_warn_of_the_emulated_path() -> None:
    def emulated(gpu: str, engine: str) -> bool:
        return any("emulates on sm80" in w for w in _gpt_oss_20b(gpu, engine).warnings)

    assert emulated("A100", "sglang")
    # vLLM runs Marlin there, and Hopper has the kernel's own layout: no such path
    assert not emulated("A100", "vllm") and not emulated("H100", "sglang")


def _marlin_layers() -> list[tuple[str, int, float, float]]:
    """(GPU, tokens, measured, estimated seconds) of every Marlin row the engine can express."""
    out = []
    with KERNELS.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = (row["hidden_size"], row["moe_intermediate_size"], row["num_experts"], row["topk"])
            if "marlin" not in row["kernel"] or shape not in SHAPES:
                continue
            tp = int(row["tp"])
            dep = plan_deployment(
                load_model(SHAPES[shape]),
                get_gpu(row["gpu"].split("-")[0]),
                num_gpus=tp,
                tp=tp,
                precision="int4",
                engine="vllm==" + row["framework"].split(" ")[1],
                input_length=1024,
                output_length=128,
            )
            seconds, _, _ = dep.step_cost.moe_layer_terms(float(row["num_tokens"]))
            out.append((row["gpu"], int(row["num_tokens"]), float(row["time_us"]) * 1e-6, seconds))
    return out


def test_marlin_layers_match_the_measured_kernels_held_out() -> None:
    """The rate was fitted on H100 rows at >= 4,096 tokens; H200 rows and smaller batches are held out."""
    layers = _marlin_layers()
    assert len(layers) > 100
    for gpu in ("H100-SXM", "H200-SXM"):
        held = [
            measured / estimated
            for g, tokens, measured, estimated in layers
            if g == gpu and tokens >= 256 and not (gpu == "H100-SXM" and tokens >= 4096)
        ]
        assert held
        assert 0.85 <= statistics.median(held) <= 1.15, (gpu, statistics.median(held))


def _a100_layers() -> list[tuple[int, float, float]]:
    """(tokens, measured, estimated seconds) of the A100 Marlin rows of bundled models' shapes at TP 1-8."""
    out = []
    with OFF_HOPPER.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = (row["hidden_size"], row["moe_intermediate_size"], row["num_experts"], row["topk"])
            tp = int(row["tp"])
            if row["gpu"] != "A100-SXM" or shape not in SHAPES or tp > 8:
                continue
            dep = plan_deployment(
                load_model(SHAPES[shape]),
                get_gpu("A100"),
                num_gpus=tp,
                tp=tp,
                precision="int4",
                engine="vllm",
                input_length=1024,
                output_length=128,
            )
            seconds, _, _ = dep.step_cost.moe_layer_terms(float(row["num_tokens"]))
            out.append((int(row["num_tokens"]), float(row["time_us"]) * 1e-6, seconds))
    return out


def test_a100_marlin_layers_match_the_measured_kernels_held_out() -> None:
    """Ampere's rate was fitted at >= 4,096 tokens; every smaller batch is held out, down to one token,
    where the layer streams the experts it touches rather than computing."""
    layers = _a100_layers()
    assert len(layers) > 200
    for low, high in ((1, 64), (64, 1024), (1024, 4096)):
        held = [measured / estimated for tokens, measured, estimated in layers if low <= tokens < high]
        assert held
        assert 0.85 <= statistics.median(held) <= 1.2, (low, statistics.median(held))


def test_ampere_and_ada_rates_are_the_fit_script_results() -> None:
    fit = load_benchmark("fit_marlin_moe")
    rows = fit.other_rows()
    ampere = [r for r in rows if r["family"] == "ampere" and r["fit"]]
    best = min(
        (f / 1000 for f in range(100, 1001, 5)), key=lambda f: fit.error(ampere, f, MARLIN_MOE_HALF_WIDTH)
    )
    assert MARLIN_MOE_BY_FAMILY["ampere"] == (pytest.approx(best), MARLIN_MOE_HALF_WIDTH)
    # a free fit of the same rows takes about the Hopper half width: the width term carries over
    assert abs(fit.free_fit(ampere)[1] - MARLIN_MOE_HALF_WIDTH) <= 20
    ada = [r for r in rows if r["family"] == "ada" and r["fit"]]
    assert ada and all(r["experts"] == 32 for r in ada)  # gpt-oss-20b's shape only
    assert MARLIN_MOE_BY_FAMILY["ada"] == fit.free_fit(ada)


def test_ada_constants_read_the_held_out_l40s_layers() -> None:
    """Fitted on gpt-oss-20b's shape; gpt-oss-120b's shape and the INT4 layer on the same GPU are held out."""
    fit = load_benchmark("fit_marlin_moe")
    big = [
        r
        for r in fit.other_rows()
        if str(r["group"]).startswith("L40S") and not r["fit"] and float(r["tokens"]) >= 4096
    ]
    wider = [r for r in big if r["experts"] == 128]
    int4 = [r for r in big if "wna16" in str(r["kernel"])]
    assert wider and int4
    assert fit.error(wider, *MARLIN_MOE_BY_FAMILY["ada"]) < 0.1
    assert fit.error(int4, *MARLIN_MOE_BY_FAMILY["ada"]) < 0.2
    # and better than Ampere's constants would
    assert fit.error(wider, *MARLIN_MOE_BY_FAMILY["ada"]) < fit.error(wider, *MARLIN_MOE_BY_FAMILY["ampere"])


def test_blackwell_constants_are_fitted_on_the_b200_and_read_the_held_out_b300_and_gb200() -> None:
    """vLLM 0.24's INT4 Marlin layer: fitted on the B200's rows at prompt-sized batches, held out on the B300's and
    the GB200's; vLLM 0.19's B200 layers (other shapes, an older kernel) ran slower than the constants charge."""
    fit = load_benchmark("fit_marlin_moe")
    rows = [r for r in fit.other_rows() if r["family"] == "blackwell"]
    fitted = [r for r in rows if r["fit"]]
    assert fitted and {str(r["group"]) for r in fitted} == {"B200-SXM vLLM 0.24.0 int4_wo"}
    assert MARLIN_MOE_BY_FAMILY["blackwell"] == fit.free_fit(fitted)
    big = [r for r in rows if not r["fit"] and float(r["tokens"]) >= 4096]
    for gpu in ("B300-SXM", "GB200"):
        held = [r for r in big if str(r["group"]).startswith(gpu)]
        assert held and fit.error(held, *MARLIN_MOE_BY_FAMILY["blackwell"]) < 0.1
    older = [r for r in big if "0.19.0" in str(r["group"])]
    modelled = [fit.rate(*MARLIN_MOE_BY_FAMILY["blackwell"], float(r["width"])) for r in older]
    assert older and all(float(r["achieved"]) < m for r, m in zip(older, modelled, strict=True))


def test_awq_experts_on_a_b200_take_blackwells_marlin_rate() -> None:
    """Qwen3-Coder-480B's AWQ experts on four B200s with vLLM: Marlin's Blackwell rate, not the generic path's."""
    plan = plan_deployment(
        load_model("Qwen/Qwen3-Coder-480B-A35B-Instruct"), get_gpu("B200"), num_gpus=4, tp=4, precision="int4",
        input_length=1024, output_length=1024, engine="vllm",
    )  # fmt: skip
    fraction, half = MARLIN_MOE_BY_FAMILY["blackwell"]
    assert plan.rates.moe_gemm_flops == pytest.approx(
        get_gpu("B200").gemm_tflops("bf16")[0] * 1e12 * fraction
    )
    assert plan.rates.moe_half_width == half


def test_gpt_oss_experts_on_an_a100_run_at_the_marlin_rate() -> None:
    def experts(engine: str) -> float:
        seconds, _, _ = _gpt_oss_20b("A100", engine).step_cost.moe_layer_terms(8192.0)
        return seconds

    # 8,192 tokens through a 2,880-wide expert shard: compute-bound, at 0.495 x 2880 / (2880 + 110) of the
    # 16-bit peak on vLLM's Marlin against the generic Ampere rate x 2880 / (2880 + 320) that SGLang keeps
    generic = efficiency_for("ampere").gemm_compute_16bit * 2880 / (2880 + 320)
    fraction, half = MARLIN_MOE_BY_FAMILY["ampere"]
    marlin = fraction * 2880 / (2880 + half)
    assert experts("vllm") / experts("sglang") == pytest.approx(generic / marlin, rel=0.05)


@pytest.mark.parametrize(
    ("engine", "precision", "family", "expected"),
    [
        ("vllm==0.11.0", "fp8", "ampere", True),  # no FP8 tensor cores: weight-only FP8 Marlin
        ("vllm==0.9.1", "int4", "ampere", True),  # AWQ/GPTQ through awq_marlin / gptq_marlin
        ("vllm==0.11.0", "fp8", "ada", False),  # native FP8 GEMMs from capability 8.9
        ("vllm==0.11.0", "bf16", "ampere", False),
        ("sglang==0.5.4", "fp8", "ampere", False),
    ],
)
def test_runs_marlin_linears(engine: str, precision: str, family: str, expected: bool) -> None:
    assert runs_marlin_linears(profile_for(engine), weight_precision=precision, gpu_family=family) is expected


def test_marlin_linears_charge_marlins_rate_on_ampere() -> None:
    """An FP8 checkpoint's dense linears on an A100 under vLLM: the same bytes as before, their FLOPs at the
    Ampere Marlin fraction of the 16-bit peak, so a prompt-sized step's GEMM compute grows and a weight-bound
    decode step's does not move."""
    gpu = get_gpu("A100 SXM 80GB")
    arch = load_model("Qwen/Qwen3-32B")

    def fp8_on(on: GPUSpec) -> Deployment:
        return plan_deployment(
            arch,
            on,
            num_gpus=1,
            tp=1,
            precision="fp8",
            input_length=2000,
            output_length=100,
            engine="vllm==0.11.0",
        )

    fp8 = fp8_on(gpu)
    peak16 = gpu.gemm_tflops("bf16")[0] * 1e12
    assert fp8.rates.quantized_linear_flops == pytest.approx(peak16 * MARLIN_MOE_BY_FAMILY["ampere"][0])
    assert fp8.rates.quantized_linear_bandwidth == fp8.rates.gemm_bandwidth
    assert fp8.rates.quantized_linear_s == 0.0
    assert fp8_on(get_gpu("H100 SXM")).rates.quantized_linear_flops == 0.0


def _gpt_oss_vllm(
    gpu: str, options: dict[str, object] | None = None, model: str = "openai/gpt-oss-120b"
) -> Deployment:
    return plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=2, tp=2, input_length=1024, output_length=1024,
        engine="vllm==0.15.1", engine_options=check_engine_options(options, "vllm"),
    )  # fmt: skip


def test_vllm_moe_backend_marlin_runs_mxfp4_experts_on_marlin() -> None:
    """``--moe-backend marlin`` (``VLLM_MXFP4_USE_MARLIN=1`` before it) puts gpt-oss's experts on Marlin's kernel on
    Hopper, where vLLM 0.12 and later pick Triton's: Marlin's compute rate at prompt-sized batches, and the launch
    names the argument; where vLLM runs Marlin already it changes nothing, and it refuses 16-bit experts and GPU
    families without a measured Marlin rate."""
    triton, marlin = _gpt_oss_vllm("H100"), _gpt_oss_vllm("H100", {"moe_backend": "marlin"})
    assert triton.rates.moe_gemm_flops == 0.0  # the family's grouped-GEMM rate
    assert marlin.rates.moe_gemm_flops == pytest.approx(
        get_gpu("H100").gemm_tflops("bf16")[0] * 1e12 * MARLIN_MOE_BY_FAMILY["hopper"][0]
    )
    assert (triton.moe_backend, marlin.moe_backend) == (None, "marlin")
    assert any("moe_backend=marlin runs the mxfp4 experts" in w for w in marlin.warnings)
    prompt = marlin.step_cost.time(0, 0, 0, 8192, 0, 0, 1), triton.step_cost.time(0, 0, 0, 8192, 0, 0, 1)
    assert prompt[0] > 1.3 * prompt[1]
    # vLLM 0.11 ran gpt-oss's MXFP4 experts on Marlin on Hopper already: nothing to name
    old = plan_deployment(
        load_model("openai/gpt-oss-120b"), get_gpu("H100"), num_gpus=2, tp=2, input_length=1024,
        output_length=1024, engine="vllm==0.11.0", engine_options=check_engine_options({"moe_backend": "marlin"}, "vllm"),
    )  # fmt: skip
    assert old.moe_backend is None and any("changes nothing" in w for w in old.warnings)
    with pytest.raises(InvalidArgumentError, match=r"moe_backend=marlin.*quantized experts.*bf16"):
        plan_deployment(
            load_model("Qwen/Qwen3-30B-A3B"), get_gpu("H100"), num_gpus=1, tp=1, input_length=1024,
            output_length=128, precision="bf16", engine="vllm",
            engine_options=check_engine_options({"moe_backend": "marlin"}, "vllm"),
        )  # fmt: skip
    with pytest.raises(
        InvalidArgumentError, match=r"V100.*volta.*accepted on ada, ampere, blackwell, hopper"
    ):
        _gpt_oss_vllm("V100", {"moe_backend": "marlin"})
    # Blackwell has a measured Marlin rate: gpt-oss's MXFP4 experts leave FlashInfer's kernels for it when named
    blackwell = _gpt_oss_vllm("B200", {"moe_backend": "marlin"})
    assert blackwell.moe_backend == "marlin"
    with pytest.raises(InvalidArgumentError, match="moe_backend must be one of marlin"):
        check_engine_options({"moe_backend": "triton"}, "vllm")
    with pytest.raises(InvalidArgumentError, match="moe_backend is vllm's"):
        check_engine_options({"moe_backend": "marlin"}, "sglang")


def test_vllm_moe_backend_reaches_the_record_and_the_launch() -> None:
    arch = load_model("openai/gpt-oss-120b")
    est = estimate_performance(
        arch, "H100", 2, 2, 1024, 1024, concurrency=8, backend="native", serving_model="analytic",
        engine="vllm==0.15.1", engine_options={"moe_backend": "marlin"},
    )  # fmt: skip
    assert est.ok and est.moe_backend == "marlin"
    command = serve_command(arch, est, "vllm")
    assert assert_valid("vllm", command)["--moe-backend"] == "marlin"


def test_triton_mxfp4_experts_stream_at_the_sms_rate_on_hopper() -> None:
    """vLLM's Triton MXFP4 MoE kernels stream gpt-oss's experts at most at a rate set by the SMs (the H100 and the
    H200, one die, stream alike): the cap binds on the H200, whose memory is faster, not on the H100, and not on
    Marlin's kernel; it is the fit script's result, and leaves its held-out layers closer."""
    h100, h200 = _gpt_oss_vllm("H100"), _gpt_oss_vllm("H200")
    cap = VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP * get_gpu("H200").gemm_tflops("bf16")[0] * 1e12
    generic = get_gpu("H200").memory_bandwidth_bytes_s * efficiency_for("hopper").gemm_bandwidth
    assert h200.rates.moe_bandwidth == pytest.approx(cap) and cap < generic
    assert h100.rates.moe_bandwidth == pytest.approx(
        get_gpu("H100").memory_bandwidth_bytes_s * efficiency_for("hopper").gemm_bandwidth
    )
    assert _gpt_oss_vllm("H200", {"moe_backend": "marlin"}).rates.moe_bandwidth == pytest.approx(generic)
    assert _gpt_oss_vllm("H200", model="openai/gpt-oss-20b").rates.moe_bandwidth == pytest.approx(cap)
    fit = load_benchmark("fit_hopper_mxfp4_moe")
    rows = fit.layers()
    assert fit.fitted(rows) == pytest.approx(VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP)
    # the H200's held-out layers past the launch-bound few tokens read no worse, and the other shape's streaming ones
    # (gpt-oss-20b's, 16-256 tokens) read closer by half
    bands: dict[tuple[str, bool], list[float]] = {}
    for r in rows:
        if not r.in_fit and r.gpu == "H200-SXM" and r.tokens >= 16:
            bands.setdefault((r.experts, r.tokens <= 256), []).append(
                r.error(None) - r.error(fit.fitted(rows))
            )
    assert all(statistics.median(gains) > -0.01 for gains in bands.values())
    streaming = [r for r in rows if (r.gpu, r.experts) == ("H200-SXM", "32") and 16 <= r.tokens <= 256]
    cap = VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP
    assert statistics.median(r.error(cap) for r in streaming) < 0.6 * statistics.median(
        r.error(None) for r in streaming
    )
