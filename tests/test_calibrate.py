"""Calibration from measured points: the fit recovers factors the engine's own points were scaled by,
clamps at the physical bounds, keeps what the points cannot identify at its prior, and round-trips."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest

from config_explorer.bench_results import MeasuredPoint
from config_explorer.calibrate import (
    PROFILE_SCHEMA,
    PROFILE_SCHEMA_VERSION,
    CalibrationFit,
    estimate_point,
    fit_calibration,
    fit_points,
    load_profile,
    profile_to_json,
    validate_points,
    write_profile,
)
from config_explorer.cli import main
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.user_calibration import CalibrationProfile, apply_calibration, rescale
from config_explorer.errors import InvalidArgumentError, ParseError
from config_explorer.recommender import estimate_performance, estimate_performance_batch, recommend_gpus

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
GPU = "H100 SXM"
LAYOUT = {"model": MODEL, "gpu": GPU, "num_gpus": 1, "tp": 1}
FIXTURES = Path(__file__).parent / "fixtures" / "bench_results"
#: low-load points at four prompt lengths (TTFT spreads 10x: the front-end time is identifiable) and loaded ones
WORKLOADS = ((256, 128, 1), (1024, 128, 1), (4096, 128, 1), (8192, 128, 1), (1024, 256, 8), (1024, 256, 32))


def _blank(isl: int, osl: int, c: int, index: int = 0) -> MeasuredPoint:
    return MeasuredPoint(
        source_file="synthetic.json",
        format="vllm",
        index=index,
        input_length=isl,
        output_length=osl,
        arrival="closed_loop",
        concurrency=c,
    )


def synthetic(
    d: float,
    p: float,
    f: float,
    workloads: Sequence[tuple[int, int, int]] = WORKLOADS,
    *,
    ttft: bool = True,
    s: float = 0.0,
) -> tuple[list[MeasuredPoint], list[PerformanceEstimate]]:
    """Points 'measured' as the engine's own estimate rescaled by known factors, and the estimates."""
    points, records = [], []
    for i, (isl, osl, c) in enumerate(workloads):
        record = estimate_point(_blank(isl, osl, c, i), **LAYOUT)
        truth = rescale(record, d, p, f, s)
        assert truth.e2e_latency_s is not None
        points.append(
            attrs.evolve(
                _blank(isl, osl, c, i),
                ttft_ms_mean=truth.ttft_ms if ttft else None,
                itl_ms_mean=truth.itl_ms,
                tpot_ms_mean=truth.tpot_ms,
                e2e_ms_mean=truth.e2e_latency_s * 1000,
                output_throughput_tok_s=truth.output_throughput_tok_s,
            )
        )
        records.append(record)
    return points, records


def fit(points: list[MeasuredPoint], records: list[PerformanceEstimate]) -> CalibrationFit:
    fields = {"model_id": records[0].model_id, "gpu": records[0].gpu, "num_gpus": 1, "tp": 1}
    return fit_points(points, records, profile_fields=fields)


def factor(result: CalibrationFit, name: str) -> float:
    return next(f.value for f in result.factors if f.name == name)


def test_the_fit_recovers_known_factors() -> None:
    result = fit(*synthetic(1.4, 0.8, 30.0))
    assert factor(result, "decode_factor") == pytest.approx(1.4, rel=0.01)
    assert factor(result, "prefill_factor") == pytest.approx(0.8, rel=0.03)
    assert factor(result, "frontend_ms") == pytest.approx(30.0, abs=2.0)
    assert all(f.identified and not f.clamped for f in result.factors)
    assert result.median_error("after") == pytest.approx(0.0, abs=0.005)
    assert result.median_error("before") > 0.1
    loo = result.median_error("loo")
    assert loo is not None and loo < 0.02  # exact factors: leaving a point out changes nothing much
    assert all(f.uncertainty is not None and f.uncertainty < 0.05 * max(f.value, 10) for f in result.factors)


def test_a_fit_that_would_leave_the_bounds_is_clamped_and_reported() -> None:
    result = fit(*synthetic(5.0, 1.0, 0.0, WORKLOADS[:3]))
    decode = next(f for f in result.factors if f.name == "decode_factor")
    assert decode.value == pytest.approx(3.0) and decode.clamped
    assert any("decode_factor" in w and "clamped" in w for w in result.warnings)


