"""``llm_optimizer.common`` of the test double: ``ModelConfig`` exactly as upstream documents it."""

from __future__ import annotations

from dataclasses import dataclass

#: model id -> ModelConfig that the "hub" knows; tests register entries (the double has no network)
HUB_CONFIGS: dict[str, ModelConfig] = {}


@dataclass
class ModelConfig:
    num_params: int
    num_layers: int
    hidden_dim: int
    num_heads: int
    num_kv_heads: int | None = None
    vocab_size: int = 32000
    inferred_precision: str = "fp16"

    def __post_init__(self) -> None:
        if self.num_kv_heads is None:
            self.num_kv_heads = self.num_heads


def get_precision_bytes_per_param(precision: str) -> int:
    """2 for fp16/bf16, 1 for fp8; anything else is a ValueError, as upstream."""
    if precision in ("fp16", "bf16"):
        return 2
    if precision == "fp8":
        return 1
    raise ValueError(f"Unsupported precision: {precision}")


def get_model_config_and_precision_from_hf(model_id: str) -> ModelConfig:
    """Upstream downloads config.json; the double answers from ``HUB_CONFIGS`` or fails like a download."""
    if not isinstance(model_id, str):
        raise TypeError(f"model_id must be str, got {type(model_id).__name__}")
    try:
        return HUB_CONFIGS[model_id]
    except KeyError:
        raise RuntimeError(
            f"Could not download or read config.json for {model_id}: the test double has no network"
        ) from None


def get_model_config_from_hf(model_id: str) -> ModelConfig:
    return get_model_config_and_precision_from_hf(model_id)
