"""One exception hierarchy for everything config-explorer raises on purpose.

Catch :class:`ConfigExplorerError` to handle any of them; the subclasses say which
kind of input was at fault. Every message names the bad value and what would be
accepted, so the CLI can print it as a single line.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigExplorerError",
    "InfeasibleConfigurationError",
    "InvalidArgumentError",
    "InvalidModelConfigError",
    "ModelLoadError",
    "ParseError",
    "UnknownGPUError",
    "UnknownModelError",
    "UnsupportedByBackendError",
    "UpstreamReportedError",
]


class ConfigExplorerError(Exception):
    """Root of every error config-explorer raises deliberately."""


class InvalidArgumentError(ConfigExplorerError, ValueError):
    """An argument is out of range or of the wrong kind (the message names it)."""


class UnknownGPUError(ConfigExplorerError, LookupError):
    """A GPU name matches nothing in the catalog; ``suggestions`` holds the closest names."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f"; closest: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(
            f"unknown GPU {name!r}{hint} (run `config-explorer gpus` for the full list, "
            "or register your own spec with config_explorer.catalogs.gpus.register_gpu)"
        )


class ModelLoadError(ConfigExplorerError, ValueError):
    """A model's config.json could not be read or is not a usable architecture."""


class InvalidModelConfigError(ModelLoadError, InvalidArgumentError):
    """A model config, or a :class:`~config_explorer.architecture.ModelArchitecture` field, is missing,
    of the wrong kind or outside its physical range (the message names the field and the range).

    Both a :class:`ModelLoadError` (the config could not become an architecture) and an
    :class:`InvalidArgumentError` (the caller passed a bad value), so either ``except`` catches it.
    """


class UnknownModelError(ModelLoadError, LookupError):
    """No source (bundled catalog, local path, hub) knows the model id."""

    def __init__(self, model_id: str, tried: Sequence[str], suggestions: Sequence[str] = ()) -> None:
        self.model_id = model_id
        self.tried = tuple(tried)
        self.suggestions = tuple(suggestions)
        hint = f"; closest bundled: {', '.join(self.suggestions)}" if self.suggestions else ""
        shown = repr(model_id)
        if len(shown) > 80:  # an id may be anything typed or pasted: the message stays one readable line
            shown = shown[:79] + "…"
        super().__init__(
            f"unknown model {shown}: tried {'; '.join(self.tried)}{hint}. "
            "Pass the path of a local config.json (or of a folder holding one) instead."
        )


class InfeasibleConfigurationError(ConfigExplorerError):
    """A configuration cannot run: it does not fit in memory or breaks a layout rule."""


class BackendError(ConfigExplorerError):
    """An estimation backend failed; the original exception is chained as ``__cause__``."""


class BackendUnavailableError(BackendError):
    """A backend cannot be used here (not installed, or the wrong package installed)."""


class UnsupportedByBackendError(BackendError):
    """The backend cannot estimate this input (e.g. a GPU missing from its own table)."""


class ParseError(ConfigExplorerError, ValueError):
    """Text (an llm-optimizer report, an SLO string, a spec file) could not be parsed."""


class UpstreamReportedError(BackendError, ParseError):
    """llm-optimizer printed ``Error: ...`` instead of an estimate; ``upstream_message`` holds its words.

    A :class:`BackendError` (the backend failed) and a :class:`ParseError` (the text holds no estimate),
    so code written against either keeps catching it.
    """

    def __init__(self, message: str, *, upstream_message: str) -> None:
        super().__init__(message)
        self.upstream_message = upstream_message
