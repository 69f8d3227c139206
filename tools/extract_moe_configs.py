"""Regenerate src/config_explorer/data/moe_triton_configs.json: the tuned Triton fused-MoE configs vLLM and SGLang ship.

Both engines' Triton fused-MoE kernel reads its tile sizes from a tuned JSON file per expert count, expert width,
device and format (``E=<experts>,N=<width>,device_name=<device>[,dtype=<dtype>][,block_shape=[<n>, <k>]].json``;
``E`` is the experts on one GPU, ``N`` one expert's width on one GPU after the activation, ``device`` the name
``torch.cuda.get_device_name()`` gives with spaces as underscores). Without a file for the layer's shape the kernel
runs ``get_default_config``'s small tiles. vLLM keeps the files in ``vllm/model_executor/layers/fused_moe/configs/``
(``get_moe_configs``, 0.11.0); SGLang in ``sglang/srt/layers/moe/fused_moe_triton/configs/triton_<version>/`` through
0.5.10 and ``sglang/srt/layers/moe/moe_runner/triton_utils/configs/triton_<version>/`` from 0.5.12, and falls back
across the Triton-version folders (``get_moe_configs`` in ``fused_moe_triton_config.py``, 0.5.6), so a file in any of
them counts. Files for another variant of the kernel (SGLang's ``,per_channel_quant=True`` and ``_down`` files) are
left out.

This script lists the files of the releases named on the command line (vLLM source distributions or wheels, SGLang
wheels, downloaded with ``pip download --no-deps --no-binary :all: vllm==<release>`` or ``pip download --no-deps
sglang==<release>``) and writes, per engine, the releases read and, per shape, the releases that ship a file for it::

    python tools/extract_moe_configs.py /tmp/vllm/vllm-0.11.0.tar.gz /tmp/sgl/sglang-0.5.6-py3-none-any.whl ...

Nothing in the test suite runs it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "config_explorer" / "data" / "moe_triton_configs.json"
#: the folders a release keeps its config files in, by engine
CONFIG_DIRS = {
    "vllm": ("vllm/model_executor/layers/fused_moe/configs/",),
    "sglang": (
        "sglang/srt/layers/moe/fused_moe_triton/configs/",
        "sglang/srt/layers/moe/moe_runner/triton_utils/configs/",
    ),
}
NAME = re.compile(
    r"E=(?P<experts>\d+),N=(?P<width>\d+),device_name=(?P<device>[^,]+?)"
    r"(?:,dtype=(?P<dtype>[a-z0-9_]+?))?(?:,block_shape=\[(?P<block>[0-9, ]+)\])?(?P<rest>(?:,[^.]*)?(?:_down)?)\.json$"
)
ARCHIVE = re.compile(r"^(?P<engine>vllm|sglang)-(?P<release>\d+\.\d+\.\d+(?:\.post\d+)?)[-.]")


def shape_key(name: str) -> str | None:
    """``experts|width|device|dtype|block`` of a config file's base name; None for another kernel variant's file."""
    parsed = NAME.match(name)
    if parsed is None or parsed["rest"]:
        return None
    block = (parsed["block"] or "").replace(" ", "").replace(",", "x")
    return "|".join((parsed["experts"], parsed["width"], parsed["device"], parsed["dtype"] or "", block))


def members(archive: Path) -> list[str]:
    """Every file path in a source distribution (``.tar.gz``) or wheel (``.whl``), without the sdist's top folder."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            return z.namelist()
    with tarfile.open(archive) as t:
        return [name.partition("/")[2] for name in t.getnames()]


def release_keys(engine: str, names: list[str]) -> set[str]:
    keys = set()
    for name in names:
        folder = next((d for d in CONFIG_DIRS[engine] if name.startswith(d)), None)
        if folder is None or not name.endswith(".json"):
            continue
        key = shape_key(name.rsplit("/", 1)[-1])
        if key is not None:
            keys.add(key)
    return keys


def _release_order(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", release))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archives", nargs="+", type=Path, help="vLLM sdists or wheels, SGLang wheels")
    args = parser.parse_args()
    found: dict[str, dict[str, set[str]]] = {"vllm": {}, "sglang": {}}
    for archive in args.archives:
        match = ARCHIVE.match(archive.name)
        if not archive.is_file() or match is None:
            parser.error(
                f"{archive} is not a vLLM or SGLang release archive (vllm-<release>... or sglang-<release>...)"
            )
        engine, release = match["engine"], match["release"]
        keys = release_keys(engine, members(archive))
        if not keys:
            parser.error(f"{archive} holds no Triton fused-MoE config files")
        found[engine][release] = keys
    out: dict[str, object] = {
        "about": "tuned Triton fused-MoE config files per release: written by tools/extract_moe_configs.py",
        "key": "experts|width|device|dtype|block",
    }
    for engine, by_release in found.items():
        releases = sorted(by_release, key=_release_order)
        shapes: dict[str, list[int]] = {}
        for index, release in enumerate(releases):
            for key in by_release[release]:
                shapes.setdefault(key, []).append(index)
        out[engine] = {"releases": releases, "shapes": dict(sorted(shapes.items()))}
    OUT.write_text(json.dumps(out, indent=0, separators=(",", ":")) + "\n")
    counts = ", ".join(f"{e}: {len(found[e])} releases" for e in found)
    print(f"wrote {OUT} ({counts})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
