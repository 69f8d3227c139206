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
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, calls: list[dict[str, Any]], fail: bool = False
) -> None:
    entry = find_bundled("Qwen/Qwen3-8B")
    assert entry is not None
    cached = tmp_path / "hub" / "config.json"
    cached.parent.mkdir()
    cached.write_text(json.dumps(entry.config))

    def hf_hub_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        if fail:
            raise OSError("We couldn't connect to 'https://huggingface.co'")
        return str(cached)

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
    assert calls == [
        {
            "repo_id": "someone/private-qwen",
            "filename": "config.json",
            "token": "hf_secret",
            "local_files_only": False,
        }
    ]
    assert load_model("meta-llama/Llama-3.1-8B").source.startswith("bundled catalog")
    assert len(calls) == 1  # bundled models never reach the hub


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
