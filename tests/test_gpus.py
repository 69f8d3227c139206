from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from config_explorer.catalogs.gpus import get_gpu, gpu_from_mapping, list_gpus, register_gpu, unregister_gpu
from config_explorer.errors import InvalidArgumentError, UnknownGPUError

REQUIRED = [
    "H100 SXM",
    "H100 PCIe",
    "H100 NVL",
    "H200 SXM",
    "H200 NVL",
    "A100 SXM 40GB",
    "A100 SXM 80GB",
    "A100 PCIe 40GB",
    "A100 PCIe 80GB",
    "L40",
    "L40S",
    "L4",
    "A10G",
    "A10",
    "T4",
    "V100 SXM2 32GB",
    "B200",
    "GB200",
    "MI300X",
    "MI325X",
    "RTX 4090",
    "RTX 6000 Ada",
    "H20",
    "H800 SXM",
    "A800 SXM 80GB",
    "L20",
    "RTX PRO 6000 Server",
    "RTX PRO 6000 Workstation",
]


def test_catalog_covers_required_accelerators() -> None:
    names = {g.name for g in list_gpus()}
    assert len(names) >= 20
    assert set(REQUIRED) <= names


@pytest.mark.parametrize("spec", list_gpus(), ids=lambda g: g.name)
def test_every_entry_is_sourced_and_sane(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.sources and all(url.startswith("http") for _, url in spec.sources)
    assert spec.aliases
    assert 10 < spec.memory_gib < 300
    assert spec.memory_gb is not None and abs(spec.memory_gb - spec.memory_gib) / spec.memory_gb < 0.1
    assert 0.1 < spec.memory_bandwidth_tb_s < 10
    assert spec.interconnect_bandwidth_gb_s > 0
    if spec.tflops.fp8 and spec.tflops.bf16:  # dense figures: fp8 is twice bf16 wherever both exist
        assert spec.tflops.fp8 == pytest.approx(2 * spec.tflops.bf16, rel=0.02)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("H100", "H100 SXM"),
        ("h100-sxm", "H100 SXM"),
        ("H100 SXM 80GB", "H100 SXM"),
        ("a100", "A100 SXM 80GB"),
        ("NVIDIA H200", "H200 SXM"),
        ("mi300x", "MI300X"),
        ("L40S", "L40S"),
        ("4090", "RTX 4090"),
        ("h20-96gb", "H20"),
        ("NVIDIA H800", "H800 SXM"),
        ("a800", "A800 SXM 80GB"),
        ("L20 48GB", "L20"),
        ("RTX PRO 6000", "RTX PRO 6000 Server"),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "RTX PRO 6000 Server"),
        ("rtx-pro-6000-ws", "RTX PRO 6000 Workstation"),
        ("RTX 6000 Ada", "RTX 6000 Ada"),
    ],
)
def test_lookup_by_alias_is_case_and_punctuation_insensitive(query: str, name: str) -> None:
    assert get_gpu(query).name == name


def test_unknown_gpu_suggests_three_close_names() -> None:
    with pytest.raises(UnknownGPUError) as info:
        get_gpu("H1000")
    assert len(info.value.suggestions) == 3
    assert "H100 SXM" in info.value.suggestions
    assert "H1000" in str(info.value)


def _spec(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Test GPU X1",
        "memory_gib": 64,
        "memory_bandwidth_tb_s": 2.0,
        "tflops": {"bf16": 400, "fp8": 800},
        "interconnect": {"kind": "PCIe Gen5 x16", "bandwidth_gb_s": 128},
        "aliases": ["tgx1"],
        "family": "hopper",
    }
    data.update(overrides)
    return data


def test_register_from_dict_json_and_toml(tmp_path: Path) -> None:
    try:
        spec = register_gpu(_spec())
        assert get_gpu("TGX1") is spec
        path = tmp_path / "gpu.json"
        path.write_text(json.dumps(_spec(name="Json GPU", aliases=["jgpu"])))
        assert register_gpu(path).name == "Json GPU"
        toml = tmp_path / "gpu.toml"
        toml.write_text(
            'name = "Toml GPU"\nmemory_gib = 32\nmemory_bandwidth_tb_s = 1.0\naliases = ["tgpu"]\n'
            '[tflops]\nbf16 = 100\n[interconnect]\nkind = "PCIe Gen4 x16"\nbandwidth_gb_s = 64\n'
        )
        assert register_gpu(toml).name == "Toml GPU"
        assert get_gpu("tgpu").name == "Toml GPU"
        with pytest.raises(InvalidArgumentError, match="already in the catalog"):
            register_gpu(_spec())
    finally:
        for name in ("Test GPU X1", "Json GPU", "Toml GPU"):
            with contextlib.suppress(UnknownGPUError):
                unregister_gpu(name)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"memory_gib": -1}, "memory_gib"),
        ({"memory_bandwidth_tb_s": "fast"}, "memory_bandwidth_tb_s"),
        ({"tflops": {"bf16": 0}}, "tflops.bf16"),
        ({"tflops": {"bf17": 10}}, "bf17"),
        ({"interconnect": {"kind": "x"}}, "bandwidth_gb_s"),
        ({"family": "quantum"}, "quantum"),
    ],
)
def test_bad_spec_names_the_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        gpu_from_mapping(_spec(**overrides))


def test_missing_required_field_is_named() -> None:
    data = _spec()
    del data["tflops"]
    with pytest.raises(InvalidArgumentError, match="tflops"):
        gpu_from_mapping(data)
