"""What the simulated clients send: request lengths and how requests arrive.

Lengths are fixed, uniform over a range, or drawn from an empirical sample. The two benchmark
clients people use spell a range differently, and both spellings are here:

* ``vllm bench serve --random-range-ratio r``: lengths uniform over ``[floor(L (1 - r)), ceil(L (1 + r))]``
  (:meth:`Lengths.vllm_random`);
* ``sglang.bench_serving --random-range-ratio r``: uniform over ``[max(floor(L r), 1), L]``, so the default
  ``r = 0`` draws from ``[1, L]`` and the mean is about ``L / 2`` (:meth:`Lengths.sglang_random`).

A short benchmark run draws few lengths, so its mean and its longest request stray far from the
distribution's. ``sglang.bench_serving``'s random dataset is seeded, so its draws can be had exactly:
:func:`sglang_bench_random_lengths` gives the very lengths such a run sent, in the order it sent them
(:meth:`Lengths.sequence`).

Arrivals (:class:`Traffic`):

* ``closed_loop``: ``concurrency`` requests in flight; each completion sends the next (``--max-concurrency``);
* ``poisson``: requests arrive at ``request_rate`` per second, exponential gaps (``--request-rate``);
* ``offline``: every request queued at time zero, the engine forms its own batch (``--request-rate inf``,
  ``benchmark_throughput.py``, ``trtllm-bench throughput``); ``num_requests`` of them, so a static batch of
  ``N`` is an offline run of ``N`` requests.

Shared prefixes (:class:`SharedPrefix`): the first ``length`` tokens of a prompt are one of a few
shared texts (a chat system prompt, a RAG template), which an engine with prefix caching computes once
and reuses. Two benchmark datasets generate such prompts, and both spellings are here:

* vLLM's prefix-repetition dataset (vllm-project/vllm ``vllm/benchmarks/datasets.py``,
  ``PrefixRepetitionRandomDataset``: ``--prefix-repetition-prefix-len``, ``--prefix-repetition-num-prefixes``,
  each prompt one of ``num_prefixes`` random prefixes plus a random suffix): :meth:`SharedPrefix.distinct`;
* SGLang's generated-shared-prefix dataset (sgl-project/sglang ``python/sglang/bench_serving.py``,
  ``sample_generated_shared_prefix_requests``: ``--gsp-num-groups`` groups, each a system prompt of
  ``--gsp-system-prompt-len`` tokens shared by ``--gsp-prompts-per-group`` questions): also
  :meth:`SharedPrefix.distinct`, with ``num_prefixes`` the number of groups;
* a single prefix that a ``share`` of the requests carry (the rest have none): :meth:`SharedPrefix.common`.

Prefixes may be equally popular (both datasets) or Zipf-distributed (``zipf_s > 0``: prefix ``j`` is
drawn with weight ``1 / j^s``), the usual shape of template popularity in production traces.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Final

import attrs

from config_explorer._util import require_int_in, short_repr
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "ARRIVALS",
    "MAX_CONCURRENCY",
    "MAX_REQUEST_TOKENS",
    "MAX_SIMULATED_REQUESTS",
    "Lengths",
    "SharedPrefix",
    "Traffic",
    "parse_lengths",
    "sglang_bench_random_lengths",
]

ARRIVALS: Final = ("closed_loop", "poisson", "offline")
#: the simulator never takes on more requests than this per run (its work bound)
MAX_SIMULATED_REQUESTS: Final = 20_000
#: tokens a single request may have on either side (prompt or output); above any model's context
MAX_REQUEST_TOKENS: Final = 10_000_000
#: closed-loop clients: far past any deployment, and small enough that every figure stays a float
MAX_CONCURRENCY: Final = 100_000_000


def _positive_length(name: str, value: object) -> int:
    return require_int_in(name, value, MAX_REQUEST_TOKENS)


@attrs.frozen
class Lengths:
    """A distribution of token counts: ``fixed``, ``uniform`` (inclusive range), ``empirical`` (drawn
    with replacement), ``replay`` (each value once per pass, shuffled) or ``sequence`` (request ``i`` gets
    value ``i``, in order, starting over past the end)."""

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

    @classmethod
    def replay(cls, values: Sequence[int]) -> Lengths:
        """Each of ``values`` once per pass, in a shuffled order (a benchmark run's own lengths, so that
        a run of ``len(values)`` requests has exactly their mean); more requests start another pass."""
        drawn = cls.empirical(values)
        return drawn if drawn.kind == "fixed" else attrs.evolve(drawn, kind="replay")

    @classmethod
    def sequence(cls, values: Sequence[int]) -> Lengths:
        """Request ``i`` gets ``values[i]``, in the order given (a benchmark client's own draws, replayed
        request by request); more requests than values start the sequence over."""
        drawn = cls.empirical(values)
        return drawn if drawn.kind == "fixed" else attrs.evolve(drawn, kind="sequence")

    def shifted(self, tokens: int) -> Lengths:
        """Every length ``tokens`` longer: e.g. prompts as the engine prefills them once a chat template
        has wrapped each one (the benchmark clients count the raw prompt)."""
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
            raise InvalidArgumentError(
                f"a length shift must be a whole number of tokens >= 0, got {tokens!r}"
            )
        if not tokens:
            return self
        values = tuple(v + tokens for v in self.values)
        return attrs.evolve(self, low=self.low + tokens, high=self.high + tokens, values=values)

    @property
    def mean(self) -> float:
        if self.kind in ("empirical", "replay", "sequence"):
            return sum(self.values) / len(self.values)
        return (self.low + self.high) / 2

    def sample(self, rng: random.Random, count: int) -> list[int]:
        if self.kind == "fixed":
            return [self.low] * count
        if self.kind == "uniform":
            return [rng.randint(self.low, self.high) for _ in range(count)]
        if self.kind == "sequence":
            return [self.values[i % len(self.values)] for i in range(count)]
        if self.kind == "replay":
            drawn: list[int] = []
            while len(drawn) < count:
                batch = list(self.values)
                rng.shuffle(batch)
                drawn.extend(batch)
            return drawn[:count]
        return [rng.choice(self.values) for _ in range(count)]


#: the first ``sglang.bench_serving`` whose random dataset draws output lengths from at least 1, as it
#: draws prompt lengths (``compute_random_lens`` in python/sglang/bench_serving.py, 0.5.6.post2 wheel; the
#: 0.5.6 wheel's ``sample_random_requests`` draws outputs from ``int(L r)``, which is 0 at the default r)
SGLANG_BENCH_OUTPUT_FLOOR_SINCE: Final = "0.5.6.post2"
#: the seed ``sglang.bench_serving`` gives NumPy's global generator unless told (``--seed``)
SGLANG_BENCH_SEED: Final = 1


def numpy_legacy_randint(seed: int, ranges: Sequence[tuple[int, int, int]]) -> list[list[int]]:
    """What ``np.random.seed(seed)`` followed by ``np.random.randint(low, high + 1, size=n)`` for each
    ``(low, high, n)`` of ``ranges`` returns, in pure Python.

    NumPy's legacy generator is MT19937 seeded by Knuth's initialisation (``mt19937_seed``), and ``randint``
    over a span below 2^32 takes one 32-bit output per try, masks it to the span's bit width and retries
    while it exceeds the span (``random_bounded_uint64_fill``, ``use_masked``). Python's ``random`` runs the
    same MT19937, so only the seeding and the masking are written here.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise InvalidArgumentError(f"a NumPy seed must be an integer in [0, 2**32), got {short_repr(seed)}")
    key, x = [], seed
    for i in range(624):
        key.append(x)
        x = (1812433253 * (x ^ (x >> 30)) + i + 1) & 0xFFFFFFFF
    gen = random.Random()
    gen.setstate((3, (*key, 624), None))
    drawn: list[list[int]] = []
    for low, high, count in ranges:
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, count))
        if not ints or count < 0 or not 0 <= high - low < 0xFFFFFFFF:
            raise InvalidArgumentError(
                "each draw needs integers (low, high, count) with 0 <= high - low < 2**32 - 1 and count >= 0, "
                f"got {short_repr((low, high, count))}"
            )
        span = high - low
        if span == 0:  # a single value: NumPy takes no output for it
            drawn.append([low] * count)
            continue
        mask = (1 << span.bit_length()) - 1
        values: list[int] = []
        while len(values) < count:
            r = gen.getrandbits(32) & mask
            if r <= span:
                values.append(low + r)
        drawn.append(values)
    return drawn