def test_factors_the_points_cannot_identify_stay_at_their_prior() -> None:
    result = fit(*synthetic(1.2, 1.0, 0.0, WORKLOADS[4:], ttft=False))
    by_name = {f.name: f for f in result.factors}
    assert by_name["decode_factor"].identified
    assert by_name["decode_factor"].value == pytest.approx(1.2, rel=0.01)
    frontend = by_name["frontend_ms"]
    assert not frontend.identified and frontend.value == 0.0 and frontend.uncertainty is None
    assert any(w.startswith("frontend_ms kept at its prior 0") for w in result.warnings)
    # without a TTFT a slow prefill cannot be told from a slow decode: the prefill factor follows the decode's
    prefill = by_name["prefill_factor"]
    assert not prefill.identified and prefill.uncertainty is None
    assert prefill.value == pytest.approx(by_name["decode_factor"].value)
    assert "no TTFT was measured" in prefill.note and "follows the decode factor" in prefill.note
    assert any(w.startswith("prefill_factor set to the decode factor") for w in result.warnings)


def test_throughput_alone_scales_the_whole_engine() -> None:
    """An offline run measures only throughput: its error is read as the engine's speed, prefill included."""
    workloads = ((2000, 100, 64), (4000, 200, 64))
    points, records = [], []
    for i, (isl, osl, c) in enumerate(workloads):
        record = estimate_point(_blank(isl, osl, c, i), **LAYOUT)
        truth = rescale(record, 1.5, 1.5, 0.0)
        assert truth.output_throughput_tok_s is not None
        points.append(
            attrs.evolve(_blank(isl, osl, c, i), output_throughput_tok_s=truth.output_throughput_tok_s)
        )
        records.append(record)
    result = fit(points, records)
    assert factor(result, "decode_factor") == pytest.approx(1.5, rel=0.02)
    assert factor(result, "prefill_factor") == pytest.approx(1.5, rel=0.02)
    assert result.median_error("after") == pytest.approx(0.0, abs=0.01)


ONE_LENGTH = ((1024, 64, 1), (1024, 128, 1), (1024, 256, 1))


def test_one_prompt_length_reads_the_ttft_residual_as_a_front_end_time() -> None:
    points, records = synthetic(1.0, 1.0, 40.0, ONE_LENGTH)
    result = fit(points, records)
    by_name = {f.name: f for f in result.factors}
    assert by_name["frontend_ms"].identified
    assert by_name["frontend_ms"].value == pytest.approx(40.0, abs=1.0)
    assert not by_name["prefill_factor"].identified and by_name["prefill_factor"].value == 1.0
    assert "estimated TTFT differ" in by_name["prefill_factor"].note
    assert result.median_error("after", "ttft_ms") == pytest.approx(0.0, abs=0.01)


def test_an_overstated_ttft_is_fitted_as_a_scale_not_a_negative_front_end() -> None:
    result = fit(*synthetic(1.0, 0.7, 0.0, ONE_LENGTH))
    by_name = {f.name: f for f in result.factors}
    assert by_name["prefill_factor"].identified
    assert by_name["prefill_factor"].value == pytest.approx(0.7, rel=0.02)
    assert not by_name["frontend_ms"].identified and by_name["frontend_ms"].value == 0.0
    assert "cannot be negative" in by_name["frontend_ms"].note


def test_a_per_sequence_decode_time_is_recovered_from_a_concurrency_sweep() -> None:
    result = fit(*synthetic(1.1, 1.0, 0.0, s=0.05))
    assert factor(result, "decode_ms_per_seq") == pytest.approx(0.05, rel=0.05)
    assert factor(result, "decode_factor") == pytest.approx(1.1, rel=0.02)
    assert result.median_error("after", "itl_ms") == pytest.approx(0.0, abs=0.005)


def test_one_load_cannot_identify_a_per_sequence_time() -> None:
    result = fit(*synthetic(1.3, 1.0, 0.0, ONE_LENGTH))
    per_seq = next(f for f in result.factors if f.name == "decode_ms_per_seq")
    assert not per_seq.identified and per_seq.value == 0.0 and "batches" in per_seq.note
    assert factor(result, "decode_factor") == pytest.approx(1.3, rel=0.01)


