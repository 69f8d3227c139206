from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from config_explorer.catalogs.gpus import unregister_gpu
from config_explorer.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "llm_optimizer"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["gpus", "--json"],
        ["model", "llama-3.1-70b", "--json"],
        ["estimate", "--model", "Qwen/Qwen3-8B", "--gpu", "H100", "--workload", "chat", "--json"],
        [
            "estimate",
            "--model",
            "Qwen/Qwen3-8B",
            "--gpu",
            "H100",
            "--workload",
            "chat",
            "--sweep",
            "--json",
            "--max-itl-ms",
            "15",
        ],
        [
            "recommend",
            "--model",
            "Qwen/Qwen3-8B",
            "--gpus",
            "H100",
            "L40S",
            "--workload",
            "chat",
            "--max-gpus",
            "2",
            "--json",
        ],
        [
            "serve-command",
            "--model",
            "llama-3.1-70b",
            "--gpu",
            "H100",
            "--num-gpus",
            "4",
            "--workload",
            "rag",
            "--json",
        ],
        ["parse", str(FIXTURES / "qwen3_4b_4xl40_bf16.txt"), "--json"],
        ["backends", "--json"],
    ],
)
def test_every_subcommand_prints_one_json_document(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(argv, capsys)
    assert code == 0
    json.loads(out)  # exactly one document: json.loads rejects trailing data


def test_model_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["model", "openai/gpt-oss-120b", "--json"], capsys)
    doc = json.loads(out)
    for key in (
        "model_id",
        "architecture",
        "num_layers",
        "hidden_size",
        "num_attention_heads",
        "num_kv_heads",
        "total_params",
        "active_params",
        "native_precision",
        "weight_bytes",
        "kv_cache_bytes_per_token",
    ):
        assert key in doc
    assert doc["native_precision"] == "mxfp4"