def sglang_bench_random_lengths(
    input_len: int,
    output_len: int,
    num_prompts: int,
    range_ratio: float = 0.0,
    *,
    seed: int = SGLANG_BENCH_SEED,
    output_floor: int = 1,
) -> tuple[Lengths, Lengths]:
    """The prompt and output lengths ``python -m sglang.bench_serving --dataset-name random`` sends, in order.

    The client seeds NumPy's legacy generator with ``--seed`` (default 1) and draws every prompt length,
    then every output length, uniform over ``[max(int(L r), 1), L]`` (``sglang/bench_serving.py``). Before
    :data:`SGLANG_BENCH_OUTPUT_FLOOR_SINCE` the outputs' lower end was ``int(L r)`` with no floor of 1:
    pass ``output_floor=0`` for such a client. An output drawn as 0 (a request that only prefills) is
    planned as one token, the least a request makes here.
    """
    n_in, n_out = _positive_length("input_len", input_len), _positive_length("output_len", output_len)
    require_int_in("num_prompts", num_prompts, MAX_SIMULATED_REQUESTS)
    if output_floor not in (0, 1) or isinstance(output_floor, bool):
        raise InvalidArgumentError(f"output_floor must be 0 or 1, got {short_repr(output_floor)}")
    r = _ratio(range_ratio, upper=1.0, upper_open=False)
    prompts, outputs = numpy_legacy_randint(
        seed,
        [
            (max(int(n_in * r), 1), n_in, num_prompts),
            (max(int(n_out * r), output_floor), n_out, num_prompts),
        ],
    )
    return Lengths.sequence(prompts), Lengths.sequence([max(v, 1) for v in outputs])


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