def test_a_version_1_profile_still_loads(tmp_path: Path) -> None:
    doc = profile_to_json(fit(*synthetic(1.2, 1.0, 10.0)))
    doc["schema_version"] = 1
    del doc["factors"]["decode_ms_per_seq"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    profile = load_profile(path)
    assert profile.decode_ms_per_seq == 0.0 and profile.decode_factor == pytest.approx(1.2, rel=0.02)


def test_contradictory_points_are_reported() -> None:
    points, records = synthetic(1.0, 1.0, 0.0, ((1024, 128, 1), (1024, 128, 1)))
    points[1] = attrs.evolve(points[1], itl_ms_mean=(points[1].itl_ms_mean or 1) * 3)
    result = fit(points, records)
    assert any("contradictory points" in w and "itl_ms" in w for w in result.warnings)


def test_no_points_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgumentError, match="at least one measured point"):
        fit_points([], [], profile_fields={})


# -- applying a profile -----------------------------------------------------------------------------
def test_round_trip_validate_on_the_fitted_points_shows_no_error(tmp_path: Path) -> None:
    points, records = synthetic(1.3, 0.9, 20.0)
    result = fit(points, records)
    path = write_profile(result, tmp_path / "profile.json")
    profile = load_profile(path)
    rows = validate_points(points, **LAYOUT, calibration=profile)
    assert rows and max(abs(r.error_after) for r in rows) < 0.01
    assert max(abs(r.error_before) for r in rows) > 0.1


def test_the_profile_document_is_versioned_and_records_its_inputs(tmp_path: Path) -> None:
    result = fit_calibration(
        [FIXTURES / "sglang_bench_serving.jsonl", FIXTURES / "vllm_bench_serve.json"], **LAYOUT
    )
    doc = profile_to_json(result)
    assert doc["schema"] == PROFILE_SCHEMA and doc["schema_version"] == PROFILE_SCHEMA_VERSION
    assert (doc["model"], doc["gpu"], doc["num_gpus"], doc["tp"], doc["engine"]) == (MODEL, GPU, 1, 1, "vllm")
    assert set(doc["factors"]) == {"decode_factor", "prefill_factor", "frontend_ms", "decode_ms_per_seq"}
    for entry in doc["factors"].values():
        assert {"value", "uncertainty", "prior", "bounds", "identified", "clamped", "note"} <= set(entry)
    assert [i["file"] for i in doc["inputs"]] == ["sglang_bench_serving.jsonl", "vllm_bench_serve.json"]
    assert all(len(i["sha256"]) == 64 for i in doc["inputs"])
    assert {"median_abs_error_before", "median_abs_error_after", "median_abs_error_leave_one_out"} <= set(
        doc["fit"]
    )
    json.dumps(doc)  # plain JSON


def test_a_profile_of_an_unknown_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"schema": PROFILE_SCHEMA, "schema_version": 99}))
    with pytest.raises(ParseError, match="schema_version"):
        load_profile(path)
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ParseError, match="not a config-explorer calibration profile"):
        load_profile(path)


def test_estimate_performance_takes_a_calibration() -> None:
    profile = CalibrationProfile(
        model_id=MODEL, gpu=GPU, num_gpus=1, tp=1, decode_factor=1.5, frontend_ms=10.0
    )
    plain = estimate_performance(MODEL, GPU, 1, 1, input_length=1024, output_length=128, concurrency=4)
    tuned = estimate_performance(
        MODEL, GPU, 1, 1, input_length=1024, output_length=128, concurrency=4, calibration=profile
    )
    assert (
        plain.itl_ms is not None and plain.ttft_ms is not None and plain.output_throughput_tok_s is not None
    )
    assert tuned.itl_ms == pytest.approx(1.5 * plain.itl_ms)
    assert tuned.ttft_ms == pytest.approx(plain.ttft_ms + 10.0)
    assert (
        tuned.output_throughput_tok_s is not None
        and tuned.output_throughput_tok_s < plain.output_throughput_tok_s
    )
    # Little's law holds after rescaling: throughput x E2E = requests in flight x output tokens
    assert tuned.e2e_latency_s is not None and plain.e2e_latency_s is not None
    assert tuned.output_throughput_tok_s * tuned.e2e_latency_s == pytest.approx(
        plain.output_throughput_tok_s * plain.e2e_latency_s
    )
    assert any(w.startswith("calibrated") for w in tuned.warnings)


