"""Every file a user names: read bounded and without hanging, written whole or not at all, and every
failure one line on stderr that names the file and the problem, never the file's contents.

Each test is the regression test of one reproduction from the hardening issue.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import logging
import os
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config_explorer import _files
from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.backends.llm_optimizer_text import ParsedEstimate, parse_llm_optimizer_output
from config_explorer.catalogs import models
from config_explorer.catalogs.gpus import GPUSpec, load_gpu_file, unregister_gpu
from config_explorer.catalogs.models import find_bundled, resolve_config
from config_explorer.cli import main
from config_explorer.errors import (
    ConfigExplorerError,
    InvalidArgumentError,
    ModelLoadError,
    ParseError,
    UnknownModelError,
    UpstreamReportedError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "llm_optimizer"
SECRET = "HF_TOKEN=hf_secretAbCdEf0123456789"
posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev need POSIX")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(code: int, err: str) -> str:
    """The CLI's contract for our errors: exit 2, exactly one line on stderr, no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("config-explorer: error: ")
    return lines[0]


def qwen_config() -> dict[str, Any]:
    entry = find_bundled("Qwen/Qwen3-8B")
    assert entry is not None
    return dict(entry.config)


def gpu_spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "Test GPU 80",
        "memory_gib": 80,
        "memory_bandwidth_tb_s": 3.35,
        "tflops": {"bf16": 989},
        "interconnect": {"bandwidth_gb_s": 900, "kind": "nvlink"},
    }
    spec.update(changes)
    return spec


# ---------------------------------------------------------------------------------------------------
# Files that are not files: FIFOs, devices, folders, missing, too large
# ---------------------------------------------------------------------------------------------------


@posix_only
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize(
    "argv",
    [["parse", "{path}"], ["model", "{path}"], ["gpus", "--gpu-spec", "{path}"]],
)
def test_a_fifo_is_refused_without_opening_it(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)  # opening it would block forever: no writer ever comes
    line = one_error_line(*run([a.format(path=fifo) for a in argv], capsys)[::2])
    assert "named pipe (FIFO)" in line and str(fifo) in line


@posix_only
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize(
    "argv", [["parse", "/dev/zero"], ["model", "/dev/zero"], ["gpus", "--gpu-spec", "/dev/zero"]]
)
def test_a_device_is_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert "character device" in one_error_line(*run(argv, capsys)[::2])


def test_a_folder_and_a_missing_file_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "is a folder" in one_error_line(*run(["parse", str(tmp_path)], capsys)[::2])
    missing = tmp_path / "nope.txt"
    assert "no such file" in one_error_line(*run(["parse", str(missing)], capsys)[::2])
    assert "no such file" in one_error_line(*run(["gpus", "--gpu-spec", str(missing)], capsys)[::2])


def test_an_oversized_spec_is_refused_naming_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "config.json"
    big.write_bytes(b" " * (_files.SPEC_LIMIT_BYTES + 1))
    with pytest.raises(ModelLoadError, match="over the 8 MiB limit"):
        load_model(str(big))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc")
def test_the_size_cap_holds_for_files_that_report_size_zero() -> None:
    # /proc files say st_size 0; the cap must hold on what is read, not on what stat says.
    assert Path("/proc/self/status").stat().st_size == 0
    with pytest.raises(InvalidArgumentError, match="larger than the 100 bytes limit"):
        _files.read_text("/proc/self/status", what="report", limit_bytes=100)


