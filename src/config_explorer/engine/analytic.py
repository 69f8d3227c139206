"""The analytic steady state of continuous batching: the fast screen beside the simulator.

The workload is a closed loop: ``C`` requests always in flight, ``C / replicas`` per replica, each with
``I`` prompt and ``O`` output tokens. In steady state a replica has ``D`` sequences decoding; each step
emits one token for each, and new prompts arrive at ``D / (O - 1)`` per step. A prompt is prefilled in
chunks that fill the step's free token budget, so steps are of two kinds: decode-only steps, and steps
that also carry a chunk. With ``f`` the share of chunk steps,

    ITL  = (1 - f) * T_decode(D) + f * T_chunk(D)     the mean gap between a sequence's tokens
    rate = D / ((O - 1) * ITL)                        requests per second per replica
    TTFT = tau(D) + queueing                          tau: the prompt's own chunks, plus the front end
    C    = D + rate * TTFT                            Little's law over the prefill stage

``D`` is the largest value the scheduler allows (``max_num_seqs``, the step token budget, the KV
cache) that satisfies ``C >= D * (1 + tau / ((O - 1) * ITL))``; when a cap binds, the excess requests
queue and TTFT grows until Little's law holds. E2E = TTFT + (O - 1) * ITL, and output throughput
= C * O / E2E exactly.

Identical requests in a closed loop move in lockstep groups (the start-up burst fills whole chunks,
and each group finishes, is replaced and prefills together again), so a prompt is prefilled together
with the rest of its group: up to a chunk's worth of prompts. A loop of several groups returns them one
step apart, so each group but the first reaches the engine just after the step holding the group before
it was formed, and waits for all of that chunk step before its own; a loop that is one group (a lone
client among them) returns to an idle engine and waits for nothing. Decode-only steps touch the MoE experts
of their ``D`` tokens only; a chunk step's tokens touch many
more. Keeping the two kinds apart (rather than one step with the average prefill share) is what makes
low-concurrency MoE decoding right.

SGLang prefills before it decodes, so its identical requests move as one cohort instead: while every client
of the loop runs at once, they return together, are prefilled in a train of prompt-only steps and decode
together (:func:`_sglang_cohort`, which the simulator's runs agree with).

Percentiles: TTFT's waiting part is taken as exponential (p = tau + W * ln(1 / (1 - q))); ITL is the
two-point mix of decode-only and chunk steps; E2E adds the mean decode time to the TTFT percentile.
What this misses and the simulator sees: how cohorts form from arrivals that do not come in step (the
screen takes them either in full lockstep or, with ``lockstep=False``, at random), the start-up burst of a
closed-loop run, preemption when the KV cache overflows, and the spread of varying lengths.
``benchmarks/analytic_vs_simulated.py`` prints where the two differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

from config_explorer.engine.deployment import Deployment
from config_explorer.engine.metrics import Stats
from config_explorer.engine.roofline import StepTime

#: a step's seconds from its contents (decodes, prefill tokens, prompts), as ``Deployment.step_s``
StepSeconds = Callable[[float, float, float], float]

__all__ = ["SteadyState", "solve", "train_steps"]

#: the quantiles records carry beside the mean
QUANTILES: tuple[float, float, float, float] = (0.5, 0.9, 0.95, 0.99)
#: the co-arriving prompts a prompt's step is costed for are counted up to this share of their Poisson mass
POISSON_MASS = 0.999
#: a Poisson count of a larger mean is taken as normal, at these standard scores of :data:`QUANTILES`
POISSON_NORMAL_ABOVE = 50.0
NORMAL_QUANTILES: tuple[float, float, float, float] = (0.0, 1.2815516, 1.6448536, 2.3263479)


@attrs.frozen
class SteadyState:
    """One replica's steady state at a closed-loop concurrency (seconds, per replica)."""

    decode_seqs: float
    decode_step: StepTime
    ttft_service_s: float
    ttft_s: float
    itl_s: float | None
    requests_per_s: float
    itl_decode_only_s: float
    itl_with_chunk_s: float
    chunk_fraction: float
    #: a cohort prefilled in a train of this many equal steps of ``train_step_s`` (:func:`_sglang_cohort`):
    #: its TTFTs spread evenly from ``ttft_service_s`` (the first step's) up, one step apart; 0: no train
    train_steps: int = 0
    train_step_s: float = 0.0
    #: prompts arriving at random (``solve(lockstep=False)``): TTFT's p50, p90, p95 and p99 less its mean before
    #: queueing (:func:`_random_arrival_spread`); None: taken as the mean (lockstep, or a prompt over a chunk)
    ttft_spread: tuple[float, float, float, float] | None = None
    #: prompts arriving at random: the standard deviation of a decode step's time from the decoding batch's own
    #: (the batch of requests in flight at random varies as a Poisson count does, ``sqrt(decode_seqs)``), seconds
    decode_spread_s: float = 0.0

    def ttft_stats(self) -> Stats:
        if self.train_steps:

            def step_of(q: float) -> float:
                # the prompt of rank q in the cohort is prefilled in step ceil(q n) of the train
                return self.ttft_service_s + (max(math.ceil(q * self.train_steps), 1) - 1) * self.train_step_s

            return Stats(self.ttft_s, step_of(0.5), step_of(0.9), step_of(0.95), step_of(0.99))
        wait = max(self.ttft_s - self.ttft_service_s, 0.0)
        spread = self.ttft_spread or (0.0, 0.0, 0.0, 0.0)

        def at(q: float, offset: float) -> float:
            return max(self.ttft_service_s + offset, 0.0) + wait * math.log(1.0 / (1.0 - q))

        return Stats(self.ttft_s, *(at(q, offset) for q, offset in zip(QUANTILES, spread, strict=True)))

    def tpot_stats(self, steps_per_request: int) -> Stats | None:
        """Each request's mean gap over its ``steps_per_request`` gaps. In lockstep every request sees the same
        share of chunk steps (all at the mean); arriving at random (``ttft_spread`` set), a request sees a Poisson
        number of them, ``steps_per_request x chunk_fraction`` on average, and its TPOT follows that count."""
        if self.itl_s is None:
            return None
        if self.ttft_spread is None or steps_per_request < 1 or self.chunk_fraction <= 0:
            return Stats(self.itl_s, self.itl_s, self.itl_s, self.itl_s, self.itl_s)
        expected = steps_per_request * self.chunk_fraction
        extra = (self.itl_with_chunk_s - self.itl_decode_only_s) / steps_per_request
        counts: list[float] = []
        if expected > POISSON_NORMAL_ABOVE:  # the normal approximation (and no underflow of exp(-expected))
            counts = [expected + z * math.sqrt(expected) for z in NORMAL_QUANTILES]
        else:
            chance = cumulative = math.exp(-expected)
            k = 0
            for q in QUANTILES:
                while cumulative < q:
                    k += 1
                    chance *= expected / k
                    cumulative += chance
                counts.append(float(k))
        # the mean stays the steady state's; each quantile moves with its count of chunk steps from the mean count,
        # and with the batch the request decodes in: averaged over its lifetime, the batch's variance is 2/3 of
        # that of any one step (requests in flight for a lifetime each: a triangular autocorrelation)
        batch = math.sqrt(2.0 / 3.0) * self.decode_spread_s
        return Stats(
            self.itl_s,
            *(
                self.itl_s + (count - expected) * extra + z * batch
                for count, z in zip(counts, NORMAL_QUANTILES, strict=True)
            ),
        )

    def itl_stats(self) -> Stats | None:
        if self.itl_s is None:
            return None

        def at(q: float, z: float) -> float:
            step = self.itl_with_chunk_s if self.chunk_fraction > 1.0 - q else self.itl_decode_only_s
            return step + z * self.decode_spread_s

        return Stats(self.itl_s, *(at(q, z) for q, z in zip(QUANTILES, NORMAL_QUANTILES, strict=True)))