def test_a_profile_applies_only_to_its_gpu_type() -> None:
    profile = CalibrationProfile(model_id=MODEL, gpu=GPU, num_gpus=1, tp=1, decode_factor=2.0)
    plain = estimate_performance(MODEL, "A100", 1, 1, input_length=512, output_length=64)
    other = apply_calibration(plain, profile)
    assert other.itl_ms == plain.itl_ms
    assert any("calibration not applied" in w and GPU in w for w in other.warnings)


def test_batch_and_recommend_apply_each_gpu_types_profile() -> None:
    slow_h100 = CalibrationProfile(model_id=MODEL, gpu=GPU, num_gpus=1, tp=1, decode_factor=2.0)
    plain, tuned = (
        estimate_performance_batch(MODEL, [("H100", 1), ("A100", 1)], calibration=cal)
        for cal in (None, slow_h100)
    )
    assert tuned[0].itl_ms == pytest.approx(2.0 * (plain[0].itl_ms or 0))
    assert tuned[1].itl_ms == plain[1].itl_ms and "calibration not applied" in tuned[1].warnings[-1]
    # the screen, the sweep and the judge all see the calibrated H100: it now serves fewer tokens per GPU
    before, after = (
        recommend_gpus(MODEL, 512, 256, gpus=["H100"], num_gpus=1, calibration=cal)
        for cal in (None, slow_h100)
    )
    assert before.ranked[0].estimate is not None and after.ranked[0].estimate is not None
    assert any(w.startswith("calibrated") for w in after.ranked[0].estimate.warnings)
    assert (after.ranked[0].estimate.itl_ms or 0) > (before.ranked[0].estimate.itl_ms or 0)


def test_out_of_range_factors_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"decode_factor must be a number in \[0.3, 3\]"):
        CalibrationProfile(model_id=MODEL, gpu=GPU, num_gpus=1, tp=1, decode_factor=7.0)
    with pytest.raises(InvalidArgumentError, match="calibration must be a CalibrationProfile"):
        estimate_performance(MODEL, GPU, calibration="profile.json")  # type: ignore[arg-type]


# -- CLI --------------------------------------------------------------------------------------------
def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


LAYOUT_ARGS = ["--model", MODEL, "--gpu", "H100", "--num-gpus", "1", "--tp", "1"]


