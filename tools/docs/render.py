"""Render tools/docs/templates/*.md into the repository, running every example and pasting its output.

Run from anywhere: ``python tools/docs/render.py`` (every template) or name some; ``--check`` only
reports rendered files that differ from a fresh render (the test suite runs it). Templates render in
parallel, one per CPU (each example is a subprocess); the blocks of one template run in order, in a
scratch folder of their own.
Edit the templates, never the rendered files: every number in the docs comes from this run.

Markers (each on its own line):
  @@python            ... @@end   -> ```python code``` + ```text stdout```
  @@python-quiet      ... @@end   -> ```python code``` only (must run)
  @@raw               ... @@end   -> run python, paste stdout as markdown
  @@cli <args>                     -> ```bash config-explorer <args>``` + ```text output```
  @@cli-text <args>                -> ```text config-explorer <args>``` + ```text output``` (not executed by tests)
  @@shell             ... @@end   -> ```text command``` + ```text output``` (bash in /work/main)
  @@output <command>               -> ```text output``` only
Indentation of the marker line is applied to the emitted blocks.
"""

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", "COLUMNS": "100"}
#: CLI examples write their output files (--csv, --output-json) here, one folder per template, not into
#: the repository
SCRATCH = tempfile.mkdtemp(prefix="render-docs-")
ENV.pop("VIRTUAL_ENV", None)
#: benchmarks/accuracy.py scores every measured row once per render and reuses the rows in later blocks
ENV["CONFIG_EXPLORER_BENCH_CACHE"] = tempfile.mkdtemp(prefix="render-docs-bench-")


def run(argv, shell=False, stdin=None, cwd=ROOT):
    r = subprocess.run(argv, shell=shell, cwd=cwd, env=ENV, capture_output=True, text=True, input=stdin)
    out = r.stdout + (r.stderr if r.returncode else "")
    if r.returncode and not os.environ.get("ALLOW_FAIL"):
        print(f"FAILED ({r.returncode}): {argv!r}\n{out}", file=sys.stderr)
    return out.rstrip("\n"), r.returncode


def fence(lang, body, indent):
    lines = [f"```{lang}", *body.splitlines(), "```"]
    return "\n".join((indent + line) if line else "" for line in lines)


def render(text, scratch=SCRATCH):
    out, lines, i, fails = [], text.splitlines(), 0, 0
    while i < len(lines):
        line = lines[i]
        s = line.lstrip(" ")
        indent = line[: len(line) - len(s)]
        if s.startswith("@@") and not s.startswith("@@end"):
            kind, _, arg = s[2:].partition(" ")
            body = []
            if kind in ("python", "python-quiet", "raw", "shell"):
                i += 1
                while lines[i].strip() != "@@end":
                    body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
                    i += 1
            code = "\n".join(body)
            if kind in ("python", "python-quiet", "raw"):
                result, rc = run([sys.executable, "-c", code])
                fails += rc != 0
                if kind == "raw":
                    out.append(result)
                else:
                    out.append(fence("python", code, indent))
                    if kind == "python":
                        out.append("")
                        out.append(fence("text", result, indent))
            elif kind in ("cli", "cli-text"):
                cwd = scratch if kind == "cli" else ROOT  # cli-text examples may read repository files
                result, rc = run(f"{sys.executable} -m config_explorer {arg}", shell=True, cwd=cwd)
                fails += rc != 0 and kind == "cli"
                out.append(fence("bash" if kind == "cli" else "text", f"config-explorer {arg}", indent))
                out.append("")
                out.append(fence("text", result, indent))
            elif kind == "shell":
                result, rc = run(["bash", "-c", code])
                fails += rc != 0
                out.append(fence("text", code, indent))
                out.append("")
                out.append(fence("text", result, indent))
            elif kind == "output":
                result, rc = run(["bash", "-c", arg])
                fails += rc != 0
                out.append(fence("text", result, indent))
            else:
                raise SystemExit(f"unknown marker {kind}")
        else:
            out.append(line)
        i += 1
    return "\n".join(out) + "\n", fails


def main(argv: list[str]) -> int:
    check = "--check" in argv
    names = [a for a in argv if a != "--check"] or [
        str(p.relative_to(TEMPLATES)) for p in sorted(TEMPLATES.rglob("*.md"))
    ]
    total, stale = 0, []

    def one(name):
        scratch = Path(SCRATCH) / name.replace("/", "_")
        scratch.mkdir()
        return render((TEMPLATES / name).read_text(), str(scratch))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        rendered = list(pool.map(one, names))
    for name, (text, fails) in zip(names, rendered):
        total += fails
        target = ROOT / name
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        print(f"wrote {name} ({fails} failures)")
    if stale:
        print("stale (re-run python tools/docs/render.py): " + ", ".join(stale), file=sys.stderr)
    return 1 if total or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
