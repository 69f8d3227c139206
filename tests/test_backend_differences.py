"""benchmarks/results/backend_differences.txt is what benchmarks/backend_differences.py prints today.

The script compares the native engine with BentoML's real llm-optimizer, so this test runs only where
upstream is importable (the upstream CI environment); elsewhere it is skipped. When it fails, the
committed file is stale: rerun the script into it and review the difference.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.test_backend_llm_optimizer import _real_upstream_importable

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "backend_differences.py"
COMMITTED = ROOT / "benchmarks" / "results" / "backend_differences.txt"

#: seconds the script may take (about 2 s where it was written)
SCRIPT_LIMIT_S = 300


@pytest.mark.real_llm_optimizer
@pytest.mark.skipif(not _real_upstream_importable(), reason="BentoML's llm-optimizer is not importable here")
def test_committed_output_is_what_the_script_prints() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=SCRIPT_LIMIT_S,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == COMMITTED.read_text(encoding="utf-8"), (
        f"{COMMITTED.relative_to(ROOT)} is stale: rerun "
        f"python {SCRIPT.relative_to(ROOT)} > {COMMITTED.relative_to(ROOT)}"
    )
