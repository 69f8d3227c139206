"""What the simulated clients send: request lengths and how requests arrive.

Lengths are fixed, uniform over a range, or drawn from an empirical sample. The two benchmark
clients people use spell a range differently, and both spellings are here:

* ``vllm bench serve --random-range-ratio r``: lengths uniform over ``[floor(L (1 - r)), ceil(L (1 + r))]``
  (:meth:`Lengths.vllm_random`);
* ``sglang.bench_serving --random-range-ratio r``: uniform over ``[max(floor(L r), 1), L]``, so the default
  ``r = 0`` draws from ``[1, L]`` and the mean is about ``L / 2`` (:meth:`Lengths.sglang_random`).

Arrivals (:class:`Traffic`):

* ``closed_loop``: ``concurrency`` requests in flight; each completion sends the next (``--max-concurrency``);
* ``poisson``: requests arrive at ``request_rate`` per second, exponential gaps (``--request-rate``);
* ``offline``: every request queued at time zero, the engine forms its own batch (``--request-rate inf``,
  ``benchmark_throughput.py``, ``trtllm-bench throughput``); ``num_requests`` of them, so a static batch of
  ``N`` is an offline run of ``N`` requests.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Final

import attrs

from config_explorer._util import short_repr
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "ARRIVALS",
    "MAX_CONCURRENCY",
    "MAX_REQUEST_TOKENS",
    "MAX_SIMULATED_REQUESTS",
    "Lengths",
    "Traffic",
    "parse_lengths",
]

ARRIVALS: Final = ("closed_loop", "poisson", "offline")
#: the simulator never takes on more requests than this per run (its work bound)
MAX_SIMULATED_REQUESTS: Final = 20_000
#: tokens a single request may have on either side (prompt or output); above any model's context
MAX_REQUEST_TOKENS: Final = 10_000_000
#: closed-loop clients: far past any deployment, and small enough that every figure stays a float
MAX_CONCURRENCY: Final = 100_000_000


def _positive_length(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REQUEST_TOKENS:
        raise InvalidArgumentError(
            f"{name} must be an integer in [1, {MAX_REQUEST_TOKENS:,}], got {short_repr(value)}"
        )
    return value


@attrs.frozen
class Lengths:
    """A distribution of token counts: ``fixed``, ``uniform`` (inclusive range) or ``empirical``."""

    kind: str
    low: int
    high: int
    values: tuple[int, ...] = ()

    @classmethod
    def fixed(cls, length: int) -> Lengths:
        n = _positive_length("length", length)
        return cls("fixed", n, n)

    @classmethod
    def uniform(cls, low: int, high: int) -> Lengths:
        lo, hi = _positive_length("low", low), _positive_length("high", high)
        if lo > hi:
            raise InvalidArgumentError(f"uniform lengths need low <= high, got low={lo}, high={hi}")
        return cls("fixed", lo, lo) if lo == hi else cls("uniform", lo, hi)

    @classmethod
    def vllm_random(cls, length: int, range_ratio: float = 0.0) -> Lengths:
        """``vllm bench serve --random-input-len L --random-range-ratio r``."""
        n = _positive_length("length", length)
        r = _ratio(range_ratio, upper=1.0, upper_open=True)
        return cls.uniform(max(math.floor(n * (1 - r)), 1), max(math.ceil(n * (1 + r)), 1))

    @classmethod
    def sglang_random(cls, length: int, range_ratio: float = 0.0) -> Lengths:
        """``sglang.bench_serving --random-input-len L --random-range-ratio r`` (default ``r = 0``: ``[1, L]``)."""
        n = _positive_length("length", length)
        r = _ratio(range_ratio, upper=1.0, upper_open=False)
        return cls.uniform(max(math.floor(n * r), 1), n)

    @classmethod
    def empirical(cls, values: Sequence[int]) -> Lengths:
        """Draw with replacement from ``values`` (e.g. the lengths of a real trace)."""
        if isinstance(values, (str, bytes)) or not values:
            raise InvalidArgumentError("empirical lengths need a non-empty sequence of integers")
        checked = tuple(_positive_length("each empirical length", v) for v in values)
        if min(checked) == max(checked):
            return cls.fixed(checked[0])
        return cls("empirical", min(checked), max(checked), checked)

    @property
    def mean(self) -> float:
        if self.kind == "empirical":
            return sum(self.values) / len(self.values)
        return (self.low + self.high) / 2

    def sample(self, rng: random.Random, count: int) -> list[int]:
        if self.kind == "fixed":
            return [self.low] * count
        if self.kind == "uniform":
            return [rng.randint(self.low, self.high) for _ in range(count)]
        return [rng.choice(self.values) for _ in range(count)]


def _ratio(value: float, *, upper: float, upper_open: bool) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or value > upper or (upper_open and value == upper):
        bound = f"[0, {upper:g})" if upper_open else f"[0, {upper:g}]"
        raise InvalidArgumentError(f"range_ratio must be a number in {bound}, got {value!r}")
    return float(value)


def parse_lengths(text: str, what: str = "length") -> Lengths:
    """``"512"`` (fixed), ``"256-768"`` (uniform, inclusive) or ``"100,200,350"`` (empirical)."""
    raw = text.strip()
    try:
        if "," in raw:
            return Lengths.empirical([int(part) for part in raw.split(",") if part.strip()])
        if "-" in raw.lstrip("-"):
            low, high = raw.split("-", 1)
            return Lengths.uniform(int(low), int(high))
        return Lengths.fixed(int(raw))
    except ValueError:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise InvalidArgumentError(
            f"cannot read {what} {shown!r}; accepted: N (fixed), LOW-HIGH (uniform) or N1,N2,... (empirical)"
        ) from None


@attrs.frozen(kw_only=True)
class Traffic:
    """Requests the clients send: their lengths, how they arrive, and how many."""

    input_lengths: Lengths
    output_lengths: Lengths
    arrival: str = "closed_loop"
    #: requests in flight (closed loop)
    concurrency: int | None = None
    #: requests per second (Poisson)
    request_rate: float | None = None
    #: requests in the run; ``None`` picks enough for a steady state (see :meth:`requests_to_simulate`)
    num_requests: int | None = None
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        if self.arrival not in ARRIVALS:
            raise InvalidArgumentError(f"unknown arrival {self.arrival!r}; accepted: {', '.join(ARRIVALS)}")
        if self.arrival == "closed_loop":
            c = self.concurrency
            if isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= MAX_CONCURRENCY:
                raise InvalidArgumentError(
                    f"a closed loop needs concurrency >= 1 (an integer up to {MAX_CONCURRENCY:,}), got {short_repr(c)}"
                )
        if self.arrival == "poisson":
            rate = self.request_rate
            ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and math.isfinite(rate)
            if not ok or rate is None or rate <= 0:
                raise InvalidArgumentError(
                    f"Poisson arrivals need a finite request_rate > 0 per second, got {rate!r} "
                    "(for every request at once use arrival='offline')"
                )
        n = self.num_requests
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise InvalidArgumentError(f"num_requests must be an integer >= 1, got {n!r}")
        if n is not None and n > MAX_SIMULATED_REQUESTS:
            raise InvalidArgumentError(
                f"num_requests={n:,} is above the simulator's bound of {MAX_SIMULATED_REQUESTS:,} requests "
                "per run; a few thousand already give a steady state"
            )

    @classmethod
    def closed_loop(cls, input_length: int, output_length: int, concurrency: int, **kw: object) -> Traffic:
        return cls(
            input_lengths=Lengths.fixed(input_length),
            output_lengths=Lengths.fixed(output_length),
            arrival="closed_loop",
            concurrency=concurrency,
            **kw,  # type: ignore[arg-type]
        )

    def requests_to_simulate(self, default_concurrency: int) -> int:
        """The run's request count: the stated one, or enough for the start-up burst to wash out.

        A closed loop starts with every client sending at once, so the first ``C`` requests queue
        behind one another; four rounds of ``C`` (at least 200 requests, at most 4,000) keep that
        start-up wave to a quarter of what is measured or less, and the run short. Pass
        ``num_requests`` to match a benchmark's ``--num-prompts`` exactly.
        """
        if self.num_requests is not None:
            return self.num_requests
        if self.arrival == "closed_loop":
            assert self.concurrency is not None
            return min(max(4 * self.concurrency, 200), 4000)
        if self.arrival == "poisson":
            return 500
        return min(max(4 * default_concurrency, 500), MAX_SIMULATED_REQUESTS)
