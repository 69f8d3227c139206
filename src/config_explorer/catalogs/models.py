"""Where model config.json values come from: the bundled catalog, a local path, the hub.

The bundled catalog is package data: one JSON file per model under
``config_explorer/data/models/<org>/<name>.json`` holding the published config.json verbatim,
where it was read, and the parameter counts its model card states.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import errno
import functools
import json
import logging
import os
import re
import stat
import threading
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

import attrs

from config_explorer._files import PATH_QUOTE_CHARS, quote, read_json
from config_explorer._util import closest, normalize_name
from config_explorer.errors import ModelLoadError, UnknownModelError

__all__ = ["HUB_TIMEOUT_S", "CatalogEntry", "bundled_models", "find_bundled", "hub_access", "resolve_config"]

#: Longest wait for the Hugging Face hub, retries included.
HUB_TIMEOUT_S: Final = 10.0
# 'org/name' as the hub spells repository ids (each part at most 96 characters).
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
# difflib ratio above which an unknown id is taken for a typo of a bundled one: one or two characters
# off in a 20-40 character id ('Llama-3.1-8B-Instruc' scores 0.98; 'Llama-3.2-3B' vs '-1B' 0.91).
_TYPO_CUTOFF: Final = 0.9
_MAX_NAME_CHARS: Final = 200
_ID_QUOTE_CHARS: Final = 80
_HUB_ALLOWED: contextvars.ContextVar[bool | None] = contextvars.ContextVar("allow_hub", default=None)
_LOG = logging.getLogger("config_explorer")


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
    #: the engines load the checkpoint only with its own code trusted (the entry's ``launch`` says why)
    trust_remote_code: bool = False


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
        trust_remote_code=bool((data.get("launch") or {}).get("trust_remote_code", False)),
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
    data = read_json(path, what="model config", error=ModelLoadError)
    if not isinstance(data, dict):
        raise ModelLoadError(
            f"model config {quote(str(path), PATH_QUOTE_CHARS)} must hold a JSON object, got {type(data).__name__}"
        )
    # a catalog-style entry file is accepted too
    if "config" in data and "model_id" in data and isinstance(data["config"], dict):
        return data["config"]
    return data


#: the file TensorRT Model Optimizer (ModelOpt) 0.29 and earlier wrote a checkpoint's quantization to, beside
#: config.json; vLLM reads it when config.json has no ``quantization_config`` (``vllm/transformers_utils/config.py``,
#: ``get_config``: "ModelOpt 0.29.0 and before saves the quantization config in a separate hf_quant_config.json"),
#: and so does this catalog for a local folder or a hub id
MODELOPT_QUANT_FILE: Final = "hf_quant_config.json"


def with_modelopt_quantization(config: Mapping[str, Any], quant: object) -> Mapping[str, Any] | None:
    """``config`` with the quantization of a ModelOpt ``hf_quant_config.json`` (``quant``, its parsed content) as
    its ``quantization_config``; None where config.json states its own quantization (which wins, as in vLLM) or
    ``quant`` holds none. The file's ``quantization`` block (``quant_algo``, ``kv_cache_quant_algo``,
    ``exclude_modules``, ``group_size``) becomes a ``modelopt`` quantization config."""
    if "quantization_config" in config or "compression_config" in config or not isinstance(quant, Mapping):
        return None
    block = quant.get("quantization", quant)
    if not isinstance(block, Mapping) or not block.get("quant_algo"):
        return None
    return {**config, "quantization_config": {"quant_method": "modelopt", **block}}


def _name_in(config: Mapping[str, Any]) -> str | None:
    """``_name_or_path`` when it reads as a name (short, one line); anything else is not used as one."""
    name = config.get("_name_or_path")
    if isinstance(name, str) and 0 < len(name) <= _MAX_NAME_CHARS and name.isprintable():
        return name
    return None


def _local(model_id: str) -> tuple[CatalogEntry | None, str]:
    """The config at a local path (file, or folder holding config.json); (None, why not) otherwise."""
    path = Path(model_id)
    with contextlib.suppress(RuntimeError):  # '~user' of an unknown user: keep the path as given
        path = path.expanduser()
    shown = quote(model_id, PATH_QUOTE_CHARS)
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None, "local path (no such file or folder)"
    except PermissionError as exc:
        raise ModelLoadError(f"cannot read model config {shown}: permission denied") from exc
    except OSError as exc:  # ENAMETOOLONG, ELOOP: not a path that can name a file
        reason = "too long for a file name" if exc.errno == errno.ENAMETOOLONG else exc.strerror or "unusable"
        return None, f"local path ({reason})"
    except ValueError:  # a NUL character
        return None, "local path (not a usable path)"
    if stat.S_ISDIR(info.st_mode):
        path = path / "config.json"
        if not path.exists():
            raise ModelLoadError(f"folder {shown} has no config.json")
    config = _read_json_file(path)  # refuses FIFOs, devices, huge, binary and deeply nested files
    source = f"local file {quote(str(path), PATH_QUOTE_CHARS)}"
    beside = path.parent / MODELOPT_QUANT_FILE
    if path.name == "config.json" and beside.is_file():
        quantized = with_modelopt_quantization(
            config, read_json(beside, what="ModelOpt quantization config", error=ModelLoadError)
        )
        if quantized is not None:
            config, source = quantized, f"{source} with its {MODELOPT_QUANT_FILE}"
    return (
        CatalogEntry(
            model_id=_name_in(config) or str(path.parent.name if path.name == "config.json" else path.stem),
            config=config,
            source=source,
        ),
        "",
    )


def _offline_variable() -> str | None:
    """Which of huggingface_hub's / transformers' offline switches is set, if any."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on"):
            return variable
    return None


