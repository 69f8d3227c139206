"""Fuzz the command line at length: the generator of tests/test_fuzz_cli.py, thousands of examples.

Run: ``python benchmarks/fuzz_cli.py [--examples 3000] [--seed 0] [--time-limit 20]``. Each argument list
(every subcommand, valid and invalid values: huge, negative, zero, inf, nan, text, unknown names,
aliases) runs in-process and is judged as tests/cli_fuzzing.py says: ``ok`` (exit 0, valid output),
``error`` (exit 2, one line on stderr) or ``bad`` (anything else). Prints the counts by outcome and
group, the bad ones with an example each; exits 1 when any outcome is bad.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.*

from hypothesis import HealthCheck, Phase, given, seed, settings
from tests.cli_fuzzing import Outcome, run_cli
from tests.strategies import cli_argv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="argument lists to run (default 3000)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    parser.add_argument("--time-limit", type=int, default=20, help="seconds one call may take (default 20)")
    parser.add_argument("--verbose", action="store_true", help="an example of every group, not only the bad")
    args = parser.parse_args()

    outcomes: list[tuple[Outcome, list[str], float]] = []

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # every example counts once: no shrinking, no replay
        suppress_health_check=list(HealthCheck),
    )
    @given(cli_argv())
    def run(argv: list[str]) -> None:
        start = time.perf_counter()
        outcome = run_cli(argv, args.time_limit)
        outcomes.append((outcome, argv, time.perf_counter() - start))

    began = time.perf_counter()
    run()
    wall = time.perf_counter() - began

    by_kind = collections.Counter(o.kind for o, _, _ in outcomes)
    print(
        f"{len(outcomes)} argument lists in {wall:.0f} s (slowest call {max(t for *_, t in outcomes):.1f} s)"
    )
    for kind in ("ok", "error", "bad"):
        print(f"  {kind:6s} {by_kind.get(kind, 0)}")
    for kind, title in (
        ("ok", "ok, by subcommand"),
        ("error", "clean errors, by kind"),
        ("bad", "BAD outcomes"),
    ):
        groups = collections.Counter(o.group for o, _, _ in outcomes if o.kind == kind)
        if not groups:
            continue
        print(f"\n{title}:")
        for group, count in groups.most_common():
            print(f"  {count:5d}  {group}")
            if kind == "bad" or args.verbose:
                example = next((o, a) for o, a, _ in outcomes if o.group == group)
                print(f"         e.g. {' '.join(example[1])}\n         -> {example[0].detail[:300]}")
    return 1 if by_kind.get("bad") else 0


if __name__ == "__main__":
    raise SystemExit(main())
