"""Regenerate benchmarks/data/sglang_moe_triton_configs.csv: the tuned Triton fused-MoE configs an SGLang wheel ships.

SGLang's Triton fused-MoE kernel reads its tile sizes from a tuned JSON file per expert count, expert width, device
and format (``sglang/srt/layers/moe/fused_moe_triton/configs/triton_<version>/E=<experts>,N=<width>,
device_name=<device>[,dtype=<dtype>][,block_shape=[<n>, <k>]].json``; ``N`` is one expert's width on one GPU after
the activation). Without a file for the shape it runs a default config; the lookup tries the installed Triton's
folder first, then the other supported versions' (``get_moe_configs`` in ``fused_moe_triton_config.py``, 0.5.8).
This script lists the files of the wheels named on the command line, one row each.

Usage (the wheels downloaded with ``pip download --no-deps sglang==<release>``)::

    python tools/extract_sglang_moe_configs.py /tmp/sgl/sglang-0.5.8-py3-none-any.whl

Nothing in the test suite runs it.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

from aiconfigurator_db import write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "sglang_moe_triton_configs.csv"
CONFIG_DIR = "sglang/srt/layers/moe/fused_moe_triton/configs/"
NAME = re.compile(
    r"E=(?P<experts>\d+),N=(?P<width>\d+),device_name=(?P<device>[^,]+?)"
    r"(?:,dtype=(?P<dtype>[a-z0-9_]+))?(?:,block_shape=\[(?P<block>[0-9, ]+)\])?(?:,(?P<rest>[^.]*))?\.json$"
)
COLUMNS = ("release", "triton_dir", "num_experts", "width", "device", "dtype", "block_shape", "other", "file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheels", nargs="+", type=Path, help="SGLang wheels (.whl)")
    args = parser.parse_args()
    rows = []
    for wheel in args.wheels:
        match = re.match(r"sglang-([^-]+)-", wheel.name)
        if not wheel.is_file() or match is None:
            parser.error(f"{wheel} is not an SGLang wheel (sglang-<release>-...whl)")
        with zipfile.ZipFile(wheel) as z:
            names = sorted(n for n in z.namelist() if n.startswith(CONFIG_DIR) and n.endswith(".json"))
        for name in names:
            triton_dir, _, file = name.removeprefix(CONFIG_DIR).partition("/")
            parsed = NAME.match(file)
            if parsed is None:
                continue
            rows.append(
                {
                    "release": match.group(1),
                    "triton_dir": triton_dir,
                    "num_experts": int(parsed["experts"]),
                    "width": int(parsed["width"]),
                    "device": parsed["device"],
                    "dtype": parsed["dtype"] or "",
                    "block_shape": (parsed["block"] or "").replace(" ", ""),
                    "other": parsed["rest"] or "",
                    "file": file,
                }
            )
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())
