"""One MoE layer's expert term (StepCost.moe_layer_terms), the piece benchmarks/moe_layers.py sets against
measured kernel times."""

from __future__ import annotations

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import plan_deployment


def _cost(model: str, gpu: str = "H200", tp: int = 1, ep: int = 1, precision: str | None = None):  # type: ignore[no-untyped-def]
    dep = plan_deployment(
        load_model(model),
        get_gpu(gpu),
        num_gpus=tp,
        tp=tp,
        ep=ep,
        precision=precision,
        input_length=1024,
        output_length=128,
    )
    return dep.step_cost


def test_a_dense_model_has_no_expert_term() -> None:
    assert _cost("meta-llama/Llama-3.1-8B-Instruct").moe_layer_terms(256.0) == (0.0, 0.0, 0.0)


def test_more_tokens_never_make_the_layer_shorter() -> None:
    for cost in (_cost("Qwen/Qwen3-30B-A3B"), _cost("deepseek-ai/DeepSeek-V3", tp=8, precision="fp8")):
        times = [cost.moe_layer_terms(float(n))[0] for n in (1, 2, 4, 16, 64, 256, 1024, 4096, 16384)]
        assert times == sorted(times)
        assert cost.moe_layer_terms(0.0) == (0.0, 0.0, 0.0)


def test_the_layer_takes_at_least_its_memory_and_its_compute_part() -> None:
    cost = _cost("mistralai/Mixtral-8x7B-v0.1", tp=2)
    for n in (1.0, 64.0, 4096.0):
        seconds, memory, compute = cost.moe_layer_terms(n)
        assert seconds >= max(memory, compute) > 0.0


def test_expert_and_tensor_parallel_ranks_stream_the_same_share_when_every_expert_is_busy() -> None:
    """At a large batch every expert is touched: an EP8 rank streams its 32 whole experts, a TP8 rank an
    eighth of all 256, the same bytes (at a small batch EP's busiest rank streams more: its load)."""
    tp = _cost("deepseek-ai/DeepSeek-V3", tp=8, precision="fp8")
    ep = _cost("deepseek-ai/DeepSeek-V3", tp=8, ep=8, precision="fp8")
    assert abs(ep.moe_layer_terms(16384.0)[1] / tp.moe_layer_terms(16384.0)[1] - 1.0) < 0.01
    assert ep.moe_layer_terms(8.0)[1] > tp.moe_layer_terms(8.0)[1]