def _share(value: object) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not 0 < value <= 1:  # type: ignore[operator]
        raise InvalidArgumentError(f"prefix share must be a number in (0, 1], got {short_repr(value)}")
    return float(value)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class SharedPrefix:
    """The shared prompt prefixes of a workload: their length, how many there are and how popular.

    Each request's prompt starts with prefix ``j`` (of ``num_prefixes``) with probability proportional to
    ``1 / j^zipf_s`` (``zipf_s = 0``: equally popular), or with no shared prefix at all with probability
    ``1 - share``. Its remaining prompt tokens are its own.
    """

    #: tokens of each shared prefix
    length: int
    num_prefixes: int = 1
    #: fraction of requests that carry a shared prefix
    share: float = 1.0
    zipf_s: float = 0.0

    def __attrs_post_init__(self) -> None:
        _positive_length("prefix length", self.length)
        require_int_in("num_prefixes", self.num_prefixes, MAX_SIMULATED_REQUESTS)
        _share(self.share)
        z = self.zipf_s
        if isinstance(z, bool) or not isinstance(z, (int, float)) or not math.isfinite(z) or not 0 <= z <= 10:
            raise InvalidArgumentError(f"zipf_s must be a number in [0, 10], got {short_repr(z)}")

    @classmethod
    def common(cls, length: int, share: float = 1.0) -> SharedPrefix:
        """One prefix (a chat system prompt) that ``share`` of the requests start with."""
        return cls(length=length, num_prefixes=1, share=_share(share))

    @classmethod
    def distinct(cls, length: int, num_prefixes: int, zipf_s: float = 0.0) -> SharedPrefix:
        """Every request starts with one of ``num_prefixes`` prefixes (vLLM prefix-repetition, SGLang gsp)."""
        return cls(length=length, num_prefixes=num_prefixes, zipf_s=zipf_s)

    def sample(self, rng: random.Random, count: int) -> list[int]:
        """Each request's prefix: an index in ``[0, num_prefixes)``, or -1 for none."""
        weights = [1.0 / (j + 1) ** self.zipf_s for j in range(self.num_prefixes)]
        picks = rng.choices(range(self.num_prefixes), weights=weights, k=count)
        if self.share >= 1.0:
            return picks
        return [p if rng.random() < self.share else -1 for p in picks]

    @property
    def steady_hit_share(self) -> float:
        """Requests whose prefix is served from the cache in steady state.

        The steady-state approximation the analytic screen uses: every prefix stays cached after its first
        use, so every request carrying one hits (the ``num_prefixes`` cold misses wash out over a long run)
        and eviction under KV pressure is ignored. The simulator measures the real rate.
        """
        return self.share


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
    #: shared prompt prefixes an engine with prefix caching reuses (None: every prompt is unique)
    prefix: SharedPrefix | None = None

    def __attrs_post_init__(self) -> None:
        if self.prefix is not None:
            if not isinstance(self.prefix, SharedPrefix):
                raise InvalidArgumentError(
                    f"prefix must be a SharedPrefix (SharedPrefix.common(...)), got {short_repr(self.prefix)}"
                )
            if self.prefix.length >= self.input_lengths.low:
                raise InvalidArgumentError(
                    f"the shared prefix of {self.prefix.length} tokens is not shorter than the shortest prompt "
                    f"({self.input_lengths.low} tokens); accepted: a prefix length below {self.input_lengths.low}"
                )
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
        behind one another. Left to choose its length, a run is four rounds of ``C`` (at least 200
        requests, at most 4,000) and describes the steady state: that start-up wave is left out of its
        latency statistics. A Poisson run left to choose its length starts with 500 requests and describes
        the steady state too (the simulator lengthens it to six rounds of the requests in flight and measures
        it between its filling up and its draining). Pass ``num_requests`` to replay a benchmark's
        ``--num-prompts`` exactly; the run is then measured whole, as the benchmark client measures it.
        """
        if self.num_requests is not None:
            return self.num_requests
        if self.arrival == "closed_loop":
            assert self.concurrency is not None
            return min(max(4 * self.concurrency, 200), 4000)
        if self.arrival == "poisson":
            return 500  # the first pass of a steady-state run: the simulator runs longer where it must
        return min(max(4 * default_concurrency, 500), MAX_SIMULATED_REQUESTS)