# ---------------------------------------------------------------------------------------------------
# Contents that are not UTF-8 text, or not sane JSON
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"a": 1}'.encode("utf-16"), "UTF-16 text (byte-order mark)"),
        ('{"a": 1}'.encode("utf-16-le"), "looks like UTF-16"),
        ('{"a": 1}'.encode("utf-32"), "UTF-32"),
        (bytes(range(256)) * 4, "NUL bytes (line 1), so it is binary"),
        (b'{"a": "caf\xe9"}\n', "not UTF-8 text (invalid byte on line 1)"),
    ],
)
def test_text_that_is_not_utf8_is_named_for_what_it_is(
    data: bytes, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "spec.json"
    file.write_bytes(data)
    for argv in (["parse", str(file)], ["model", str(file)], ["gpus", "--gpu-spec", str(file)]):
        assert expected in one_error_line(*run(argv, capsys)[::2])


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_bytes(b"\xef\xbb\xbf" + json.dumps(qwen_config()).encode())
    assert load_model(str(file)).num_layers == 36


def test_deeply_nested_json_is_refused_before_json_recurses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "config.json"
    file.write_text("[" * 100_000)
    for argv in (["model", str(file)], ["gpus", "--gpu-spec", str(file)]):
        line = one_error_line(*run(argv, capsys)[::2])
        assert "deeper than 64 levels (line 1)" in line


def test_nesting_inside_strings_does_not_count(tmp_path: Path) -> None:
    file = tmp_path / "x.json"
    file.write_text(json.dumps({"note": "[" * 1000, "deep": [[[1]]]}))
    assert _files.read_json(file, what="spec")["deep"] == [[[1]]]


def test_deeply_nested_toml_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "gpu.toml"
    file.write_text("a = " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(InvalidArgumentError, match="deeper than 64 levels"):
        load_gpu_file(file)


def test_invalid_json_names_line_and_column_not_the_text(tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text('{\n  "a": 1,\n  ' + SECRET + "\n}")
    with pytest.raises(ModelLoadError) as caught:
        load_model(str(file))
    assert "not valid JSON" in str(caught.value) and "line 3" in str(caught.value)
    assert "hf_secret" not in str(caught.value)


# ---------------------------------------------------------------------------------------------------
# Messages never echo a file
# ---------------------------------------------------------------------------------------------------


def test_parse_never_prints_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secrets = tmp_path / "env"
    secrets.write_text(f"{SECRET}\nAWS_SECRET_ACCESS_KEY=abc123\n")
    line = one_error_line(*run(["parse", str(secrets)], capsys)[::2])
    assert "hf_secret" not in line and "AWS" not in line
    assert "line 1" in line and "no llm-optimizer estimate report" in line


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc")
def test_parse_of_proc_environ_prints_none_of_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_secretAbCdEf0123456789")
    line = one_error_line(*run(["parse", "/proc/self/environ"], capsys)[::2])
    assert "hf_secret" not in line and "binary" in line


def test_a_megabyte_field_is_quoted_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    huge = "x" * 1_000_000
    gpu = tmp_path / "gpu.json"
    gpu.write_text(json.dumps(gpu_spec(memory_gib=huge)))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**qwen_config(), "hidden_size": huge, "_name_or_path": huge}))
    for argv in (["gpus", "--gpu-spec", str(gpu)], ["model", str(config)]):
        line = one_error_line(*run(argv, capsys)[::2])
        assert len(line) < 400, line


def test_quote_caps_values() -> None:
    assert _files.quote("x" * 1000) == "'" + "x" * 38 + "…"
    assert _files.quote(10**5000).startswith("<int of")
    assert _files.quote("short") == "'short'"


# ---------------------------------------------------------------------------------------------------
# Wrong types inside files
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["form_factor", "architecture", "memory_type", "notes", "vendor"])
@pytest.mark.parametrize("value", [["SXM"], {"kind": "SXM"}])
def test_a_gpu_spec_field_of_the_wrong_type_is_named(
    field: str, value: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "gpu.json"
    file.write_text(json.dumps(gpu_spec(**{field: value})))
    try:
        line = one_error_line(*run(["gpus", "--gpu-spec", str(file)], capsys)[::2])
    finally:
        with contextlib.suppress(ConfigExplorerError):
            unregister_gpu("Test GPU 80")
    assert "gpu.json" in line and field in line


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("num_hidden_layers", 1_000_000_000),
        ("num_hidden_layers", -3),
        ("hidden_size", "4096"),
        ("hidden_size", [4096]),
        ("vocab_size", {"n": 1}),
        ("model_type", ["qwen3"]),
        ("tie_word_embeddings", "yes"),
        ("num_attention_heads", 1e400),
    ],
)
def test_an_absurd_config_value_is_named_with_the_file(
    field: str, value: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "weird-model"
    folder.mkdir()
    text = json.dumps({**qwen_config(), field: value})
    (folder / "config.json").write_text(text.replace("Infinity", "1e400"))
    line = one_error_line(*run(["model", str(folder)], capsys)[::2])
    assert "config.json" in line and field in line


def test_a_config_json_that_is_not_an_object(tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text("[1, 2, 3]")
    with pytest.raises(ModelLoadError, match="must hold a JSON object, got list"):
        load_model(str(file))


# ---------------------------------------------------------------------------------------------------
# The report parser: linear time, and upstream's Error lines
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "a" * 20_000,  # took 11-23 s before the label pattern went linear
        "x" * 30_000 + ":",
        "Input/Output: " + "1" * 20_000,
        "Model: 8.0B parameters " + "1" * 20_000,
        "TTFT " + "(" * 20_000 + ": 1",
        "GPU: " + "H100 x" * 4000,
    ],
)
def test_long_lines_parse(line: str) -> None:
    # Not timed (tests never time anything): benchmarks/parser_speed.py prints the timings.
    with contextlib.suppress(ParseError):
        parse_llm_optimizer_output(line)


