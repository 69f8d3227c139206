"""Regenerate tests/fixtures/llm_optimizer/real_*.txt: what BentoML's real ``llm-optimizer estimate`` prints.

Why: the text parser (``config_explorer.backends.llm_optimizer_text``) must be tested on upstream's own
output, not only on reports reconstructed from its printing code. Upstream reads model configs from the
Hugging Face hub; this script seeds a throw-away hub cache with the bundled ``config.json`` of each model
and runs the CLI with ``HF_HUB_OFFLINE=1``, so no network is needed and every run prints the same bytes.

Usage (upstream installed in some virtualenv, e.g. /tmp/lo-venv; see tests/fixtures/llm_optimizer/README.md)::

    python tools/capture_llm_optimizer_fixtures.py --executable /tmp/lo-venv/bin/llm-optimizer
    python tools/capture_llm_optimizer_fixtures.py --executable ... --check   # compare, write nothing

Each fixture is upstream's stdout, byte for byte. Upstream also prints a traceback to stderr when it
fails (and still exits 0); that is not saved: the parser never sees it, and it holds local paths.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "src" / "config_explorer" / "data" / "models"
FIXTURES = ROOT / "tests" / "fixtures" / "llm_optimizer"
TIMEOUT_S = 120.0


class Case(NamedTuple):
    """One fixture: its file name and the ``llm-optimizer estimate`` arguments that produce it."""

    name: str
    model: str
    #: the rest of the command line, quoted as in a shell (the README shows the same text)
    arguments: str

    @property
    def path(self) -> Path:
        return FIXTURES / f"real_{self.name}.txt"

    def argv(self, executable: str) -> list[str]:
        return [executable, "estimate", "--model", self.model, *shlex.split(self.arguments)]


CASES: tuple[Case, ...] = (
    # a dense 8B model on one GPU, precision inferred from config.json (bf16)
    Case(
        "llama31_8b_1xh100_bf16",
        "meta-llama/Llama-3.1-8B",
        "--input-len 1024 --output-len 256 --gpu H100 --num-gpus 1",
    ),
    # a 70B model pooled over four GPUs
    Case(
        "llama31_70b_4xh100_bf16",
        "meta-llama/Llama-3.1-70B",
        "--input-len 2048 --output-len 512 --gpu H100 --num-gpus 4",
    ),
    # SLO constraints that can be met: a '=== Performance under Constraints ===' section
    Case(
        "llama31_8b_instruct_1xh100_fp8_constraints",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--input-len 2048 --output-len 512 --gpu H100 --num-gpus 1 --precision fp8 "
        "--constraints 'ttft:p95<300ms;itl:p95<=20ms'",
    ),
    # a model that does not fit at concurrency 1: headings with nothing under them
    Case(
        "llama31_70b_instruct_1xl40_bf16_oom",
        "meta-llama/Llama-3.1-70B-Instruct",
        "--input-len 4096 --output-len 1024 --gpu L40 --num-gpus 1",
    ),
    # upstream fails: 'Error: FP8 precision not supported on A100'
    Case(
        "llama31_8b_1xa100_fp8_error",
        "meta-llama/Llama-3.1-8B",
        "--input-len 1024 --output-len 256 --gpu A100 --num-gpus 1 --precision fp8",
    ),
    # constraints no concurrency meets: upstream raises, and prints it as an 'Error:' line
    Case(
        "llama31_8b_1xh100_unsatisfiable",
        "meta-llama/Llama-3.1-8B",
        "--input-len 1024 --output-len 256 --gpu H100 --num-gpus 1 --constraints 'ttft<1ms'",
    ),
)


def bundled_config(model_id: str) -> dict[str, object]:
    """The model's published config.json, as the bundled catalog holds it (under its "config" key)."""
    path = MODELS / f"{model_id}.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    if entry.get("model_id") != model_id:
        raise SystemExit(f"{path} holds {entry.get('model_id')!r}, not {model_id!r}")
    config: dict[str, object] = entry["config"]
    return config


def seed_hub_cache(hf_home: Path, model_ids: set[str]) -> None:
    """Lay out ``$HF_HOME/hub`` as huggingface_hub's cache does, one snapshot per model.

    ``refs/main`` names a revision and ``snapshots/<revision>/config.json`` holds the file; with
    ``HF_HUB_OFFLINE=1``, ``hf_hub_download(repo_id, "config.json")`` answers from there.
    """
    for model_id in sorted(model_ids):
        text = json.dumps(bundled_config(model_id), indent=2) + "\n"
        revision = hashlib.sha1(text.encode("utf-8")).hexdigest()  # any 40-hex string will do
        organisation, name = model_id.split("/")
        repository = hf_home / "hub" / f"models--{organisation}--{name}"
        (repository / "refs").mkdir(parents=True, exist_ok=True)
        (repository / "refs" / "main").write_text(revision, encoding="utf-8")
        snapshot = repository / "snapshots" / revision
        snapshot.mkdir(parents=True, exist_ok=True)
        (snapshot / "config.json").write_text(text, encoding="utf-8")


def capture(case: Case, executable: str, hf_home: Path) -> bytes:
    """What upstream printed on stdout for ``case``; exits when it did not run as upstream does."""
    environment = {
        **os.environ,
        "HF_HOME": str(hf_home),
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        # upstream prints emoji: under a C locale Python would fail to encode them
        "PYTHONIOENCODING": "utf-8",
        "PYTHONUTF8": "1",
    }
    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        environment.pop(variable, None)
    completed = subprocess.run(
        case.argv(executable),
        capture_output=True,
        cwd=hf_home,
        env=environment,
        timeout=TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", errors="replace")
        raise SystemExit(f"{case.name}: exit status {completed.returncode}\n{stderr}")
    if b"Could not download or read config.json" in completed.stdout:
        raise SystemExit(f"{case.name}: upstream did not find the seeded config.json:\n{completed.stdout!r}")
    return completed.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--executable",
        default=shutil.which("llm-optimizer") or "llm-optimizer",
        help="upstream's llm-optimizer command (default: the one on PATH)",
    )
    parser.add_argument("--check", action="store_true", help="compare with the saved fixtures; write nothing")
    options = parser.parse_args(argv)
    if shutil.which(options.executable) is None:
        parser.error(f"{options.executable!r} is not an executable; pass upstream's with --executable")
    stale: list[str] = []
    with tempfile.TemporaryDirectory(prefix="llm-optimizer-hf-") as temporary:
        hf_home = Path(temporary)
        seed_hub_cache(hf_home, {case.model for case in CASES})
        for case in CASES:
            output = capture(case, options.executable, hf_home)
            relative = case.path.relative_to(ROOT)
            if options.check:
                saved = case.path.read_bytes() if case.path.exists() else None
                if saved != output:
                    stale.append(str(relative))
                print(f"{'ok   ' if saved == output else 'STALE'} {relative}")
            else:
                case.path.write_bytes(output)
                print(f"wrote {relative} ({len(output)} bytes)")
    if stale:
        print(f"{len(stale)} fixture(s) differ from upstream's output: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
