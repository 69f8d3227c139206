"""What the AITER extract tools share: AMD AITER's tuned tables read out of a git checkout at one commit, and the
CSV they write.

``tools/extract_aiter_*.py`` each pull one family of AITER's tuned tables (``aiter/configs/**/*.csv``: the times its
tuner measured, by shape) into ``benchmarks/data``; standard library and git only, nothing in the test suite runs
them.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

#: one tuned table: its path in the repository and its rows
Table = tuple[str, list[dict[str, str]]]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def run(
    argv: list[str],
    usage: str,
    wanted: Callable[[str], bool],
    extract: Callable[[list[Table]], Iterable[Sequence[str]]],
    out: Path,
    columns: Sequence[str],
) -> int:
    """The command line ``script /path/to/aiter [COMMIT]``: read every table under ``aiter/configs`` whose file name
    ``wanted`` accepts at that commit (default HEAD), in path order, write the rows ``extract`` makes of them to ``out``
    under ``columns``, and print how many and the commit read. A wrong argument count prints ``usage``."""
    if len(argv) not in (2, 3):
        print(usage, file=sys.stderr)
        return 2
    repo = Path(argv[1])
    commit = _git(repo, "rev-parse", argv[2] if len(argv) == 3 else "HEAD").strip()
    paths = sorted(
        p
        for p in _git(repo, "ls-tree", "-r", "--name-only", commit, "aiter/configs").splitlines()
        if p.endswith(".csv") and wanted(Path(p).name)
    )
    tables = [(p, list(csv.DictReader(io.StringIO(_git(repo, "show", f"{commit}:{p}"))))) for p in paths]
    rows = list(extract(tables))
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    print(f"wrote {out.name}: {len(rows)} rows from {len(paths)} tables at {commit[:10]}")
    return 0