def _cohort(dep: Deployment, concurrency: float, chunk: float) -> float:
    """Prompts that arrive together: a closed loop of identical requests moves in lockstep groups.

    The start-up burst admits ``chunk / I`` prompts per step; those finish in the same decode round and
    their successors arrive and prefill together again, so a prompt shares its chunk with the rest of
    its group (up to a full chunk, and never more than the clients in the loop).
    """
    return max(1.0, min(concurrency, chunk / dep.prefill_length))


def _chunk(dep: Deployment, decode_seqs: float) -> float:
    """The prompt tokens a step holds beside ``decode_seqs`` decodes: the budget they leave (at least 5% of it)."""
    budget = dep.step_token_budget
    return max(budget - decode_seqs, budget * 0.05)


def _random_cohort(decode_seqs: float, concurrency: float, steps_per_request: int) -> float:
    """The prompts a prompt arriving at random is prefilled with, itself included: those that arrived during the
    step before (the steady state's per-step share), never more than the requests in flight."""
    return min(1.0 + decode_seqs / steps_per_request, max(concurrency, 1.0))


def _fill(dep: Deployment, decode_seqs: float, chunk: float, cohort: float) -> float:
    """A chunk step's prompt tokens: at least a cohort's prompts (or the per-step prefill share when that is
    larger), up to the free budget."""
    prompt = dep.prefill_length
    return min(chunk, max(float(prompt) * cohort, decode_seqs * prompt / (dep.output_length - 1)))