def _hub(model_id: str) -> tuple[CatalogEntry | None, str]:
    """Fetch config.json from the hub (cached by huggingface_hub); returns (entry, why-not).

    Offline mode (HF_HUB_OFFLINE=1 or TRANSFORMERS_OFFLINE=1) reads huggingface_hub's cache only.
    Online, one line on stderr (the ``config_explorer`` logger) says the hub is being asked, and the
    answer is waited for at most :data:`HUB_TIMEOUT_S` seconds, however huggingface_hub retries.
    """
    offline = _offline_variable()
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        return None, "Hugging Face hub (not tried: install the `hf` extra, pip install 'config-explorer[hf]')"
    shown = quote(model_id, _ID_QUOTE_CHARS)
    if not offline:
        _LOG.warning(
            "config-explorer: %s is not in the bundled catalog; fetching its config.json from the Hugging Face "
            "hub (at most %g s; set HF_HUB_OFFLINE=1 to never go online)",
            shown,
            HUB_TIMEOUT_S,
        )
    outcome: list[tuple[str | None, BaseException | None]] = []

    def fetch(filename: str) -> str:
        return str(
            hf_hub_download(
                repo_id=model_id,
                filename=filename,
                token=os.environ.get("HF_TOKEN") or None,
                local_files_only=offline is not None,
            )
        )

    quant_paths: list[str] = []

    def download() -> None:
        try:
            path = fetch("config.json")
        except Exception as exc:  # network, auth, missing repo: all mean "not from the hub"
            outcome.append((None, exc))
            return
        outcome.append((path, None))
        # ModelOpt's own quantization file, where the checkpoint has one; absent, unreadable or not in time (the
        # wait below is for both files), the config stands
        with contextlib.suppress(Exception):
            if "quantization_config" not in _read_json_file(Path(path)):
                quant_paths.append(fetch(MODELOPT_QUANT_FILE))

    # A thread, so that no retry loop or DNS timeout inside huggingface_hub can hold us past the limit.
    worker = threading.Thread(target=download, name="config-explorer-hub", daemon=True)
    worker.start()
    worker.join(HUB_TIMEOUT_S)
    mode = f"cache only, {offline} set" if offline else "online"
    if not outcome:
        return None, f"Hugging Face hub ({mode}; no answer within {HUB_TIMEOUT_S:g} s)"
    path, error = outcome[0]
    if path is None:
        text = str(error)
        first = text.splitlines()[0][:120] if text else ""
        return None, f"Hugging Face hub ({mode}; {type(error).__name__}: {first})"
    config = _read_json_file(Path(path))
    source = f"Hugging Face hub ({path})"
    if quant_paths and not worker.is_alive():
        quant = read_json(Path(quant_paths[0]), what="ModelOpt quantization config", error=ModelLoadError)
        quantized = with_modelopt_quantization(config, quant)
        if quantized is not None:
            config, source = quantized, f"{source} with its {MODELOPT_QUANT_FILE}"
    return CatalogEntry(model_id=model_id, config=config, source=source), ""


