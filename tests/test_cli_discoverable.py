"""A new user finds their way: the bundled models and GPUs are listed and filtered, every ``--help``
states defaults and choices and ends with examples that run."""

from __future__ import annotations

import json
import shlex

import pytest

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import list_gpus
from config_explorer.catalogs.models import bundled_models
from config_explorer.cli import _EXAMPLES, build_parser, main
from config_explorer.recommender.recommend import METRICS
from config_explorer.recommender.workloads import WORKLOADS

SUBCOMMANDS = [name for name in _EXAMPLES if name]
#: examples cheap enough to run here (recommend over the whole catalog is exercised elsewhere)
RUNNABLE = ("gpus", "models", "model", "estimate", "serve-command", "backends", "compare-backends")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- models ------------------------------------------------------------------------------------------
def test_models_lists_every_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["models"], capsys)
    assert code == 0
    for entry in bundled_models():
        assert entry.model_id in out
    header = out.splitlines()[0].split()
    assert header == ["model", "family", "params", "active", "precision", "context"]
    assert f"{len(bundled_models())} bundled model(s)" in out


def test_models_json_has_the_facts_a_planner_needs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["models", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["model_id"] for r in rows] == [e.model_id for e in bundled_models()]
    by_id = {r["model_id"]: r for r in rows}
    oss = by_id["openai/gpt-oss-120b"]
    assert oss["family"] == "gpt_oss" and oss["native_precision"] == "mxfp4" and oss["moe"] is True
    assert oss["context_length"] == 131072
    assert 110e9 < oss["total_params"] < 125e9 and 4e9 < oss["active_params"] < 6e9  # 117B total, 5.1B active
    dense = by_id["meta-llama/Llama-3.3-70B-Instruct"]
    assert dense["active_params"] is None and dense["moe"] is False  # active only for MoE
    for row in rows:
        arch = load_model(row["model_id"])
        assert row["total_params"] == arch.total_params
        assert row["context_length"] == arch.max_position_embeddings


@pytest.mark.parametrize("text", ["qwen3", "QWEN3", " Qwen3 "])
def test_models_filter_by_substring_in_any_case(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["models", text, "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert rows and all("qwen3" in r["model_id"].lower() or "qwen3" in r["family"] for r in rows)
    ids = {r["model_id"] for r in rows}
    assert {"Qwen/Qwen3-8B", "RedHatAI/Qwen3-8B-FP8-dynamic", "Qwen/Qwen3-Next-80B-A3B-Instruct"} <= ids
    assert "meta-llama/Llama-3.1-8B" not in ids and "Qwen/Qwen2.5-7B" not in ids


def test_models_filter_matches_the_family_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["models", "mixtral", "--json"], capsys)
    assert code == 0
    ids = {r["model_id"] for r in json.loads(out)}
    assert (
        "hugging-quants/Mixtral-8x7B-Instruct-v0.1-AWQ-INT4" in ids and "mistralai/Mixtral-8x22B-v0.1" in ids
    )
    code, out, _ = run(["models", "granitemoe"], capsys)  # a family name that no id contains
    assert code == 0 and "ibm-granite/granite-4.0-h-small" in out


def test_a_filter_that_matches_nothing_names_it_and_what_exists(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["models", "gpt-5"], capsys)
    assert code == 2 and not out
    assert err.count("\n") == 1 and "'gpt-5'" in err and "accepted:" in err and "llama" in err


# -- gpus --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["h100", "H100", "h100 "])
def test_gpus_filter_by_substring_in_any_case(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["gpus", text, "--json"], capsys)
    assert code == 0
    names = {spec["name"] for spec in json.loads(out)}
    assert {"H100 SXM", "H100 PCIe", "H100 NVL"} <= names
    assert "A100 SXM 80GB" not in names and "H200 SXM" not in names


def test_gpus_filter_matches_vendor_and_aliases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["gpus", "amd", "--json"], capsys)
    assert code == 0
    names = {spec["name"] for spec in json.loads(out)}
    assert names == {s.name for s in list_gpus() if s.vendor.lower() == "amd"} and names
    code, out, _ = run(["gpus", "instinct"], capsys)  # only in the aliases
    assert code == 0 and "MI300X" in out and "H100" not in out