def _prefill_service(
    dep: Deployment,
    step_s: StepSeconds,
    decode_seqs: float,
    mean_step: float,
    cohort: float = 1.0,
    groups: float = 0.0,
    passes: tuple[float, float, float] | None = None,
) -> tuple[float, float, float]:
    """(seconds to prefill one prompt alongside ``decode_seqs`` decodes, step time with a chunk, chunk size).

    ``passes`` (SGLang at random arrivals): its decode pass, prompt pass and the share of decode passes a prompt
    pass follows; a prompt then waits out the pass under way and is prefilled in a pass of its own."""
    # a loop that is one lockstep group has nothing else decoding while its prompts run (the mean decode count
    # is its own requests', averaged over their prefills); a prompt step's composition also decides whether it
    # replays a graph, so a lone prompt at the captured limit is not pushed over it by a fraction of a decode
    alone = 0.0 < groups <= 1.0
    beside = 0.0 if alone else decode_seqs
    chunk = _chunk(dep, beside)
    prompt = dep.prefill_length
    full_chunks = int(prompt // chunk)
    remainder = prompt - full_chunks * chunk
    group = min(chunk, prompt * cohort)
    with_chunk = step_s(0.0 if passes else beside, group, group / prompt)
    # on average a new request waits half a step for the next one to start; the front end adds its own time.
    # A loop of several lockstep groups returns them one step apart: each group but the first arrives just
    # after the step holding the group before it was formed, and waits for all of that chunk step
    wait = mean_step / 2
    if passes:  # the rest of the pass it lands in, the likelier the longer: E[T^2] / 2 E[T]
        decode_pass, prompt_pass, share = passes
        wait = (decode_pass**2 + share * prompt_pass**2) / (2.0 * (decode_pass + share * prompt_pass))
    # (``groups`` 0: arrivals at random; not where a prompt is longer than a chunk, which spreads its
    # group over steps)
    if groups and not full_chunks:
        if groups > 1.0:
            wait = ((groups - 1.0) * with_chunk + mean_step / 2) / groups
        else:  # the whole loop is one group: it returns to an idle engine
            wait = 0.0
    service = wait + dep.profile.request_overhead_ms * 1e-3
    if full_chunks:
        service += full_chunks * with_chunk
        if remainder > 0:
            service += step_s(beside, remainder, 1.0)
    else:
        service += with_chunk  # the whole prompt is one chunk
    return service, with_chunk, chunk


def _mean_step(
    dep: Deployment,
    step_s: StepSeconds,
    decode_seqs: float,
    chunk: float,
    cohort: float = 1.0,
    separate: bool = False,
) -> tuple[float, float, float, float]:
    """(mean step, decode-only step, chunk step, share of chunk steps) at ``decode_seqs`` decoding.

    A chunk step holds at least one prompt (or the per-step prefill share when that is larger), up to the
    free budget; the share of chunk steps is what keeps the prefill work per step at its steady value.
    ``separate``: the engine runs the prompts as a batch of their own before the decodes (SGLang), so the
    decoding sequences' gap holds both batches rather than one mixed step.
    """
    prompt = dep.prefill_length
    prefill_tokens = decode_seqs * prompt / (dep.output_length - 1)
    fill = _fill(dep, decode_seqs, chunk, cohort)
    decode_only = step_s(decode_seqs, 0.0, 0.0)
    if separate:
        with_chunk = decode_only + step_s(0.0, fill, fill / prompt)
    else:
        with_chunk = step_s(decode_seqs, fill, fill / prompt)
    share = min(1.0, prefill_tokens / fill) if fill > 0 else 0.0
    return (1.0 - share) * decode_only + share * with_chunk, decode_only, with_chunk, share


def _admission_wait(
    dep: Deployment, concurrency: float, decode_seqs: float, steps: tuple[float, float, float, float]
) -> float:
    """Mean seconds a new prompt waits on the engine's batching options before it can be prefilled.

    SGLang's ``--scheduler-recv-interval N``: a busy engine reads new requests every ``N`` decode steps
    and after every step that prefilled, so an arrival waits half the gap between reads (the half step
    :func:`_prefill_service` counts is the gap of one). TensorRT-LLM's batch waiting: the first held
    prompt waits until enough prompts have arrived to fill ``ratio x max_num_tokens`` with the decodes,
    or ``timeout_iters`` steps; the prompts arriving meanwhile wait less. An engine that forms each step
    while the last one runs (``EngineProfile.schedules_ahead``) reads an arrival after the next step was
    formed: a mean step more. An idle engine (a lone client) waits for none of these.
    """
    busy = min(1.0, max(concurrency - 1.0, 0.0))
    if busy == 0.0 or decode_seqs <= 0:
        return 0.0
    mean, decode_only, _, share = steps
    options = dep.options
    wait = mean if dep.profile.schedules_ahead else 0.0
    every = options.scheduler_recv_interval
    if every > 1:
        gap = min(float(every), 1.0 / share) if share > 0 else float(every)
        wait += max(gap - 1.0, 0.0) / 2.0 * decode_only
    if dep.holds_context:
        arrivals = decode_seqs / (dep.output_length - 1)  # prompts per step
        wanted = options.batch_wait_max_tokens_ratio * dep.max_num_batched_tokens - decode_seqs
        prompts = wanted / dep.prefill_length  # prompts that release the hold
        if prompts > 1.0:
            steps_held = min(float(options.batch_wait_timeout_iters), (prompts - 1.0) / arrivals)
            held = 1.0 + arrivals * steps_held
            wait += (steps_held + arrivals * steps_held**2 / 2.0) / held * decode_only
    return busy * wait


def _random_arrival_spread(
    prompt: float,
    chunk: float,
    fill: float,
    steps: tuple[float, float, float, float],
    prompts_per_s: float,
    separate: bool = False,
) -> tuple[float, float, float, float] | None:
    """TTFT's p50, p90, p95 and p99 less its mean, for a prompt arriving at random (None where it spans chunks).

    It waits out the rest of the step under way, which it is likelier to land in the longer it is (a decode-only
    or a chunk step, in proportion to the time each takes: uniform over that step), and is then prefilled in one
    step with the prompts that arrived during the same one (a Poisson number of them at the arrival rate). The
    step's time is affine in its prompt tokens, as the chunk step of :func:`_mean_step` (``fill`` tokens) gives
    it; prompts past the chunk wait for the next. The mixture of these uniform parts is exact to invert: its
    distribution function is piecewise linear. ``separate`` (SGLang): the engine runs decode passes and prompt
    passes apart, so a prompt lands in either kind of pass and is prefilled in a prompt pass of its own."""
    _, decode_only, with_chunk, share = steps
    if prompt > chunk or fill <= 0 or decode_only <= 0:
        return None
    slope = (with_chunk - decode_only) / fill
    # a prompt pass's time, or a mixed step's, is base + tokens x slope
    base = 0.0 if separate else decode_only
    if separate:
        pairs = ((1.0, decode_only), (share, with_chunk - decode_only))
    else:
        pairs = ((1.0 - share, decode_only), (share, with_chunk))
    kinds = [(p * length, length) for p, length in pairs if p > 0 and length > 0]
    total = sum(weight for weight, _ in kinds)
    parts: list[tuple[float, float, float]] = []  # (weight, low, width)
    for weight, length in kinds:
        lam = prompts_per_s * length
        chance, mass, k = math.exp(-lam), 0.0, 0
        while True:
            tokens = min(chunk, prompt * (1 + k))
            parts.append((weight / total * chance, base + tokens * slope, length))
            mass += chance
            if mass >= POISSON_MASS or tokens >= chunk:
                if mass < 1.0:  # the tail: as the last count
                    parts.append((weight / total * (1.0 - mass), base + tokens * slope, length))
                break
            k += 1
            chance *= lam / k
    mean = sum(w * (low + width / 2.0) for w, low, width in parts)
    # the mixture's distribution function at each edge, swept left to right: piecewise linear, its slope rising by
    # w / width where a part starts and falling by as much where it ends
    turns: dict[float, float] = {}
    for w, low, width in parts:
        turns[low] = turns.get(low, 0.0) + w / width
        turns[low + width] = turns.get(low + width, 0.0) - w / width
    edges = sorted(turns)
    levels, level, slope = [], 0.0, 0.0
    for i, x in enumerate(edges):
        if i:
            level += slope * (x - edges[i - 1])
        levels.append(level)
        slope += turns[x]
    out = []
    for q in QUANTILES:
        i = next((j for j, level in enumerate(levels) if level >= q), len(edges) - 1)
        if i == 0 or levels[i] <= levels[i - 1]:
            out.append(edges[i] - mean)
            continue
        x0, x1, c0, c1 = edges[i - 1], edges[i], levels[i - 1], levels[i]
        out.append(x0 + (q - c0) / (c1 - c0) * (x1 - x0) - mean)
    return out[0], out[1], out[2], out[3]


def train_steps(dep: Deployment, concurrency: float) -> int:
    """Prompt-only steps that prefill a cohort of ``concurrency`` prompts (per replica) at the step budget."""
    return max(math.ceil(concurrency * dep.prefill_length / dep.step_token_budget), 1)


def _sglang_cohort(dep: Deployment, concurrency: float) -> SteadyState | None:
    """SGLang's steady state when every client of the loop runs at once (None where they cannot).

    SGLang runs a prefill batch whenever a prompt waits, before any decode step, so the identical requests
    of a closed loop re-form one cohort: they return together, their prompts are prefilled in a train of
    ``n = ceil(C I / budget)`` prompt-only steps, and they decode together. The k-th step's prompts see
    their first token after ``k`` steps of the train (TTFT from the first step's up, evenly); a request's
    first gap after it also holds the rest of the train, so its mean gap is ``T_decode(C) + (n - 1) / 2
    T_chunk / (O - 1)``. The cohort arrives at an idle engine, which reads it at once: none of the waits
    that hold a busy engine's arrivals back apply. As the simulator runs the same scheduler, the two agree.
    """
    prompt = dep.prefill_length
    steps_per_request = dep.output_length - 1
    if dep.profile.scheduler != "sglang" or dep.speculative is not None or steps_per_request < 1:
        return None
    if concurrency > min(float(dep.running_limit), dep.kv_limit_steady):
        return None  # the excess queues behind a running batch: the steady state below does not hold
    overhead = dep.profile.request_overhead_ms * 1e-3
    n = train_steps(dep, concurrency)
    per_step = concurrency * prompt / n
    train_step = dep.step_s(0.0, per_step, per_step / prompt)
    decode_step = dep.step(concurrency, 0.0, 0.0)
    # the clients get a round of the batch's tokens no faster than the front end streams it
    decode_s = max(decode_step.total_s, concurrency * dep.frontend_token_s)
    stall = (n - 1) / 2.0 * train_step
    ttft = overhead + (n + 1) / 2.0 * train_step
    itl = decode_s + stall / steps_per_request
    rate = concurrency / (ttft + steps_per_request * itl)
    return SteadyState(
        concurrency,
        decode_step,
        overhead + train_step,
        ttft,
        itl,
        rate,
        decode_s,
        decode_s + stall,
        1.0 / steps_per_request,
        train_steps=n,
        train_step_s=train_step,
    )


def solve(dep: Deployment, concurrency: float, *, lockstep: bool = True) -> SteadyState:
    """Steady state of one replica carrying ``concurrency`` requests in flight.

    ``lockstep``: the loop's identical requests move together, as a benchmark's synchronized clients do
    (SGLang's cohort, the groups' waits above); False takes their arrivals at random, half a step's wait
    each, as the recommender's judge (Poisson arrivals) has them.
    """
    prompt = dep.prefill_length
    steps_per_request = dep.output_length - 1
    # cached prefixes' hits and misses make the requests differ, and they fall out of step
    lockstep = lockstep and not dep.cached_prompt_tokens
    together = _sglang_cohort(dep, concurrency) if lockstep else None
    if together is not None:
        return together
    if steps_per_request == 0:
        tokens = min(concurrency * prompt, float(dep.step_token_budget))
        step = dep.step(0.0, tokens, tokens / prompt)
        service = step.total_s + dep.profile.request_overhead_ms * 1e-3
        ttft = max(concurrency / (tokens / prompt / step.total_s), service)
        rate = (
            concurrency / ttft
        )  # Little's law: the GPU's prefill rate, or fewer when the front end paces it
        return SteadyState(0.0, step, service, ttft, None, rate, step.total_s, step.total_s, 1.0)

    cap = min(
        concurrency,
        float(dep.running_limit),
        dep.kv_limit_steady,
        dep.step_token_budget * steps_per_request / (steps_per_request + prompt),
    )
    cap = max(cap, min(1.0, concurrency))
    frontend = dep.frontend_token_s
    holds_back = dep.options.scheduler_recv_interval > 1 or dep.holds_context or dep.profile.schedules_ahead
    # arriving at random, SGLang prefills each arrival's prompt in a batch of its own between decode steps
    separate = not lockstep and dep.profile.scheduler == "sglang"
    # the fixed point and the final figures evaluate the same few steps again: each is costed once
    seen: dict[tuple[float, float, float], float] = {}

    def step_s(decode_seqs: float, prefill_tokens: float, prefill_seqs: float) -> float:
        key = (decode_seqs, prefill_tokens, prefill_seqs)
        if key not in seen:
            seen[key] = dep.step_s(decode_seqs, prefill_tokens, prefill_seqs)
        return seen[key]

    def evaluate(decode_seqs: float) -> tuple[tuple[float, float, float, float], float]:
        """(:func:`_mean_step`'s figures, prefill service time) at ``decode_seqs`` decoding."""
        chunk = _chunk(dep, decode_seqs)
        # in lockstep a prompt shares its step with its group; arriving at random, with the prompts that arrived
        # during the step before
        if lockstep:
            cohort = _cohort(dep, concurrency, chunk)
        else:
            cohort = _random_cohort(decode_seqs, concurrency, steps_per_request)
        steps = _mean_step(dep, step_s, decode_seqs, chunk, cohort, separate)
        groups = concurrency / cohort if lockstep else 0.0
        passes = (steps[1], steps[2] - steps[1], steps[3]) if separate else None
        service, _, _ = _prefill_service(dep, step_s, decode_seqs, steps[0], cohort, groups, passes)
        # (one group of identical requests returns to an idle engine, which reads it at once)
        if holds_back and (concurrency > cohort or not lockstep):
            service += _admission_wait(dep, concurrency, decode_seqs, steps)
        if frontend:  # the clients get a round of the batch's tokens no faster than the front end streams it
            _, decode_only, with_chunk, share = steps
            floor = decode_seqs * frontend
            decode_only, with_chunk = max(decode_only, floor), max(with_chunk, floor)
            steps = ((1.0 - share) * decode_only + share * with_chunk, decode_only, with_chunk, share)
        return steps, service

    # Fixed point D = C * sT / (sT + tau): tau/(sT) varies slowly with D, so this contracts fast. The
    # figures are those of the last point evaluated, which is within the tolerance of the fixed point.
    decode_seqs = cap
    for _ in range(40):
        steps, service = evaluate(decode_seqs)
        decode_time = steps_per_request * steps[0]
        target = min(cap, concurrency * decode_time / (decode_time + service))
        if abs(target - decode_seqs) <= 1e-4 * max(decode_seqs, 1.0):
            break
        decode_seqs = target
    else:
        steps, service = evaluate(decode_seqs)
    mean, decode_only, with_chunk, share = steps
    ttft = max(service, (concurrency - decode_seqs) / (decode_seqs / (steps_per_request * mean)))
    spread, decode_spread = None, 0.0
    if not lockstep and decode_seqs > 0:
        chunk = _chunk(dep, decode_seqs)
        fill = _fill(dep, decode_seqs, chunk, _random_cohort(decode_seqs, concurrency, steps_per_request))
        prompts_per_s = decode_seqs / (steps_per_request * mean)
        spread = _random_arrival_spread(prompt, chunk, fill, steps, prompts_per_s, separate)
        # a decode step's time per sequence of its batch, where the batch varies by sqrt(D)
        wider, narrower = step_s(decode_seqs + 1.0, 0.0, 0.0), step_s(max(decode_seqs - 1.0, 0.0), 0.0, 0.0)
        per_sequence = max(wider - narrower, 0.0) / (decode_seqs + 1.0 - max(decode_seqs - 1.0, 0.0))
        decode_spread = math.sqrt(decode_seqs) * per_sequence
    # Little's law over the whole request, exactly: C requests each taking TTFT + (O - 1) gaps
    rate = concurrency / (ttft + steps_per_request * mean)
    return SteadyState(
        decode_seqs,
        dep.step(decode_seqs, 0.0, 0.0),
        service,
        ttft,
        mean,
        rate,
        decode_only,
        with_chunk,
        share,
        ttft_spread=spread,
        decode_spread_s=decode_spread,
    )
