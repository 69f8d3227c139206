"""The one expert-shape -> bundled-model map the MoE fitting scripts share (benchmarks/expert_shapes.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model

SHAPES = load_benchmark("expert_shapes")
TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.mark.parametrize("shape", sorted(SHAPES.EXPERT_SHAPE_MODELS))
def test_every_entry_is_its_bundled_models_expert_shape(shape: tuple[int, int, int, int]) -> None:
    """A shape names the model whose bundled config.json has exactly that hidden size, expert width, expert count and
    experts per token, so no script estimates a table's layer with another model's experts."""
    assert SHAPES.expert_shape(load_model(SHAPES.EXPERT_SHAPE_MODELS[shape])) == shape


def _tool_shapes(script: str) -> set[tuple[int, ...]]:
    """The (hidden, width, experts, top-k) tuples written in ``SHAPES`` of tools/``script`` (read, not imported: the
    extract tools need pandas and aiconfigurator's wheel)."""
    tree = ast.parse((TOOLS / script).read_text())
    found: set[tuple[int, ...]] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "SHAPES" for t in node.targets
        ):
            for inner in ast.walk(node.value):
                if isinstance(inner, ast.Tuple) and len(inner.elts) == 4:
                    value = ast.literal_eval(inner)
                    if all(isinstance(v, int) for v in value):
                        found.add(value)
    return found


@pytest.mark.parametrize(
    "script",
    [
        "extract_trtllm_fp4_moe_times.py",
        "extract_blackwell_block_fp8_moe_times.py",
        "extract_blackwell_triton_moe_times.py",
    ],
)
def test_the_extract_tools_keep_only_shapes_the_map_names(script: str) -> None:
    """Every expert shape an extract tool keeps from aiconfigurator's tables has its model in the shared map, so each
    layer the tools write can be estimated."""
    kept = _tool_shapes(script)
    assert kept, f"no SHAPES read in tools/{script}"
    assert kept <= set(SHAPES.EXPERT_SHAPE_MODELS)


def test_a_subset_names_models_the_map_holds() -> None:
    """``shape_models`` picks entries by model and refuses a name the map does not hold."""
    picked = SHAPES.shape_models("openai/gpt-oss-120b", "deepseek-ai/DeepSeek-V3")
    assert picked == {
        (2880, 2880, 128, 4): "openai/gpt-oss-120b",
        (7168, 2048, 256, 8): "deepseek-ai/DeepSeek-V3",
    }
    with pytest.raises(KeyError, match="deepseek-ai/DeepSeek-R2"):
        SHAPES.shape_models("deepseek-ai/DeepSeek-R2")
    assert SHAPES.row_shape(
        {"hidden_size": "7168", "moe_intermediate_size": "2048", "num_experts": "8", "topk": ""}
    ) == (
        7168,
        2048,
        8,
        0,
    )