def test_cli_calibrate_validate_and_estimate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "h100.json"
    files = [str(FIXTURES / "sglang_bench_serving.jsonl"), str(FIXTURES / "vllm_bench_serve.json")]
    code, out, err = _cli(["calibrate", *LAYOUT_ARGS, *files, "-o", str(profile)], capsys)
    assert code == 0, err
    assert "decode_factor" in out and "leave-one-out" in out and "median |error|" in out
    assert json.loads(profile.read_text())["schema"] == PROFILE_SCHEMA

    code, out, err = _cli(["validate", *LAYOUT_ARGS, *files, "--calibration", str(profile), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["calibrated"] is True and doc["points"]
    assert {"point", "metric", "measured", "estimated", "error", "uncalibrated_error"} <= set(
        doc["points"][0]
    )

    code, out, err = _cli(["validate", *LAYOUT_ARGS, files[0]], capsys)
    assert code == 0 and "ttft_ms" in out and "uncalibrated" not in out

    code, out, err = _cli(
        ["estimate", "--model", MODEL, "--gpu", "H100", "--workload", "chat", "--calibration", str(profile)],
        capsys,
    )
    assert code == 0, err
    assert "calibrated (decode x" in out

    code, out, err = _cli(
        [
            "estimate",
            "--model",
            MODEL,
            "--gpu",
            "H100",
            "--workload",
            "chat",
            "--sweep",
            "--calibration",
            str(profile),
        ],
        capsys,
    )
    assert code == 0, err

    serve = [
        "serve-command",
        "--model",
        MODEL,
        "--gpu",
        "H100",
        "--workload",
        "chat",
        "--calibration",
        str(profile),
    ]
    code, out, err = _cli(serve, capsys)
    assert code == 0 and "vllm serve" in out, err


def test_cli_bad_result_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"password": "swordfish"}')
    code, _, err = _cli(["calibrate", *LAYOUT_ARGS, str(bad)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "notes.json" in err and "swordfish" not in err


def test_cli_plots_measured_against_estimated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "fit.png"
    files = [str(FIXTURES / "sglang_bench_serving.jsonl"), str(FIXTURES / "guidellm_report.json")]
    code, out, err = _cli(["calibrate", *LAYOUT_ARGS, *files, "--plot", str(plot)], capsys)
    assert code == 0, err
    assert "plot written to" in out
    assert plot.read_bytes().startswith(b"\x89PNG")
    code, _, err = _cli(["validate", *LAYOUT_ARGS, *files, "--plot", str(tmp_path / "v.svg")], capsys)
    assert code == 0, err
    assert (tmp_path / "v.svg").read_text().lstrip().startswith("<?xml")


def test_cli_reads_the_setup_from_a_sidecar_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The layout comes from the flags, ``--setup FILE.toml`` or a ``RESULT.toml`` beside the result;
    flags win; sidecars that disagree, unknown keys, wrong types and a missing layout are named."""
    result = tmp_path / "run.json"
    result.write_text((FIXTURES / "vllm_bench_serve.json").read_text())
    setup = f'model = "{MODEL}"\ngpu = "H100"\nnum_gpus = 1\ntp = 1\n'
    (tmp_path / "run.toml").write_text(setup)
    code, out, err = _cli(["validate", str(result), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["points"]
    # a flag wins over the file: an unknown GPU given on the command line is what fails
    code, _, err = _cli(["validate", str(result), "--gpu", "no-such-gpu"], capsys)
    assert code == 2 and "no-such-gpu" in err

    other = tmp_path / "other.json"
    other.write_text(result.read_text())
    (tmp_path / "other.toml").write_text(
        setup.replace("num_gpus = 1", "num_gpus = 2").replace("tp = 1", "tp = 2")
    )
    code, _, err = _cli(["validate", str(result), str(other)], capsys)
    assert code == 2 and "disagree on num_gpus" in err and "--num-gpus" in err

    explicit = tmp_path / "setup.toml"
    explicit.write_text(setup + 'color = "blue"\n')
    code, _, err = _cli(
        ["calibrate", "--setup", str(explicit), str(FIXTURES / "sglang_bench_serving.jsonl")], capsys
    )
    assert code == 2 and "unknown setup key(s) color" in err and "accepted: model" in err
    explicit.write_text(setup.replace("tp = 1", 'tp = "one"'))
    code, _, err = _cli(
        ["calibrate", "--setup", str(explicit), str(FIXTURES / "sglang_bench_serving.jsonl")], capsys
    )
    assert code == 2 and "'tp' must be an integer" in err and '"one"' not in err
    explicit.write_text("model = [unclosed\n")
    code, _, err = _cli(
        ["calibrate", "--setup", str(explicit), str(FIXTURES / "sglang_bench_serving.jsonl")], capsys
    )
    assert code == 2 and "not valid TOML" in err and "unclosed" not in err
    code, _, err = _cli(["calibrate", "--model", MODEL, str(FIXTURES / "sglang_bench_serving.jsonl")], capsys)
    assert code == 2 and "--gpu, --num-gpus, --tp" in err and "RESULT.toml" in err


def test_the_median_gap_measures_the_decode_step() -> None:
    """A mean ITL carries the stalls of prompts prefilled in between; the median gap is the decode step."""
    points, records = synthetic(1.3, 1.0, 0.0, WORKLOADS[4:])
    with_median = []
    for point, record in zip(points, records, strict=True):
        assert record.itl_p50_ms is not None and point.itl_ms_mean is not None
        # the steps are 1.3x slower, but the run's stalls were shorter than estimated: a lower mean
        with_median.append(
            attrs.evolve(point, itl_ms_median=1.3 * record.itl_p50_ms, itl_ms_mean=0.8 * point.itl_ms_mean)
        )
    assert factor(fit(with_median, records), "decode_factor") == pytest.approx(1.3, rel=0.02)
