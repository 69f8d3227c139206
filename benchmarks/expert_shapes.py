"""The bundled MoE models by the shape of their experts, as the kernel tables name a layer.

NVIDIA aiconfigurator's tables (``data/moe_kernel_times.csv``, ``data/trtllm_fp4_moe_times.csv``,
``data/trtllm_gen_block_fp8_moe_times.csv``, ``data/triton_moe_times.csv``) identify a MoE layer by its hidden size,
expert intermediate size, experts and experts per token. The fitting and scoring scripts estimate each row with the
bundled model that has that shape; this is the one map they share. ``tests/test_expert_shapes.py`` checks every entry
against the bundled ``config.json`` and every shape the extract tools keep against this map.
"""

from __future__ import annotations

from config_explorer.architecture import ModelArchitecture

#: (hidden, expert intermediate, experts, experts per token)
Shape = tuple[int, int, int, int]

#: the experts' popularity spread (``plan_deployment(expert_popularity_cv=...)``) the kernel-table scripts estimate their
#: layers at: uniform routing, the routing every fit on the tables was made with (the tables route by their own
#: balanced or power-law draws, whatever traffic a deployment sees)
ROUTING = 0.0

#: each expert shape the kernel tables time -> the bundled model with it (DeepSeek-V3's shape is also R1's and V3.2's)
EXPERT_SHAPE_MODELS: dict[Shape, str] = {
    (2048, 512, 256, 8): "Qwen/Qwen3.5-35B-A3B",
    (2048, 768, 128, 8): "Qwen/Qwen3-30B-A3B",
    (2816, 704, 128, 8): "google/gemma-4-26B-A4B",
    (2880, 2880, 128, 4): "openai/gpt-oss-120b",
    (3072, 1024, 256, 8): "Qwen/Qwen3.5-122B-A10B",
    (3072, 1536, 256, 8): "MiniMaxAI/MiniMax-M2.5",
    (4096, 1024, 512, 10): "Qwen/Qwen3.5-397B-A17B",
    (4096, 1536, 128, 8): "Qwen/Qwen3-235B-A22B",
    (4096, 14336, 8, 2): "mistralai/Mixtral-8x7B-v0.1",
    (5120, 8192, 16, 1): "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    (5120, 8192, 128, 1): "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    (6144, 2048, 256, 8): "zai-org/GLM-5-FP8",
    (6144, 2560, 160, 8): "Qwen/Qwen3-Coder-480B-A35B-Instruct",
    (6144, 3072, 128, 4): "MiniMaxAI/MiniMax-M3",
    (6144, 16384, 8, 2): "mistralai/Mixtral-8x22B-v0.1",
    (7168, 2048, 256, 8): "deepseek-ai/DeepSeek-V3",
    (7168, 2048, 384, 8): "moonshotai/Kimi-K2-Instruct",
}


def expert_shape(arch: ModelArchitecture) -> Shape:
    """A model's expert shape as the kernel tables name it."""
    return (arch.hidden_size, arch.moe_intermediate_size, arch.num_experts, arch.num_experts_per_token)


def row_shape(row: dict[str, str]) -> Shape:
    """A kernel-table row's expert shape (its ``hidden_size``, ``moe_intermediate_size``, ``num_experts`` and
    ``topk`` columns)."""
    h, w, e, k = (int(row[c] or 0) for c in ("hidden_size", "moe_intermediate_size", "num_experts", "topk"))
    return h, w, e, k


def shape_models(*models: str) -> dict[Shape, str]:
    """The entries of :data:`EXPERT_SHAPE_MODELS` for ``models`` (a script that reads only some shapes of a
    table); a model the map does not hold is an error, so a typo cannot silently drop a shape."""
    unknown = set(models) - set(EXPERT_SHAPE_MODELS.values())
    if unknown:
        raise KeyError(f"not in EXPERT_SHAPE_MODELS: {', '.join(sorted(unknown))}")
    return {shape: model for shape, model in EXPERT_SHAPE_MODELS.items() if model in models}
