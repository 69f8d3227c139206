"""Every example in the README, the docs and examples/ runs as written (offline)."""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path

import pytest

from config_explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "PERFORMANCE_ESTIMATION.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks(kind: str) -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        if doc.exists():
            for i, match in enumerate(FENCE.finditer(doc.read_text("utf-8"))):
                if match.group(1) == kind:
                    out.append((f"{doc.name}#{i}", match.group(2)))
    return out


def _commands() -> list[tuple[str, str]]:
    commands = []
    for where, block in _blocks("bash"):
        joined = block.replace("\\\n", " ")
        commands += [
            (where, line.strip())
            for line in joined.splitlines()
            if line.strip().startswith("config-explorer ")
        ]
    return commands


def test_docs_have_examples() -> None:
    assert len(_blocks("python")) >= 3 and len(_commands()) >= 5


@pytest.mark.parametrize(("where", "code"), _blocks("python"), ids=[w for w, _ in _blocks("python")])
def test_python_blocks_run(where: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, where, "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize(("where", "command"), _commands(), ids=[f"{w}:{c[16:50]}" for w, c in _commands()])
def test_cli_lines_run(
    where: str,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(command)[1:]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(
    script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_rendered_docs_match_their_templates() -> None:
    """Every number in the docs is what the code prints now (tools/docs/render.py --check)."""
    import importlib.util
    import os
    import subprocess
    import sys

    if not (ROOT.parent / "shared" / "data").exists():
        pytest.skip("../shared/data (measured points) is not beside this checkout")
    if importlib.util.find_spec("llm_optimizer") is not None:
        pytest.skip("the docs show what a bare install prints; an llm_optimizer package is importable here")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs" / "render.py"), "--check"],
        capture_output=True,
        text=True,
        # a bound against a hang, not a speed check: the render runs every benchmark the docs quote, about four
        # minutes on two slow cores beside the rest of the suite
        timeout=1200,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