def _typo_of_bundled(model_id: str) -> list[str]:
    """Bundled ids one slip away from ``model_id`` ('Llama-3.1-8B-Instruc'), closest first.

    Ids that differ only in digits ('Mistral-7B-v0.2', 'Qwen3-9B') are other models, not typos.
    """
    entries, _index = _bundled()
    keys = {normalize_name(bundled): bundled for bundled in entries}
    wanted = normalize_name(model_id)
    hits = difflib.get_close_matches(wanted, list(keys), n=3, cutoff=_TYPO_CUTOFF)
    return [keys[hit] for hit in hits if not _differs_in_digits_only(wanted, hit)]


def _differs_in_digits_only(one: str, other: str) -> bool:
    changed = "".join(
        one[i1:i2] + other[j1:j2]
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, one, other).get_opcodes()
        if tag != "equal"
    )
    return all(char.isdigit() or char == "." for char in changed)


@contextlib.contextmanager
def hub_access(allowed: bool | None) -> Iterator[None]:
    """Within the block, resolve ids as if ``allow_hub=allowed`` were passed (the CLI's ``--hub``)."""
    token = _HUB_ALLOWED.set(allowed)
    try:
        yield
    finally:
        _HUB_ALLOWED.reset(token)


def resolve_config(model_id: str, *, allow_hub: bool | None = None) -> CatalogEntry:
    """Find a model's config: bundled catalog, then a local file/folder, then the hub.

    The hub is asked only for an id shaped like ``org/name`` that neither the catalog nor a local
    path knows, and then only when ``allow_hub`` is True, or when it is None (the default; see
    :func:`hub_access`) and huggingface_hub is installed, no offline switch is set and the id is not
    a near-miss of a bundled id (a typo is answered with the bundled id, without network).
    ``allow_hub=False`` never asks it.

    Raises :class:`UnknownModelError` naming every source tried when none has it.
    """
    if not isinstance(model_id, (str, os.PathLike)):
        raise ModelLoadError(
            f"model must be a hub id, a path, or a config mapping, got {type(model_id).__name__}"
        )
    model_id = os.fspath(model_id)
    if not model_id.strip():
        raise ModelLoadError("model id is empty; pass a hub id such as 'meta-llama/Llama-3.1-8B' or a path")
    if allow_hub is None:
        allow_hub = _HUB_ALLOWED.get()
    tried: list[str] = []
    entry = find_bundled(model_id)
    if entry is not None:
        return entry
    tried.append(f"bundled catalog ({len(_bundled()[0])} models)")
    local, why = _local(model_id)
    if local is not None:
        return local
    tried.append(why)
    typos = _typo_of_bundled(model_id)
    if allow_hub is False:
        tried.append("Hugging Face hub (not tried: allow_hub=False)")
    elif not _HUB_ID.fullmatch(model_id) or "--" in model_id or ".." in model_id:
        tried.append(
            "Hugging Face hub (not tried: hub ids look like 'org/name', letters, digits, '-', '_', '.')"
        )
    elif typos and allow_hub is None:
        tried.append(
            "Hugging Face hub (not tried: the id is a near-miss of a bundled one; pass --hub or "
            "allow_hub=True to look it up anyway)"
        )
    else:
        hub, why = _hub(model_id)
        if hub is not None:
            return hub
        tried.append(why)
    suggestions = [*typos, *closest(model_id, _bundled()[1])]
    raise UnknownModelError(model_id, tried, list(dict.fromkeys(suggestions))[:3])