def test_gpus_without_a_filter_lists_the_whole_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["gpus", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) == len(list_gpus())


def test_a_gpu_filter_that_matches_nothing_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["gpus", "tpu"], capsys)
    assert code == 2 and "'tpu'" in err and "H100 SXM" in err


# -- --help ------------------------------------------------------------------------------------------
def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = run([*argv, "--help"], capsys)
    assert code == 0
    return out


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_every_help_ends_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([command] if command else [], capsys)
    examples = text.split("examples:\n", 1)[1].splitlines()
    lines = [line.strip() for line in examples if line.startswith("  ")]
    assert 1 <= len(lines) <= 3
    assert all("config-explorer " in line for line in lines)


def test_every_subcommand_is_in_the_examples_table() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices or ()) == set(SUBCOMMANDS)


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (
            "estimate",
            ["--num-gpus NUM_GPUS", "(default: 1)", "--pp PP", "(default: mean)", "{simulated,analytic}"],
        ),
        (
            "recommend",
            [
                "(default: 8 per layout; 64 in all for a target load)",
                "(default: 10)",
                "rows to print per model",
            ],
        ),
        ("serve-command", ["(default: 32)", "(default: vllm)", "(default: 1)"]),
        ("backends", ["(default: meta-llama/Llama-3.1-8B-Instruct)", "(default: H100)"]),
        ("compare-backends", ["(default: native)", "(default: llm-optimizer)"]),
    ],
)
def test_help_states_defaults(command: str, shown: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    text = "".join(_help([command], capsys).split())  # argparse wraps lines where it likes, even at a dash
    for piece in shown:
        assert "".join(piece.split()) in text, piece


def test_help_lists_the_accepted_values(capsys: pytest.CaptureFixture[str]) -> None:
    """Fixed sets are listed; those with aliases (engine spellings, metric aliases) are listed in the text."""
    text = " ".join(_help(["recommend"], capsys).split())
    for name in WORKLOADS:
        assert name in text
    for metric in METRICS:
        assert metric in text, metric
    for engine in ("vllm", "sglang", "trtllm"):
        assert engine in text
    for stat in ("mean", "p50", "p95", "p99"):
        assert stat in text
    text = " ".join(_help(["serve-command"], capsys).split())
    assert "vllm serve" in text and "sglang.launch_server" in text and "trtllm-serve" in text


def test_no_option_says_default_none(capsys: pytest.CaptureFixture[str]) -> None:
    for command in SUBCOMMANDS:
        text = _help([command], capsys)
        assert "default: None" not in text and "default: False" not in text, command


def _examples() -> list[tuple[str, str]]:
    return [(name or "config-explorer", line) for name, lines in _EXAMPLES.items() for line in lines]


@pytest.mark.parametrize(
    ("where", "line"), _examples(), ids=[f"{w}:{i}" for i, (w, _) in enumerate(_examples())]
)
def test_every_example_parses(where: str, line: str) -> None:
    words = shlex.split(line)
    if words[0] != "config-explorer":  # a pipe into the command: the part after it
        words = shlex.split(line.split("|", 1)[1])
    args = build_parser().parse_args(words[1:])
    assert args.command in SUBCOMMANDS


@pytest.mark.parametrize(
    "line",
    [line for name, lines in _EXAMPLES.items() if name in RUNNABLE for line in lines],
)
def test_the_cheap_examples_run(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(shlex.split(line)[1:], capsys)
    if "compare-backends" in line and code == 2:  # needs BentoML's llm-optimizer, which may be absent
        assert "llm-optimizer" in err
        return
    assert code == 0, err
    assert out.strip()
