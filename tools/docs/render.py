"""Render tools/docs/templates/*.md into the repository, running every example and pasting its output.

Run from anywhere: ``python tools/docs/render.py PERFORMANCE_ESTIMATION.md CHANGELOG.md docs/*.md``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"
ENV = {**os.environ, "PYTHONPATH": "src", "HF_HUB_OFFLINE": "1", "COLUMNS": "100"}
ENV.pop("VIRTUAL_ENV", None)


def run(argv, shell=False, stdin=None):
    r = subprocess.run(argv, shell=shell, cwd=ROOT, env=ENV, capture_output=True, text=True, input=stdin)
    out = r.stdout + (r.stderr if r.returncode else "")
    if r.returncode and not os.environ.get("ALLOW_FAIL"):
        print(f"FAILED ({r.returncode}): {argv!r}\n{out}", file=sys.stderr)
    return out.rstrip("\n"), r.returncode


def fence(lang, body, indent):
    lines = [f"```{lang}", *body.splitlines(), "```"]
    return "\n".join((indent + line) if line else "" for line in lines)


def render(text):
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
                result, rc = run(f"{sys.executable} -m config_explorer {arg}", shell=True)
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


total = 0
for name in sys.argv[1:]:
    src = TEMPLATES / name
    text, fails = render(src.read_text())
    total += fails
    (ROOT / name).parent.mkdir(parents=True, exist_ok=True)
    (ROOT / name).write_text(text)
    print(f"wrote {name} ({fails} failures)")
sys.exit(1 if total else 0)
