"""Where model config.json values come from: the bundled catalog, a local path, the hub.

The bundled catalog is package data: one JSON file per model under
``config_explorer/data/models/<org>/<name>.json`` holding the published config.json verbatim,
where it was read, and the parameter counts its model card states.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from config_explorer._util import closest, normalize_name
from config_explorer.errors import ModelLoadError, UnknownModelError

__all__ = ["CatalogEntry", "bundled_models", "find_bundled", "resolve_config"]


@attrs.frozen
class CatalogEntry:
    """A model config as found, with its provenance."""

    model_id: str
    config: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    source: str
    official_total_params: float | None = None
    official_active_params: float | None = None
    official_params_source: str | None = None
    #: the card counts active parameters without the input embedding table (gpt-oss does)
    active_excludes_embedding: bool = False
    #: the card states only a rounded size class ("7B", "14B"), not a parameter count
    official_params_size_class: bool = False


def _entry_from_json(data: Mapping[str, Any], origin: str) -> CatalogEntry:
    official = data.get("official_params") or {}
    return CatalogEntry(
        model_id=str(data["model_id"]),
        config=data["config"],
        source=f"bundled catalog ({data.get('source', origin)})",
        official_total_params=official.get("total"),
        official_active_params=official.get("active"),
        official_params_source=official.get("source"),
        active_excludes_embedding=bool(official.get("active_excludes_embedding", False)),
        official_params_size_class=bool(official.get("size_class", False)),
    )


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[dict[str, CatalogEntry], dict[str, str]]:
    entries: dict[str, CatalogEntry] = {}
    root = resources.files("config_explorer") / "data" / "models"
    for org in sorted(root.iterdir(), key=lambda p: p.name):
        if not org.is_dir():
            continue
        for file in sorted(org.iterdir(), key=lambda p: p.name):
            if file.name.endswith(".json"):
                entry = _entry_from_json(json.loads(file.read_text("utf-8")), f"{org.name}/{file.name}")
                entries[entry.model_id] = entry
    index: dict[str, str] = {}
    # full ids first so that a short name never shadows a full one
    for model_id in entries:
        index[normalize_name(model_id)] = model_id
    for model_id in entries:
        short = normalize_name(model_id.split("/", 1)[-1])
        index.setdefault(short, model_id)
    return entries, index


def bundled_models() -> list[CatalogEntry]:
    """Every model in the bundled catalog, sorted by id."""
    return sorted(_bundled()[0].values(), key=lambda e: e.model_id.lower())


def find_bundled(model_id: str) -> CatalogEntry | None:
    """The bundled entry for a full hub id or a short name (``llama-3.1-70b``), else ``None``."""
    entries, index = _bundled()
    norm = normalize_name(model_id)
    hit = index.get(norm)
    if hit is None and "/" in model_id:
        norm = normalize_name(model_id.split("/", 1)[1])
        hit = index.get(norm)
    if hit is None and norm.startswith("meta"):  # "Meta-Llama-3.1-8B", the name of older uploads
        hit = index.get(norm[4:])
    return entries[hit] if hit else None


def _read_json_file(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ModelLoadError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ModelLoadError(f"{str(path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{str(path)!r} must hold a JSON object, got {type(data).__name__}")
    # a catalog-style entry file is accepted too
    if "config" in data and "model_id" in data and isinstance(data["config"], dict):
        return data["config"]
    return data


def _local(model_id: str) -> CatalogEntry | None:
    path = Path(model_id).expanduser()
    if path.is_dir():
        path = path / "config.json"
        if not path.is_file():
            raise ModelLoadError(f"folder {str(path.parent)!r} has no config.json")
    elif not path.is_file():
        return None
    config = _read_json_file(path)
    name = config.get("_name_or_path") if isinstance(config.get("_name_or_path"), str) else None
    return CatalogEntry(
        model_id=name or str(path.parent.name if path.name == "config.json" else path.stem),
        config=config,
        source=f"local file {str(path)!r}",
    )


def _hub(model_id: str) -> tuple[CatalogEntry | None, str]:
    """Fetch config.json from the hub (cached by huggingface_hub); returns (entry, why-not)."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        return None, "Hugging Face hub (not tried: install the `hf` extra, pip install 'config-explorer[hf]')"
    try:
        path = hf_hub_download(
            repo_id=model_id,
            filename="config.json",
            token=os.environ.get("HF_TOKEN") or None,
            local_files_only=offline,
        )
    except Exception as exc:  # network, auth, missing repo: all mean "not from the hub"
        first = str(exc).splitlines()[0][:120] if str(exc) else ""
        mode = "cache only, HF_HUB_OFFLINE set" if offline else "online"
        return None, f"Hugging Face hub ({mode}; {type(exc).__name__}: {first})"
    config = _read_json_file(Path(path))
    return CatalogEntry(model_id=model_id, config=config, source=f"Hugging Face hub ({path})"), ""


def resolve_config(model_id: str) -> CatalogEntry:
    """Find a model's config: bundled catalog, then a local file/folder, then the hub.

    Raises :class:`UnknownModelError` naming every source tried when none has it.
    """
    if not isinstance(model_id, (str, os.PathLike)):
        raise ModelLoadError(f"model must be a hub id, a path, or a config mapping, got {model_id!r}")
    model_id = os.fspath(model_id)
    if not model_id.strip():
        raise ModelLoadError("model id is empty; pass a hub id such as 'meta-llama/Llama-3.1-8B' or a path")
    tried: list[str] = []
    entry = find_bundled(model_id)
    if entry is not None:
        return entry
    tried.append(f"bundled catalog ({len(_bundled()[0])} models)")
    local = _local(model_id)
    if local is not None:
        return local
    tried.append("local path (no such file or folder)")
    if "/" in model_id and not model_id.startswith((".", "/", "~")):
        hub, why = _hub(model_id)
        if hub is not None:
            return hub
        tried.append(why)
    else:
        tried.append("Hugging Face hub (not tried: hub ids look like 'org/name')")
    raise UnknownModelError(model_id, tried, closest(model_id, _bundled()[1]))
