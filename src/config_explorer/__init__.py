"""config-explorer: which GPU, how many, and which layout to serve an LLM on, and what it will give.

The top-level package stays light: it imports no optional dependency and no backend. Start from
:mod:`config_explorer.recommender` (``recommend_gpus``, ``estimate_performance``) or the CLI
``config-explorer``.
"""

from __future__ import annotations

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.gpus import GPUSpec, get_gpu, list_gpus, register_gpu
from config_explorer.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigExplorerError,
    InfeasibleConfigurationError,
    InvalidArgumentError,
    InvalidModelConfigError,
    ModelLoadError,
    ParseError,
    UnknownGPUError,
    UnknownModelError,
    UnsupportedByBackendError,
    UpstreamReportedError,
)

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigExplorerError",
    "GPUSpec",
    "InfeasibleConfigurationError",
    "InvalidArgumentError",
    "InvalidModelConfigError",
    "ModelArchitecture",
    "ModelLoadError",
    "ParseError",
    "UnknownGPUError",
    "UnknownModelError",
    "UnsupportedByBackendError",
    "UpstreamReportedError",
    "__version__",
    "get_gpu",
    "list_gpus",
    "load_model",
    "register_gpu",
]
