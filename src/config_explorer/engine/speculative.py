"""Speculative decoding: what a decode step costs and yields when a draft proposes ``k`` tokens.

Each decode step of a sequence runs the draft ``k`` times (one proposed token each), then the target
model verifies the ``k`` proposals and one token of its own in a single pass over ``k + 1`` tokens per
sequence. Draft position ``j`` is accepted with probability ``a_j`` given the earlier ones were, and the
step ends at the first rejection with the target's own token, so a step yields on average

    tokens per step  E = 1 + sum_{j=1..k} prod_{i<=j} a_i

(Leviathan et al., arXiv 2211.17192; with one rate ``a`` for every position, ``(1 - a^(k+1)) / (1 - a)``).
Output token counts are unchanged: speculative decoding samples from the target's distribution.

The draft's cost, per draft pass over ``D`` sequences:

* ``eagle`` / ``eagle3`` heads: about one decoder layer of the target plus an lm_head;
* ``mtp`` (DeepSeek's multi-token-prediction module): one layer of the model (MoE or dense) plus the
  shared lm_head;
* ``draft_model``: a smaller model of the same family, its weights over the target's;
* ``ngram``: a lookup in the prompt on the host, no GPU work (a fixed host time per step).

A head's or module's pass is timed as that weight share of a target decode step at the same batch and
context (decode is read-bound, so time follows bytes read). The verification pass is a step whose
``D (k + 1)`` tokens run through every GEMM, whose ``D`` sequences read their KV once, and whose query-key
pairs count every verified token against its context; it runs in CUDA graphs, as vLLM and SGLang capture
uniform decode batches. The simulator counts one token per sequence per decode round, so a round is
charged a ``1 / E`` share of a speculative step: per-token times (ITL, TPOT) and throughput follow.
Memory holds the draft's weights and its KV (one layer's worth per token for heads and MTP).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any, Final

import attrs

from config_explorer._util import short_repr
from config_explorer.engine.calibration import EngineProfile
from config_explorer.engine.layout import ShardCosts
from config_explorer.engine.roofline import Rates, StepCost, StepTime
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "ENGINE_METHODS",
    "MAX_SPECULATIVE_TOKENS",
    "MTP_MODEL_TYPES",
    "SPECULATIVE_METHODS",
    "SpeculativeConfig",
    "SpeculativeStepCost",
    "check_supported",
    "method_defaults",
    "ngram_host_ms",
]

SPECULATIVE_METHODS: Final = ("eagle3", "eagle", "mtp", "ngram", "draft_model")
#: engines cap their draft length far below this; past it the verification pass is a prefill
MAX_SPECULATIVE_TOKENS: Final = 16


@functools.cache
def _table() -> dict[str, Any]:
    text = (resources.files("config_explorer") / "data" / "speculative.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def method_defaults(method: str) -> tuple[int, tuple[float, ...], str]:
    """``(k, per-position acceptance, source)`` of ``method`` from the data table (``data/speculative.json``)."""
    entry = _table()["methods"][_method(method)]
    return (
        int(entry["num_speculative_tokens"]),
        tuple(float(a) for a in entry["acceptance_rate"]),
        entry["source"],
    )


def _method(method: object) -> str:
    if not isinstance(method, str) or method.lower().replace("-", "_") not in SPECULATIVE_METHODS:
        raise InvalidArgumentError(
            f"unknown speculative method {short_repr(method)}; accepted: {', '.join(SPECULATIVE_METHODS)}"
        )
    return method.lower().replace("-", "_")


def _rate(value: object) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not 0 < value <= 1:  # type: ignore[operator]
        raise InvalidArgumentError(f"acceptance rates must be numbers in (0, 1], got {short_repr(value)}")
    return float(value)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class SpeculativeConfig:
    """Speculative decoding: the draft method, its tokens per step, and their acceptance.

    Build it with :meth:`of`, which fills what is left open from the method's published defaults.
    ``draft_weight_fraction`` / ``draft_kv_fraction`` size a ``draft_model`` draft against the target
    (its weights and its KV per token over the target's); heads and MTP are sized from the target.
    """

    method: str
    num_speculative_tokens: int
    #: conditional acceptance rate of each draft position (``num_speculative_tokens`` of them)
    acceptance_rate: tuple[float, ...]
    draft_model: str | None = None
    draft_weight_fraction: float | None = None
    draft_kv_fraction: float | None = None

    def __attrs_post_init__(self) -> None:
        _method(self.method)
        k = self.num_speculative_tokens
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_SPECULATIVE_TOKENS:
            raise InvalidArgumentError(
                f"num_speculative_tokens must be an integer in [1, {MAX_SPECULATIVE_TOKENS}], got {short_repr(k)}"
            )
        if len(self.acceptance_rate) != k:
            raise InvalidArgumentError(
                f"acceptance_rate has {len(self.acceptance_rate)} positions for num_speculative_tokens={k}; "
                "accepted: one rate for every position, or a single mean rate"
            )
        for a in self.acceptance_rate:
            _rate(a)
        for name in ("draft_weight_fraction", "draft_kv_fraction"):
            f = getattr(self, name)
            if f is not None and (isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 <= f < 1):
                raise InvalidArgumentError(
                    f"{name} must be in [0, 1) (a draft smaller than the target), got {short_repr(f)}"
                )
        if self.method == "draft_model" and self.draft_weight_fraction is None and self.draft_model is None:
            raise InvalidArgumentError(
                "method 'draft_model' needs the draft's size: pass draft_model (a model id) to the estimate, or "
                "draft_weight_fraction"
            )

    @classmethod
    def of(
        cls,
        method: str,
        num_speculative_tokens: int | None = None,
        acceptance_rate: float | Sequence[float] | None = None,
        **kw: Any,
    ) -> SpeculativeConfig:
        """``method`` with its defaults for whatever is None; a single acceptance rate applies to every position."""
        name = _method(method)
        default_k, default_rates, _ = method_defaults(name)
        k = default_k if num_speculative_tokens is None else num_speculative_tokens
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_SPECULATIVE_TOKENS:
            raise InvalidArgumentError(
                f"num_speculative_tokens must be an integer in [1, {MAX_SPECULATIVE_TOKENS}], got {short_repr(k)}"
            )
        if acceptance_rate is None:
            # the method's rates, the last one repeated past its table
            rates = tuple(default_rates[min(j, len(default_rates) - 1)] for j in range(k))
        elif isinstance(acceptance_rate, (int, float)) and not isinstance(acceptance_rate, bool):
            rates = (_rate(acceptance_rate),) * k
        elif isinstance(acceptance_rate, Sequence) and not isinstance(acceptance_rate, (str, bytes)):
            rates = tuple(_rate(a) for a in acceptance_rate)
        else:
            raise InvalidArgumentError(
                f"acceptance_rate must be a number in (0, 1] or one per position, got {short_repr(acceptance_rate)}"
            )
        return cls(method=name, num_speculative_tokens=k, acceptance_rate=rates, **kw)

    @property
    def tokens_per_step(self) -> float:
        """Expected tokens a decode step yields: ``1 + sum_j prod_{i<=j} a_i``."""
        total, run = 1.0, 1.0
        for a in self.acceptance_rate:
            run *= a
            total += run
        return total

    def weight_fraction(self, costs: ShardCosts) -> float:
        """The draft's weights over the target's on one GPU (and its share of a decode step's time)."""
        if self.method == "ngram":
            return 0.0
        if self.method == "draft_model":
            if self.draft_weight_fraction is None:
                raise InvalidArgumentError(
                    f"the draft model {self.draft_model!r} is not sized: estimate through estimate_performance, "
                    "which reads its config, or pass draft_weight_fraction"
                )
            return self.draft_weight_fraction
        resident = max(costs.resident_weight_bytes, 1.0)
        layer = max(resident - costs.lm_head_bytes, 0.0) / max(costs.layers, 1)
        return min((layer + costs.lm_head_bytes) / resident, 1.0)

    def kv_fraction(self, costs: ShardCosts) -> float:
        """The draft's KV per token over the target's (one layer of it for heads and MTP)."""
        if self.method == "ngram":
            return 0.0
        if self.method == "draft_model":
            return self.draft_kv_fraction or 0.0
        return 1.0 / max(costs.layers, 1)


def ngram_host_ms() -> float:
    """Host time of one n-gram proposal step (an assumption, stated in ``data/speculative.json``)."""
    return float(_table()["ngram_host_ms"]["value"])


class SpeculativeStepCost(StepCost):
    """:class:`StepCost` for a deployment that decodes speculatively.

    ``time`` is per decode round (one token per decoding sequence): a speculative step's time over the
    tokens it yields. A step that also carries prompt chunks is charged the chunks' extra time in full.
    """

    __slots__ = ("_draft_fraction", "_host_s", "_k", "_per_token", "spec")
    #: a speculative step with DP attention is costed on an even share of its prompt chunks
    costs_groups = False

    def __init__(
        self, costs: ShardCosts, rates: Rates, profile: EngineProfile, spec: SpeculativeConfig
    ) -> None:
        super().__init__(costs, rates, profile)
        self.spec = spec
        self._k = spec.num_speculative_tokens
        self._per_token = 1.0 / spec.tokens_per_step
        self._draft_fraction = spec.weight_fraction(costs)
        self._host_s = ngram_host_ms() * 1e-3 if spec.method == "ngram" else 0.0

    def _speculative(
        self, d: float, kv: float, kvw: float, prefill: float, pairs: float, pairs_w: float, sampled: float
    ) -> tuple[float, float, float, float, float, float, float]:
        """The verification pass's contents: ``k`` more tokens per decoding sequence, each attending its context."""
        k = self._k
        context = kv / d
        windowed = kvw / d
        extra = d * k
        own = d * k * (k + 1) / 2  # the verified tokens' pairs among themselves
        return (
            d,
            kv,
            kvw,
            prefill + extra,
            pairs + extra * context + own,
            pairs_w + extra * windowed + own,
            sampled + extra,
        )

    def _draft(self, d: float, kv: float, kvw: float) -> float:
        if self._host_s or not self._draft_fraction:
            return self._host_s
        return self._k * self._draft_fraction * super().time(d, kv, kvw, 0.0, 0.0, 0.0, d)

    def _decode_step(self, d: float, kv: float, kvw: float) -> float:
        """A speculative decode-only step: the draft's passes and one verification pass."""
        # the verification pass replays CUDA graphs however many tokens it carries
        verify = self._terms(*self._speculative(d, kv, kvw, 0.0, 0.0, 0.0, d), graphed=True)[0]
        return verify + self._draft(d, kv, kvw)

    def time(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
    ) -> float:
        d = decode_seqs
        if d <= 0:
            return super().time(0.0, 0.0, 0.0, prefill_tokens, prefill_pairs, prefill_pairs_windowed, sampled)
        alone = self._decode_step(d, kv_tokens, kv_tokens_windowed)
        if prefill_tokens <= 0:
            return alone * self._per_token
        # the chunks' extra time in full, the speculative decode's share per token of progress
        contents = self._speculative(
            d, kv_tokens, kv_tokens_windowed, prefill_tokens, prefill_pairs, prefill_pairs_windowed, sampled
        )
        mixed = super().time(*contents) + self._draft(d, kv_tokens, kv_tokens_windowed)
        return mixed - alone * (1.0 - self._per_token)

    def decode_step_s(self, decode_seqs: float, kv_tokens: float, kv_tokens_windowed: float) -> float:
        """One whole speculative decode step (draft and verification), seconds."""
        return self._decode_step(decode_seqs, kv_tokens, kv_tokens_windowed)

    def breakdown(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
    ) -> StepTime:
        """The verification pass's breakdown, with ``total_s`` per decode round as :meth:`time` gives it."""
        args = (
            decode_seqs,
            kv_tokens,
            kv_tokens_windowed,
            prefill_tokens,
            prefill_pairs,
            prefill_pairs_windowed,
        )
        if decode_seqs <= 0:
            return super().breakdown(*args, sampled)
        parts = super().breakdown(*self._speculative(*args, sampled))
        return attrs.evolve(parts, total_s=self.time(*args, sampled))


#: model types whose checkpoints carry multi-token-prediction modules (``num_nextn_predict_layers``,
#: ``mtp_num_hidden_layers``): DeepSeek-V3/R1, DeepSeek-V4 (one module; SGLang's DeepSeek-V4 cookbook drafts with it
#: as EAGLE, vLLM's recipe as MTP), Qwen3-Next, GLM-4.5, MiMo
MTP_MODEL_TYPES: Final = frozenset(
    {"deepseek_v3", "deepseek_v32", "deepseek_v4", "qwen3_next", "glm4_moe", "mimo"}
)
#: the methods each engine implements (vLLM ``vllm/config/speculative.py`` SpeculativeMethod; SGLang
#: ``--speculative-algorithm`` EAGLE, EAGLE3, NEXTN, NGRAM, STANDALONE; TensorRT-LLM's speculative configs
#: Eagle3, MTP, NGram, DraftTarget)
ENGINE_METHODS: Final = {
    "vllm": frozenset(SPECULATIVE_METHODS),
    "sglang": frozenset(SPECULATIVE_METHODS),
    "trtllm": frozenset({"eagle3", "mtp", "ngram", "draft_model"}),
}


def check_supported(spec: SpeculativeConfig, model_type: str, model_id: str, engine: str) -> None:
    """Raise when ``engine`` cannot run ``spec`` for the model, naming what it accepts."""
    name = engine.partition("==")[0]
    accepted = ENGINE_METHODS.get(name, frozenset(SPECULATIVE_METHODS))
    if spec.method not in accepted:
        raise InvalidArgumentError(
            f"{name} does not implement speculative method {spec.method!r}; accepted: {', '.join(sorted(accepted))}"
        )
    if spec.method == "mtp" and model_type not in MTP_MODEL_TYPES:
        raise InvalidArgumentError(
            f"speculative method 'mtp' needs a model with multi-token-prediction modules; {model_id} "
            f"(model_type {model_type!r}) has none; accepted model types: {', '.join(sorted(MTP_MODEL_TYPES))}"
        )
