"""Nemotron-H blocks (Nemotron 3 Nano and Super): one mixer or one MLP a block, as ``hybrid_override_pattern``
lays them out, with squared-ReLU experts and, in Super, a latent MoE.

Until the pattern was read, these configs loaded as models whose every block was an attention layer with a gated
MLP: Nemotron 3 Nano counted 102B parameters instead of 31.6B, and its Mamba-2 blocks' state was nowhere.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.catalogs.models import find_bundled
from config_explorer.engine.deployment import plan_deployment
from config_explorer.errors import InvalidArgumentError, InvalidModelConfigError

NANO = "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"
SUPER = "nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-FP8"


def _plan(model: str = NANO, tp: int = 1, **knobs: Any) -> Any:
    return plan_deployment(
        load_model(model), get_gpu("H200"), num_gpus=tp, tp=tp, input_length=2048, output_length=256, **knobs
    )


def test_nano_blocks_by_hand() -> None:
    """52 blocks: 23 Mamba-2, 6 attention, 23 MoE; experts of an up and a down projection (relu2), a shared expert
    3,712 wide; 31.6B as NVIDIA counts it (the recipe's size class, 30B)."""
    arch = load_model(NANO)
    assert arch.num_layers == 52 and arch.num_blocks == 52
    assert arch.attention_kinds.count("mamba") == 23 and arch.attention_kinds.count("full") == 6
    assert arch.num_moe_layers == 23 and arch.mlp_kinds.count("none") == 29
    assert not arch.mlp_gated and arch.expert_matrices == 2
    assert arch.expert_params == 2 * 2688 * 1856
    assert arch.shared_expert_params_per_layer == 2 * 2688 * 3712
    assert arch.norm_params == 53 * 2688  # one norm a block and the final one
    assert arch.total_params == pytest.approx(31.6e9, rel=0.01)
    # each Mamba-2 block keeps a 32-bit state (mamba_ssm_cache_dtype): 64 heads x 64 x 128
    assert arch.mamba_ssm_dtype == "fp32"
    assert arch.kv_cache_bytes_per_token() == 6 * 2 * 2 * 128 * 2


def test_super_latent_moe() -> None:
    """Super's 512 experts work in a 1,024-wide latent; 120B and 12B as its recipe states."""
    arch = load_model(SUPER)
    assert arch.expert_hidden_size == 1024 and arch.expert_params == 2 * 1024 * 2688
    assert arch.native_precision == "fp8"
    assert arch.total_params == pytest.approx(120e9, rel=0.02)
    assert arch.active_params == pytest.approx(12e9, rel=0.03)
    costs = _plan(SUPER, 2, engine="vllm==0.17.1").costs
    assert costs.expert_hidden == 1024


def test_one_allreduce_a_block() -> None:
    """Under tensor parallelism each block's mixer or MLP output is all-reduced once: 52, not 2 x 52."""
    assert _plan(tp=2, engine="vllm==0.11.2").costs.allreduce_calls == 52


def test_vllm_releases_that_serve_them() -> None:
    """Nemotron 3's MoE blocks from vLLM 0.11.2, Super's latent MoE from 0.17.1 (their recipes)."""
    with pytest.raises(InvalidArgumentError, match=re.escape("0.11.2")):
        _plan(engine="vllm==0.10.2")
    with pytest.raises(InvalidArgumentError, match=re.escape("0.17.1")):
        _plan(SUPER, 2, engine="vllm==0.11.2")
    assert any("0.11.2" in w for w in _plan(engine="vllm").warnings)
    assert not any("Nemotron" in w for w in _plan(engine="vllm==0.11.2").warnings)


@pytest.mark.parametrize("pattern", ["MEME", "MEMEX" + "M" * 47, 52])
def test_bad_patterns_are_named(pattern: Any) -> None:
    entry = find_bundled(NANO)
    assert entry is not None
    config = copy.deepcopy(dict(entry.config))
    config["hybrid_override_pattern"] = pattern
    with pytest.raises(InvalidModelConfigError, match="hybrid_override_pattern"):
        ModelArchitecture.from_config(config)


def test_blocks_listed_by_name() -> None:
    """Newer Nemotron-H configs (Nemotron 3 Ultra, 3.5 Lightning) list the blocks by name in layers_block_type and
    may leave num_hidden_layers out: the same blocks as the pattern."""
    entry = find_bundled(NANO)
    assert entry is not None
    config = copy.deepcopy(dict(entry.config))
    names = {"M": "mamba", "*": "attention", "-": "mlp", "E": "moe"}
    config["layers_block_type"] = [names[c] for c in config.pop("hybrid_override_pattern")]
    del config["num_hidden_layers"]
    arch = ModelArchitecture.from_config(config)
    nano = load_model(NANO)
    assert (arch.attention_kinds, arch.mlp_kinds, arch.total_params) == (
        nano.attention_kinds,
        nano.mlp_kinds,
        nano.total_params,
    )
    config["layers_block_type"][0] = "ssm"
    with pytest.raises(InvalidModelConfigError, match="layers_block_type"):
        ModelArchitecture.from_config(config)