def test_parse_of_a_20k_character_line_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "line.txt"
    file.write_text("a" * 20_000)
    assert "no llm-optimizer estimate report" in one_error_line(*run(["parse", str(file)], capsys)[::2])


def test_a_report_inside_a_long_log_is_found(tmp_path: Path) -> None:
    report = (FIXTURES / "qwen3_4b_4xl40_bf16.txt").read_text(encoding="utf-8")
    noise = "a\n" * 50_000 + ("INFO step took 16.8 ms: model loaded\n" * 2000)
    estimate = parse_llm_optimizer_output(noise + report + noise)
    assert (estimate.model, estimate.gpu, estimate.num_gpus) == ("Qwen/Qwen3-4B", "L40", 4)


@pytest.mark.parametrize(
    "message",
    ["FP8 precision not supported on A100", "CUDA out of memory"],
)
def test_an_upstream_error_report_exits_2_with_its_message(
    message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "report.txt"
    file.write_text(f"💡 Inferred precision from model config: bf16\nError: {message}\n", encoding="utf-8")
    line = one_error_line(*run(["parse", str(file)], capsys)[::2])
    assert line.endswith(f"(line 2): {message}")
    with pytest.raises(UpstreamReportedError) as caught:
        parse_llm_optimizer_output(file.read_text(encoding="utf-8"))
    assert caught.value.upstream_message == message


# ---------------------------------------------------------------------------------------------------
# parse - (standard input)
# ---------------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_parse_stdin_refuses_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal())
    assert "standard input is a terminal" in one_error_line(*run(["parse", "-"], capsys)[::2])


@posix_only
def test_parse_stdin_reads_a_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, (FIXTURES / "qwen3_4b_4xl40_bf16.txt").read_bytes())
    os.close(write_end)
    with open(read_end, encoding="utf-8") as stdin:  # noqa: PTH123 - a file descriptor, not a path
        monkeypatch.setattr(sys, "stdin", stdin)
        code, out, err = run(["parse", "-", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["model"] == "Qwen/Qwen3-4B"


@posix_only
def test_parse_stdin_gives_up_on_a_silent_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_files, "STDIN_IDLE_TIMEOUT_S", 0.2)
    read_end, write_end = os.pipe()  # the write end stays open: the pipe never closes
    try:
        with open(read_end, encoding="utf-8") as stdin:  # noqa: PTH123 - a file descriptor, not a path
            monkeypatch.setattr(sys, "stdin", stdin)
            line = one_error_line(*run(["parse", "-"], capsys)[::2])
    finally:
        os.close(write_end)
    assert "nothing arrived for 0.2 s" in line


def test_parse_stdin_upstream_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Error: FP8 precision not supported on A100\n"))
    line = one_error_line(*run(["parse", "-"], capsys)[::2])
    assert line.endswith("standard input (line 1): FP8 precision not supported on A100")


# ---------------------------------------------------------------------------------------------------
# Output files
# ---------------------------------------------------------------------------------------------------

RECOMMEND = [
    "recommend", "--model", "Qwen/Qwen3-8B", "--gpus", "H100", "--workload", "chat", "--no-estimate", "--quiet",
]  # fmt: skip


@pytest.mark.parametrize("flag", ["--output-json", "--csv", "--plot"])
def test_an_output_path_that_is_a_folder(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_error_line(*run([*RECOMMEND, flag, str(tmp_path)], capsys)[::2])
    assert "it is a folder" in line


def test_an_output_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "sub" / "dir" / "x.csv"
    line = one_error_line(*run([*RECOMMEND, "--csv", str(target)], capsys)[::2])
    assert f"the folder '{target.parent}' does not exist" in line


@posix_only
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_an_output_to_a_device_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error_line(*run([*RECOMMEND, "--csv", "/dev/full"], capsys)[::2])
    assert "character device, not a regular file" in line


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_output_in_a_read_only_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = one_error_line(*run([*RECOMMEND, "--csv", str(folder / "x.csv")], capsys)[::2])
    finally:
        folder.chmod(0o755)
    assert "permission denied" in line


def test_a_full_disk_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "r.json"
    target.write_text("previous run\n")

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    line = one_error_line(*run([*RECOMMEND, "--output-json", str(target)], capsys)[::2])
    assert "no space left on the device" in line
    assert target.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_a_failing_writer_leaves_nothing_half_written(tmp_path: Path) -> None:
    target = tmp_path / "plot.png"

    def half(temporary: Path) -> None:
        temporary.write_bytes(b"half a pic")
        raise RuntimeError("the plotting library died")

    with pytest.raises(RuntimeError):
        _files.write_with(target, half, what="the plot")
    assert list(tmp_path.iterdir()) == []


def test_outputs_are_written_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json, out_csv = tmp_path / "r.json", tmp_path / "r.csv"
    out_json.write_text("stale")
    code, _out, err = run([*RECOMMEND, "--output-json", str(out_json), "--csv", str(out_csv)], capsys)
    assert code == 0, err
    assert json.loads(out_json.read_text())["model_id"] == "Qwen/Qwen3-8B"
    assert out_csv.read_text().startswith("rank,") or "," in out_csv.read_text().splitlines()[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json"]


@posix_only
def test_writing_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    _files.write_text(link, "new", what="text")
    assert link.is_symlink() and real.read_text() == "new"


# ---------------------------------------------------------------------------------------------------
# The hub: only when asked, or when nothing local comes close; bounded in time
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """A stand-in huggingface_hub that records its calls and serves Qwen3-8B's config."""
    calls: list[dict[str, Any]] = []
    cached = tmp_path / "hub-config.json"
    cached.write_text(json.dumps(qwen_config()))

    def hf_hub_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        return str(cached)

    module = types.ModuleType("huggingface_hub")
    module.hf_hub_download = hf_hub_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)
    yield calls


@pytest.mark.parametrize("typo", ["meta-llama/Llama-3.1-8B-Instruc", "meta-llama/Lama-3.1-8B"])
def test_a_typo_of_a_bundled_id_suggests_it_without_network(
    typo: str, fake_hub: list[dict[str, Any]]
) -> None:
    with pytest.raises(UnknownModelError) as caught:
        resolve_config(typo)
    assert fake_hub == []
    assert caught.value.suggestions[0] in ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B")
    assert "--hub" in str(caught.value)


def test_a_bundled_id_in_other_case_needs_no_hub(fake_hub: list[dict[str, Any]]) -> None:
    assert resolve_config("Qwen/Qwen3-8b").model_id == "Qwen/Qwen3-8B"
    assert fake_hub == []


def test_allow_hub_true_looks_a_near_miss_up(fake_hub: list[dict[str, Any]]) -> None:
    assert resolve_config("meta-llama/Llama-3.1-8B-Instruc", allow_hub=True).source.startswith(
        "Hugging Face hub"
    )
    # its config.json, then ModelOpt's hf_quant_config.json, which a config stating no quantization may have
    assert [call["filename"] for call in fake_hub] == ["config.json", "hf_quant_config.json"]


def test_the_cli_hub_flag_looks_a_near_miss_up(
    fake_hub: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["model", "meta-llama/Llama-3.1-8B-Instrux", "--hub", "--json"], capsys)
    assert code == 0, err
    asked = len(fake_hub)
    assert (
        fake_hub[0]["filename"] == "config.json"
        and json.loads(out)["model_id"] == "meta-llama/Llama-3.1-8B-Instrux"
    )
    code, _out, err = run(["model", "meta-llama/Llama-3.1-8B-Instruy"], capsys)
    assert "near-miss" in one_error_line(code, err) and len(fake_hub) == asked


def test_allow_hub_false_never_asks(fake_hub: list[dict[str, Any]]) -> None:
    with pytest.raises(UnknownModelError, match="allow_hub=False"):
        load_model("someone/some-model-f", allow_hub=False)
    assert fake_hub == []


def test_an_unknown_id_asks_the_hub_saying_so(
    fake_hub: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="config_explorer"):
        assert resolve_config("someone/brand-new-model").source.startswith("Hugging Face hub")
    assert fake_hub[0]["local_files_only"] is False
    assert [r.getMessage() for r in caplog.records if "Hugging Face hub" in r.getMessage()]


@pytest.mark.parametrize("variable", ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
def test_offline_mode_reads_only_the_cache_and_says_nothing(
    variable: str,
    fake_hub: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(variable, "1")
    with caplog.at_level(logging.WARNING, logger="config_explorer"):
        resolve_config("someone/cached-model")
    assert fake_hub[0]["local_files_only"] is True
    assert not caplog.records


def test_a_hub_that_never_answers_is_given_up_on(
    fake_hub: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hangs(**_kwargs: Any) -> str:
        release.wait(30)
        raise OSError("gave up")

    monkeypatch.setattr(sys.modules["huggingface_hub"], "hf_hub_download", hangs)
    monkeypatch.setattr(models, "HUB_TIMEOUT_S", 0.2)
    start = time.monotonic()
    try:
        with pytest.raises(UnknownModelError, match=r"no answer within 0\.2 s"):
            resolve_config("someone/slow-model")
    finally:
        release.set()
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("command", ["model", "estimate", "recommend"])
@pytest.mark.parametrize("model_id", ["a/" * 150, "a" * 300])
def test_a_300_character_id_is_our_error(
    command: str, model_id: str, fake_hub: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = {
        "model": ["model", model_id],
        "estimate": ["estimate", "--model", model_id, "--gpu", "H100", "--workload", "chat"],
        "recommend": ["recommend", "--model", model_id, "--workload", "chat", "--no-estimate", "--quiet"],
    }[command]
    line = one_error_line(*run(argv, capsys)[::2])
    assert "unknown model" in line and len(line) < 600
    assert fake_hub == []


# ---------------------------------------------------------------------------------------------------
# Anything at all in a file: our error or a valid result
# ---------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
config_fields = st.sampled_from(
    ["hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size",
     "intermediate_size", "head_dim", "model_type", "torch_dtype", "quantization_config", "layer_types",
     "sliding_window", "num_experts", "tie_word_embeddings", "text_config", "_name_or_path"]
)  # fmt: skip
gpu_fields = st.sampled_from(
    ["name", "memory_gib", "memory_gb", "memory_bandwidth_tb_s", "tflops", "interconnect", "form_factor",
     "architecture", "memory_type", "aliases", "sources", "tdp_w", "release_year", "vendor", "family"]
)  # fmt: skip
file_contents = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", errors="surrogatepass")),
    json_values.map(lambda value: json.dumps(value).encode()),
)


def _in_a_file(data: bytes, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_contents)
def test_any_bytes_as_a_report_parse_or_raise_our_error(data: bytes) -> None:
    for path in _in_a_file(data, "report.txt"):
        try:
            text = _files.read_text(path, what="report", limit_bytes=_files.REPORT_LIMIT_BYTES)
            assert isinstance(parse_llm_optimizer_output(text, source="report.txt"), ParsedEstimate)
        except ConfigExplorerError as error:
            assert str(error)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(file_contents, st.dictionaries(config_fields, json_values, max_size=3)))
def test_any_config_json_loads_or_raises_our_error(content: bytes | dict[str, Any]) -> None:
    data = json.dumps({**qwen_config(), **content}).encode() if isinstance(content, dict) else content
    for path in _in_a_file(data, "config.json"):
        try:
            assert isinstance(load_model(str(path), allow_hub=False), ModelArchitecture)
        except ConfigExplorerError as error:
            assert str(error)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(file_contents, st.dictionaries(gpu_fields, json_values, max_size=3)),
    st.sampled_from([".json", ".toml"]),
)
def test_any_gpu_spec_file_loads_or_raises_our_error(content: bytes | dict[str, Any], suffix: str) -> None:
    data = json.dumps(gpu_spec(**content)).encode() if isinstance(content, dict) else content
    for path in _in_a_file(data, "gpu" + suffix):
        try:
            assert isinstance(load_gpu_file(path), GPUSpec)
        except ConfigExplorerError as error:
            assert str(error)
