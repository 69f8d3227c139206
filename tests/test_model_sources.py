"""Resolution order: bundled catalog, local path, then the hub (faked here: tests never touch the network)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from config_explorer.architecture import load_model
from config_explorer.catalogs.models import find_bundled, resolve_config
from config_explorer.errors import ModelLoadError, UnknownModelError


def _fake_hub(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    calls: list[dict[str, Any]],
    fail: bool = False,
    quant: dict[str, Any] | None = None,
) -> None:
    """A hub that holds Qwen3-8B's config.json (and, given ``quant``, a ModelOpt hf_quant_config.json)."""
    entry = find_bundled("Qwen/Qwen3-8B")
    assert entry is not None
    files = {"config.json": tmp_path / "hub" / "config.json"}
    files["config.json"].parent.mkdir()
    files["config.json"].write_text(json.dumps(entry.config))
    if quant is not None:
        files["hf_quant_config.json"] = tmp_path / "hub" / "hf_quant_config.json"
        files["hf_quant_config.json"].write_text(json.dumps(quant))

    def hf_hub_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        if fail:
            raise OSError("We couldn't connect to 'https://huggingface.co'")
        if kwargs["filename"] not in files:
            raise FileNotFoundError(f"404: {kwargs['filename']} is not in the repo")
        return str(files[kwargs["filename"]])

    module = types.ModuleType("huggingface_hub")
    module.hf_hub_download = hf_hub_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)


def test_hub_is_tried_last_with_the_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    _fake_hub(monkeypatch, tmp_path, calls)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    entry = resolve_config("someone/private-qwen")
    assert entry.source.startswith("Hugging Face hub")
    # config.json states no quantization, so ModelOpt's own file is asked for too (this repo has none)
    assert calls == [
        {
            "repo_id": "someone/private-qwen",
            "filename": filename,
            "token": "hf_secret",
            "local_files_only": False,
        }
        for filename in ("config.json", "hf_quant_config.json")
    ]
    assert not entry.source.endswith("with its hf_quant_config.json")
    assert load_model("meta-llama/Llama-3.1-8B").source.startswith("bundled catalog")
    assert len(calls) == 2  # bundled models never reach the hub


def test_offline_uses_only_the_hub_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    _fake_hub(monkeypatch, tmp_path, calls, fail=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UnknownModelError) as info:
        resolve_config("someone/uncached")
    assert calls[0]["local_files_only"] is True
    assert "HF_HUB_OFFLINE" in str(info.value) and "local config.json" in str(info.value)


def test_without_the_hf_extra_the_error_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(UnknownModelError, match=r"config-explorer\[hf\]"):
        resolve_config("someone/anything")


def test_local_file_and_folder(tmp_path: Path) -> None:
    entry = find_bundled("mistralai/Mistral-7B-v0.1")
    assert entry is not None
    file = tmp_path / "my.json"
    file.write_text(json.dumps(entry.config))
    assert load_model(str(file)).total_params == load_model("mistralai/Mistral-7B-v0.1").total_params
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        load_model(str(empty))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model(str(bad))


#: what TensorRT Model Optimizer 0.29 and earlier wrote beside config.json
MODELOPT_FP8 = {
    "producer": {"name": "modelopt", "version": "0.19.0"},
    "quantization": {"quant_algo": "FP8", "kv_cache_quant_algo": "FP8", "exclude_modules": ["lm_head"]},
}


def test_a_hub_checkpoint_quantized_in_hf_quant_config_reads_as_vllm_reads_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    nvfp4 = {"quantization": {"quant_algo": "NVFP4", "group_size": 16, "exclude_modules": ["lm_head"]}}
    _fake_hub(monkeypatch, tmp_path, calls, quant=nvfp4)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    arch = load_model("someone/qwen3-8b-nvfp4", allow_hub=True)
    assert arch.native_precision == "fp4"
    assert arch.source.endswith("with its hf_quant_config.json")
    assert arch.weight_bytes() < 0.4 * load_model("Qwen/Qwen3-8B").weight_bytes()


def test_a_local_modelopt_folder_takes_its_hf_quant_config(tmp_path: Path) -> None:
    entry = find_bundled("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    folder = tmp_path / "llama-fp8"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(dict(entry.config)))
    (folder / "hf_quant_config.json").write_text(json.dumps(MODELOPT_FP8))
    arch = load_model(str(folder))
    assert arch.native_precision == "fp8"
    assert "hf_quant_config.json" in arch.source
    # the file quantizes the linear layers and leaves the lm_head 16-bit, as the checkpoint stores it
    plain = load_model("meta-llama/Llama-3.1-8B-Instruct")
    assert plain.weight_bytes() * 0.5 < arch.weight_bytes() < plain.weight_bytes() * 0.6


def test_config_json_quantization_wins_over_hf_quant_config(tmp_path: Path) -> None:
    entry = find_bundled("Qwen/Qwen3-30B-A3B-FP8")
    assert entry is not None
    folder = tmp_path / "qwen-fp8"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(dict(entry.config)))
    (folder / "hf_quant_config.json").write_text(json.dumps({"quantization": {"quant_algo": "NVFP4"}}))
    arch = load_model(str(folder))
    assert arch.native_precision == "fp8" and not arch.source.endswith("with its hf_quant_config.json")


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"producer": {"name": "modelopt"}}),
        json.dumps(["FP8"]),
        json.dumps({"quantization": "FP8"}),
    ],
)
def test_an_hf_quant_config_without_a_quantization_leaves_the_checkpoint_as_it_is(
    tmp_path: Path, content: str
) -> None:
    entry = find_bundled("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    (tmp_path / "config.json").write_text(json.dumps(dict(entry.config)))
    (tmp_path / "hf_quant_config.json").write_text(content)
    assert load_model(str(tmp_path)).native_precision == "bf16"


def test_an_unreadable_hf_quant_config_is_named(tmp_path: Path) -> None:
    entry = find_bundled("meta-llama/Llama-3.1-8B-Instruct")
    assert entry is not None
    (tmp_path / "config.json").write_text(json.dumps(dict(entry.config)))
    (tmp_path / "hf_quant_config.json").write_text("{not json")
    with pytest.raises(
        ModelLoadError, match=r"ModelOpt quantization config .*hf_quant_config\.json.*not valid JSON"
    ):
        load_model(str(tmp_path))


def test_a_slow_hf_quant_config_does_not_cost_the_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The wait covers both files: a quantization file not in by then is left out, the config.json stands."""
    import threading

    import config_explorer.catalogs.models as models

    entry = find_bundled("Qwen/Qwen3-8B")
    assert entry is not None
    config = tmp_path / "config.json"
    config.write_text(json.dumps(dict(entry.config)))
    release = threading.Event()

    def hf_hub_download(**kwargs: Any) -> str:
        if kwargs["filename"] != "config.json":
            release.wait(5)  # the quantization file hangs past the wait
        return str(config)

    module = types.ModuleType("huggingface_hub")
    module.hf_hub_download = hf_hub_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)
    monkeypatch.setattr(models, "HUB_TIMEOUT_S", 0.3)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    try:
        found = resolve_config("someone/slow-quant", allow_hub=True)
    finally:
        release.set()
    assert found.source.startswith("Hugging Face hub") and not found.source.endswith(
        "with its hf_quant_config.json"
    )
