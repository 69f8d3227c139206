"""Speculative decoding at the API's boundary: a method name or a config, checked against the model and engine.

A ``draft_model`` draft is named by its model id and sized here from its config (weights and KV per
token over the target's); it must be smaller than the target and share its vocabulary.
"""

from __future__ import annotations

import attrs

from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.engine.speculative import SpeculativeConfig, check_supported
from config_explorer.engine.traffic import SharedPrefix, Traffic
from config_explorer.errors import InvalidArgumentError

__all__ = ["checked_prefix", "resolve_speculative", "speculative_break_even"]


def _kv_values_per_token(arch: ModelArchitecture) -> float:
    return float(arch.num_attention_layers * arch.num_kv_heads * arch.head_dim)


def resolve_speculative(value: object, arch: ModelArchitecture, engine: str) -> SpeculativeConfig | None:
    """``None``, a method name (its defaults) or a :class:`SpeculativeConfig`, checked for ``arch`` on ``engine``."""
    if value is None:
        return None
    if isinstance(value, str):
        spec = SpeculativeConfig.of(value) if value != "draft_model" else None
        if spec is None:
            raise InvalidArgumentError(
                "speculative='draft_model' needs the draft: SpeculativeConfig.of('draft_model', draft_model=MODEL_ID)"
            )
    elif isinstance(value, SpeculativeConfig):
        spec = value
    else:
        raise InvalidArgumentError(
            f"speculative must be None, a method name or a SpeculativeConfig, got {short_repr(value)}"
        )
    check_supported(spec, arch.model_type, arch.model_id, engine)
    if spec.method == "draft_model" and spec.draft_model is not None and spec.draft_weight_fraction is None:
        draft = load_model(spec.draft_model)
        target_params = max(arch.total_params, 1)
        ratio = draft.total_params / target_params
        if ratio >= 1:
            raise InvalidArgumentError(
                f"the draft model {draft.model_id} ({draft.total_params / 1e9:.1f}B parameters) is not smaller than "
                f"the target {arch.model_id} ({target_params / 1e9:.1f}B); accepted: a smaller model of the same family"
            )
        if draft.vocab_size != arch.vocab_size:
            raise InvalidArgumentError(
                f"the draft model {draft.model_id} has a vocabulary of {draft.vocab_size:,} tokens, the target "
                f"{arch.model_id} {arch.vocab_size:,}; accepted: a draft sharing the target's tokenizer"
            )
        kv = _kv_values_per_token(draft) / max(_kv_values_per_token(arch), 1.0)
        spec = attrs.evolve(spec, draft_weight_fraction=ratio, draft_kv_fraction=min(kv, 0.99))
    return spec


def checked_prefix(value: object, input_length: int, traffic: Traffic | None = None) -> SharedPrefix | None:
    """``None`` or a :class:`SharedPrefix` shorter than every prompt (``input_length``, or ``traffic``'s)."""
    if value is None:
        return None
    if not isinstance(value, SharedPrefix):
        raise InvalidArgumentError(
            f"prefix must be a SharedPrefix (SharedPrefix.common(...)) or None, got {short_repr(value)}"
        )
    shortest = traffic.input_lengths.low if traffic is not None else input_length
    if value.length >= shortest:
        raise InvalidArgumentError(
            f"the shared prefix of {value.length} tokens is not shorter than the prompt ({shortest} tokens); "
            f"accepted: a prefix length below {shortest}"
        )
    return value


def speculative_break_even(
    model: ModelArchitecture | str,
    gpu: str,
    speculative: SpeculativeConfig | str,
    *,
    input_length: int,
    output_length: int,
    num_gpus: int = 1,
    tp: int | None = None,
    precision: str | None = None,
    engine: str = "vllm",
) -> int | None:
    """The decode batch (sequences per replica) from which speculative decoding makes decode slower.

    Compares a decode-only step's time per token at the workload's mean context with and without the
    draft, batch by batch (doubling, then bisecting): verification costs ``k + 1`` tokens per sequence, so
    once decode turns compute-bound the draft's guesses cost more than the steps they save. ``None``: it
    pays up to the engine's ``max_num_seqs``.
    """
    from config_explorer import validation
    from config_explorer.engine.deployment import plan_deployment

    arch = model if isinstance(model, ModelArchitecture) else load_model(model)
    canonical = validation.engine(engine)
    spec = resolve_speculative(speculative, arch, canonical)
    assert spec is not None
    spec_gpu = validation.gpu(gpu)
    common = {
        "num_gpus": num_gpus,
        "tp": tp or num_gpus,
        "precision": precision,
        "input_length": input_length,
        "output_length": output_length,
        "engine": canonical,
    }
    plain = plan_deployment(arch, spec_gpu, **common)
    drafted = plan_deployment(arch, spec_gpu, **common, speculative=spec)

    def slower(batch: int) -> bool:
        return drafted.step_s(float(batch), 0.0, 0.0) >= plain.step_s(float(batch), 0.0, 0.0)

    top = plain.max_num_seqs
    low, high = 0, 1
    while high <= top and not slower(high):
        low, high = high, high * 2
    if high > top:
        if not slower(top):
            return None
        high = top
    while high - low > 1:
        mid = (low + high) // 2
        if slower(mid):
            high = mid
        else:
            low = mid
    return high