def test_estimate_json_keys_are_record_fields(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        [
            "estimate",
            "--model",
            "Qwen/Qwen3-8B",
            "--gpu",
            "H100",
            "--input-len",
            "100",
            "--output-len",
            "50",
            "--concurrency",
            "4",
            "--backend",
            "native",
            "--json",
        ],
        capsys,
    )
    doc = json.loads(out)
    assert {
        "ttft_ms",
        "itl_ms",
        "e2e_latency_s",
        "output_throughput_tok_s",
        "memory_weights_gib",
        "fits",
    } <= set(doc)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            [
                "estimate",
                "--model",
                "Qwen/Qwen3-8B",
                "--gpu",
                "H1000",
                "--input-len",
                "1",
                "--output-len",
                "1",
            ],
            "unknown GPU",
        ),
        (
            ["estimate", "--model", "nobody/none", "--gpu", "H100", "--input-len", "1", "--output-len", "1"],
            "unknown model",
        ),
        (
            [
                "estimate",
                "--model",
                "Qwen/Qwen3-8B",
                "--gpu",
                "H100",
                "--input-len",
                "0",
                "--output-len",
                "1",
            ],
            "input_length",
        ),
        (
            [
                "estimate",
                "--model",
                "Qwen/Qwen3-8B",
                "--gpu",
                "H100",
                "--num-gpus",
                "8",
                "--tp",
                "3",
                "--input-len",
                "1",
                "--output-len",
                "1",
            ],
            "valid tp",
        ),
        (["recommend", "--model", "Qwen/Qwen3-8B", "--workload", "nap"], "unknown workload"),
        (["recommend", "--model", "Qwen/Qwen3-8B", "--workload", "chat", "--gpu-cost", "H100"], "NAME=USD"),
        (["parse", "/no/such/file"], "cannot read"),
    ],
)
def test_errors_are_one_line_on_stderr(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_an_unavailable_backend_is_one_line_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # whatever is installed here, `import llm_optimizer` fails (a None entry in sys.modules blocks it)
    for name in [m for m in sys.modules if m == "llm_optimizer" or m.startswith("llm_optimizer.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "llm_optimizer", None)
    argv = ["estimate", "--model", "Qwen/Qwen3-8B", "--gpu", "H100", "--workload", "chat"]
    code, out, err = run([*argv, "--backend", "llm-optimizer"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "llm-optimizer is not installed" in err and "Traceback" not in err


def test_recommend_writes_csv_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_csv, out_json = tmp_path / "c.csv", tmp_path / "r.json"
    code, out, _ = run(
        [
            "recommend",
            "--model",
            "Qwen/Qwen3-8B",
            "--model",
            "microsoft/phi-2",
            "--gpus",
            "H100",
            "L4",
            "--workload",
            "chat",
            "--max-gpus",
            "2",
            "--csv",
            str(out_csv),
            "--output-json",
            str(out_json),
            "--gpu-cost",
            "L4=0.5",
            "--quiet",
        ],
        capsys,
    )
    assert code == 0 and "Best GPU per model" in out
    rows = list(csv.DictReader(out_csv.open()))
    assert {r["model_id"] for r in rows} == {"Qwen/Qwen3-8B", "microsoft/phi-2"}
    assert len(json.loads(out_json.read_text())["results"]) == 2


@pytest.mark.parametrize(
    ("option", "gpus"),
    [
        ("--gpus", ["H100,L4"]),
        ("--gpus", ["H100", "L4"]),
        ("--gpus", ["H100,", "L4"]),
        ("--gpu", ["H100", "L4"]),
    ],
)
def test_recommend_takes_gpu_names_apart_or_comma_separated(
    option: str, gpus: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--gpu`` (as ``estimate`` spells it) is the same option as ``--gpus``, not an ambiguous prefix."""
    out_json = tmp_path / "r.json"
    argv = ["recommend", "--model", "microsoft/phi-2", option, *gpus, "--workload", "chat"]
    code, _, _ = run([*argv, "--max-gpus", "1", "--output-json", str(out_json), "--quiet"], capsys)
    assert code == 0
    result = json.loads(out_json.read_text())
    assert {row["gpu"] for row in [*result["ranked"], *result["rejected"]]} == {"H100 SXM", "L4"}


def test_recommend_rejects_gpus_of_commas_alone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["recommend", "--model", "microsoft/phi-2", "--gpus", ","], capsys)
    assert code == 2 and out == ""
    assert "--gpus needs at least one GPU name, got ','" in err


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="plot extra not installed")
def test_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "f.png"
    code, _, _ = run(
        [
            "recommend",
            "--model",
            "Qwen/Qwen3-8B",
            "--gpus",
            "H100",
            "L40S",
            "--workload",
            "chat",
            "--max-gpus",
            "2",
            "--plot",
            str(png),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0 and png.stat().st_size > 1000


def test_python_dash_m_is_the_same_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "config_explorer", "gpus", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and len(json.loads(proc.stdout)) >= 20


def test_custom_gpu_from_a_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "mygpu.toml"
    spec.write_text(
        'name = "Lab GPU 96"\nmemory_gib = 96\nmemory_bandwidth_tb_s = 4.0\naliases = ["lab96"]\nfamily = "hopper"\n'
        '[tflops]\nbf16 = 900\nfp8 = 1800\n[interconnect]\nkind = "NVLink 4"\nbandwidth_gb_s = 900\n'
    )
    code, out, _ = run(
        [
            "estimate",
            "--model",
            "Qwen/Qwen3-8B",
            "--gpu",
            "lab96",
            "--gpu-spec",
            str(spec),
            "--workload",
            "chat",
            "--backend",
            "native",
            "--json",
        ],
        capsys,
    )
    unregister_gpu("Lab GPU 96")
    assert code == 0 and json.loads(out)["gpu"] == "Lab GPU 96"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nmemory_gib = -1\n')
    code, _, err = run(["gpus", "--gpu-spec", str(bad)], capsys)
    assert code == 2 and "lacks required field" in err
