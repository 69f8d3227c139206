"""A step-level simulation of one serving engine's scheduler, the reference serving model.

Requests arrive (:mod:`config_explorer.engine.traffic`); each scheduler step the engine's policy
decides what the step holds (which sequences decode, which prompt chunks prefill, which requests are
admitted, preempted or retracted), the step's duration is the roofline cost of exactly those
contents (:class:`~config_explorer.engine.roofline.StepCost`), and the clock moves on. Per request
it records TTFT, E2E and TPOT; per step the inter-token gap every decoding sequence sees. Statistics
are then computed the way ``vllm bench serve`` computes them: TTFT from the client's send, TPOT per
request as ``(E2E - TTFT) / (output - 1)``, ITL over every inter-token gap, throughput as tokens over
the run's duration (first send to last completion).

Policies (each read from the engine's source; see :mod:`config_explorer.engine.calibration`):

* ``vllm`` (V1): every step first gives each running request its next tokens in admission order
  (one for a decode, the next chunk for a partial prefill), then admits waiting requests first come
  first served while the token budget, ``max_num_seqs`` and free KV blocks allow; a step that preempted
  admits none. Blocks are allocated as tokens are computed; a running request that cannot get a block
  preempts the most recently admitted request, which frees its blocks and goes back first in line.
  With prefix caching on, the full blocks it had computed keep their hashes in the free-block queue
  until they are handed out again (its last block first): readmitted, it recomputes only the tail it
  lost (:data:`VLLM_PREEMPTED_BLOCKS_STAY_CACHED`). Without prefix caching it recomputes from the start.
* ``sglang``: prefill and decode run as separate batches; a prefill batch (up to the chunked-prefill
  size) runs whenever a waiting request can be admitted, and admission reserves a decaying share
  (``new_token_ratio``) of every running request's remaining output. When a decode step cannot get
  its KV slots, requests are retracted (back to the queue, recomputed later) and the ratio resets.
* ``trtllm``: mixed steps as vLLM, but admission reserves the whole prompt plus output up front
  (``GUARANTEED_NO_EVICT``), so nothing is ever preempted.

The front end (vLLM's API server; ``frontend_token_s`` > 0) streams each output token in the order
the engine made them, one token at a time: a token reaches its client once every token made before it
has been streamed, a closed-loop client sends its next request when it holds the last token, and the
gap a client sees between tokens is at least the time to stream one round of the batch's tokens.

Prefix caching (a workload with :class:`~config_explorer.engine.traffic.SharedPrefix`): the full KV
blocks of a shared prefix are kept once computed, shared by every running request that starts with it
and, when no running request holds them, kept as evictable cache. Free blocks are taken first; when a
step needs more, cached prefixes nobody holds are evicted least recently used first (vLLM's free-block
queue hands out the least recently freed cached block first, ``vllm/v1/core/block_pool.py``; SGLang's
radix cache evicts LRU leaves, ``--radix-eviction-policy lru``), so the hit rate falls as running requests'
KV presses on the cache. An admitted request whose prefix is cached starts with those tokens computed:
its prefill skips them, but its chunks still attend to them (the query-key pairs count the whole
context). A request publishes its prefix blocks once its prefill has computed them. The run reports the
hit rate as vLLM's metrics do: prompt tokens served from the cache over prompt tokens admitted.

Speed: between events (an arrival, a completion, a prompt chunk, running out of KV blocks) every
step decodes the same sequences with contexts one token longer, so runs of such steps are taken at
once. A step's time is affine in the total context, so the run's time is exact at its mean context.
KV blocks are counted exactly: decoding sequences are grouped by the step at which each next needs
a new block (its phase modulo the block size).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, OrderedDict, deque
from typing import Final

import attrs

from config_explorer.engine.layout import windowed_context
from config_explorer.engine.metrics import Stats
from config_explorer.engine.roofline import StepCost
from config_explorer.engine.traffic import MAX_SIMULATED_REQUESTS, Traffic
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "MAX_SIMULATED_STEPS",
    "SchedulerConfig",
    "SimulationResult",
    "simulate",
]

#: the simulator's work bound: scheduler steps evaluated per replica run
MAX_SIMULATED_STEPS = 400_000
#: vLLM V1 (0.10.2, 0.11.0) with prefix caching on keeps a preempted request's full blocks cached: ``Scheduler.schedule``
#: frees its blocks (``KVCacheManager.free``, vllm/v1/core/sched/scheduler.py) and ``SingleTypeKVCacheManager.free``
#: appends them to the tail of the free-block queue last block first (vllm/v1/core/single_type_kv_cache_manager.py),
#: their hashes kept; ``BlockPool.get_new_blocks`` hands blocks out from the head and drops a block's hash only then
#: (vllm/v1/core/block_pool.py), and every full block a request computed, output tokens included, was hashed when it
#: was scheduled (``KVCacheManager.allocate_slots`` caches up to the request's known tokens). Readmitted,
#: ``get_computed_blocks`` finds the longest run of them still cached from its first block (at most its tokens
#: less one), so it recomputes only the tail that was handed out meanwhile. The simulator keeps the free blocks as
#: such a queue where this holds: the vLLM policy with prefix caching, on a model whose every layer's KV grows
#: with the sequence (a sliding-window or recurrent group's hit also needs its own blocks at the end of the hit,
#: which the same queue hands out long before; there the readmitted request is taken to recompute from the start)
VLLM_PREEMPTED_BLOCKS_STAY_CACHED: Final = True
#: SGLang reserves at most this many of a request's remaining output tokens at admission
#: (``CLIP_MAX_NEW_TOKENS``, python/sglang/srt/managers/schedule_policy.py, v0.5.3)
SGLANG_CLIP_MAX_NEW_TOKENS = 4096
#: SGLang's reserved share of remaining output at admission: its initial value (``SGLANG_INIT_NEW_TOKEN_RATIO``
#: 0.7 x ``--schedule-conservativeness``), the floor as a factor of it (0.14) and the decode steps over which it
#: decays to the floor (600): ``Scheduler.__init__`` and ``sglang/srt/environ.py`` (the 0.5.x releases)
SGLANG_NEW_TOKEN_RATIO = (0.7, 0.14, 600)
#: the factor ``ServerArgs`` applies to ``--schedule-conservativeness`` when data-parallel attention is on
#: (``_handle_data_parallelism``, without a log line), so such a server admits against 0.3 of the reserve
SGLANG_DP_ATTENTION_CONSERVATIVENESS = 0.3


def sglang_new_token_ratio(conservativeness: float = 1.0) -> tuple[float, float, float]:
    """SGLang's (initial, minimum, per-decode-step decay) reserved share at ``conservativeness``."""
    init, floor, steps = SGLANG_NEW_TOKEN_RATIO
    start = min(init * conservativeness, 1.0)
    low = min(start * floor, 1.0)
    return start, low, (start - low) / steps


@attrs.frozen(kw_only=True)
class SchedulerConfig:
    """What the simulation needs of the engine and the memory plan of one replica."""

    policy: str
    max_num_seqs: int
    max_num_batched_tokens: int
    block_size: int
    #: KV blocks the replica holds: ``block_size`` tokens of the global-attention layers each
    num_blocks: int
    #: whether a sequence's blocks grow with its tokens (False: no global-attention layers)
    grows: bool
    #: per-sequence KV that does not grow with context (windowed layers at their window, recurrent
    #: state), in blocks, taken when a request is admitted
    fixed_blocks_per_seq: int
    #: of those, the windowed layers' share per token of a sequence's own length: a sequence holds
    #: ``min(window, its prompt + output)`` tokens of windowed KV (plus any recurrent state), so one shorter
    #: than the window reserves only its own length's worth (0: ``fixed_blocks_per_seq`` for every sequence)
    window_blocks_per_token: float = 0.0
    #: the recurrent state's blocks per sequence, whatever its length (with ``window_blocks_per_token``)
    state_blocks: float = 0.0
    #: whether the engine keeps computed prompt prefixes to serve later requests (False: SGLang's
    #: ``--disable-radix-cache``; every prompt is then computed whole)
    prefix_cache: bool = True
    window: int
    max_model_len: int
    #: whether the windowed layers attend within chunks of ``window`` tokens (Llama 4), not a sliding window
    #: (:func:`~config_explorer.engine.layout.windowed_context`)
    chunked: bool = False
    #: front-end time before a request reaches the scheduler (HTTP, tokenising), and on its first token's
    #: way back to the client (added to TTFT and E2E, not to the engine's clock), seconds
    arrival_delay_s: float
    first_token_delay_s: float = 0.0
    #: SGLang: initial, minimum and per-decode-step decay of the reserved share of remaining output
    new_token_ratio: tuple[float, float, float] = sglang_new_token_ratio()
    #: data-parallel attention groups of the replica: each schedules its own requests under its share of
    #: ``max_num_batched_tokens`` (a prompt chunk fits one group's share), and they run in lockstep
    attention_groups: int = 1
    #: the front end's time per streamed output token, seconds (0: not modelled): it delivers tokens to the
    #: clients no faster than one per this, however fast the engine makes them
    frontend_token_s: float = 0.0
    #: decode steps between the scheduler's reads of new requests (SGLang's ``--scheduler-recv-interval``):
    #: while the batch decodes, an arrival waits for the next read; a step that prefilled, or an idle
    #: engine, reads at once (:mod:`config_explorer.engine.options`)
    recv_interval: int = 1
    #: TensorRT-LLM's batch waiting: while sequences decode, prompts are held back for up to ``hold_steps``
    #: steps, until the step's tokens would reach ``hold_tokens`` (0: never held)
    hold_steps: int = 0
    hold_tokens: float = 0.0
    #: the host builds step k + 1 while the GPU runs step k (SGLang's overlap scheduler, TensorRT-LLM's
    #: overlap scheduler, vLLM's async scheduling): a request that reaches a busy engine during step k is
    #: read when step k ends, after step k + 1 was formed, and joins step k + 2 at the earliest. An engine
    #: with nothing to run reads and runs it at once
    schedules_ahead: bool = False
    #: SGLang's prefill delayer with data-parallel attention (``--enable-prefill-delayer``): the most scheduler passes
    #: the groups that have prompts to admit wait while another group has none (0: they never wait)
    prefill_delay_passes: int = 0
    #: TensorRT-LLM's attention-DP balance (``attention_dp_config.enable_balance``): the iterations context requests
    #: wait while some rank has none (``timeout_iters``; 0: no balance), and the iterations they wait more once every
    #: rank has one and generates (``batching_wait_iters``)
    adp_timeout_iters: int = 0
    adp_batching_wait_iters: int = 0


@attrs.frozen(kw_only=True)
class SimulationResult:
    """What the run measured, as a benchmark client would report it (times in seconds)."""

    num_requests: int
    duration_s: float
    output_tokens: int
    input_tokens: int
    ttft_s: Stats
    tpot_s: Stats | None
    itl_s: Stats | None
    e2e_s: Stats
    #: time-averaged sequences decoding per step, and the largest batch seen
    mean_decode_batch: float
    max_decode_batch: int
    #: the KV cache's peak fill (fraction of blocks) and preemptions / retractions during the run
    peak_kv_fraction: float
    preemptions: int
    steps: int
    #: prompt tokens served from the prefix cache over prompt tokens admitted (None: no shared prefixes)
    prefix_cache_hit_rate: float | None = None
    #: a closed loop's measured requests: how many were sent at the same instant as each, itself included, on
    #: average over them (requests that finished in the same step return together; 1: none); 1 for other arrivals
    send_group: float = 1.0
    #: a steady-state run of Poisson arrivals (``Traffic.num_requests`` not stated): the requests, output and prompt
    #: tokens completed per second within its measurement window (None: counted over the whole run)
    window_rates: tuple[float, float, float] | None = None

    @property
    def output_throughput_tok_s(self) -> float:
        return self.window_rates[1] if self.window_rates else self.output_tokens / self.duration_s

    @property
    def input_throughput_tok_s(self) -> float:
        return self.window_rates[2] if self.window_rates else self.input_tokens / self.duration_s

    @property
    def requests_per_s(self) -> float:
        return self.window_rates[0] if self.window_rates else self.num_requests / self.duration_s

    @property
    def input_tokens_per_request(self) -> float:
        return self.input_tokens / self.num_requests

    @property
    def output_tokens_per_request(self) -> float:
        return self.output_tokens / self.num_requests


class _Replica:
    """One replica's run: its queues, KV blocks, clock and measurements."""

    def __init__(
        self,
        cost: StepCost,
        cfg: SchedulerConfig,
        prompts: list[int],
        outputs: list[int],
        sends: list[float] | None,
        concurrency: int | None,
        prefixes: list[int] | None = None,
        prefix_length: int = 0,
    ) -> None:
        self.cost, self.cfg = cost, cfg
        self.groups = cfg.attention_groups
        # one group's token budget caps a prompt chunk; the step lasts as long as its busiest group
        self.chunk_cap = max(cfg.max_num_batched_tokens // self.groups, 1)
        self.lockstep = self.groups > 1 and cost.costs_groups
        # the front end streams tokens in the order they were made (a fluid queue): fe_free is when it has
        # delivered every token made so far
        self.fe = cfg.frontend_token_s
        self.fe_free = 0.0
        self.prompt, self.out = prompts, outputs
        n = len(prompts)
        self.n = n
        self.block = cfg.block_size
        self.reserve_full = cfg.policy == "trtllm"
        # blocks grow with each decoded token unless the whole request was reserved up front or the
        # model has no global-attention layers (windowed KV and recurrent state are fixed per sequence)
        self.grows = cfg.grows and not self.reserve_full
        # without global-attention layers a sequence's KV is its fixed blocks alone, whatever its length
        self.tokens_take_blocks = cfg.grows
        self.send = [math.inf] * n
        self.first = [math.nan] * n
        self.finish = [math.nan] * n
        self.computed = [0] * n  # tokens whose KV is computed
        self.generated = [0] * n  # output tokens sampled (as of joining the decode set, while decoding)
        self.held = [0] * n  # KV blocks held
        # blocks each sequence holds whatever its progress: its windowed KV (its own length's worth, up to the
        # window) and recurrent state
        if cfg.window_blocks_per_token:
            span = [min(cfg.window, p + o) for p, o in zip(prompts, outputs)]
            self.fixed = [
                min(math.ceil(cfg.window_blocks_per_token * t + cfg.state_blocks), cfg.fixed_blocks_per_seq)
                for t in span
            ]
        else:
            self.fixed = [cfg.fixed_blocks_per_seq] * n
        self.join_round = [0] * n
        self.epoch = [0] * n  # bumps when a request leaves the decode set (lazy heap deletion)
        self.pending: list[tuple[float, int]] = []  # (time it reaches the scheduler, id)
        self.waiting: deque[int] = deque()
        # running and still-prefilling requests, in admission order (dicts: ordered, O(1) removal)
        self.running: dict[int, None] = {}
        self.prefilling: dict[int, None] = {}
        self.remaining = 0  # output tokens the running requests have still to produce (SGLang's reserve)
        self.decoding: set[int] = set()
        self.round = 0  # decode rounds so far: every decoding sequence gains a token per round
        self.kv_tokens = 0  # sum over decoding sequences of the context their next round attends to
        self.phase = [0] * self.block  # decoding sequences by the round (mod block) they next need a block
        self.finish_heap: list[tuple[int, int, int]] = []  # (last round, epoch, id)
        self.free_blocks = cfg.num_blocks
        # vLLM's free-block queue (VLLM_PREEMPTED_BLOCKS_STAY_CACHED): the free blocks in the order they are handed
        # out, as [owner, blocks] runs, owner -1 for blocks nobody will find again, else a preempted request whose
        # computed full blocks are still cached (a run shrinks from its owner's last block on); ``kept`` finds an
        # owner's run. ``prepaid``: this step's decode blocks, handed out when the step was formed
        self.keeps_preempted = (
            VLLM_PREEMPTED_BLOCKS_STAY_CACHED
            and cfg.policy == "vllm"
            and cfg.prefix_cache
            and cfg.grows
            and not cfg.fixed_blocks_per_seq
        )
        self.free_queue: deque[list[int]] = deque([[-1, cfg.num_blocks]])
        self.kept: dict[int, list[int]] = {}
        self.prepaid = 0
        # when a preempted request's last token came (NaN: not preempted since): its wait is one inter-token gap
        self.stalled_since = [math.nan] * n
        self.t = 0.0
        self.steps = 0
        self.since_read = 0  # decode steps since the scheduler last read new requests (recv_interval)
        # the last step run: when it started and ended (schedules_ahead: a busy engine's next step was
        # formed from the requests that had arrived by the last step's start); NaN: the engine idled since
        self.step_from = self.step_to = math.nan
        self.held_steps = 0  # steps the prompts have been held back (batch waiting)
        self.delayed = 0  # scheduler passes the prompts have waited for every attention group to have one
        # TensorRT-LLM's attention-DP balance counters: iterations counted while some rank had no context request
        # (wrapping at the timeout), and iterations the context requests have waited for more to batch
        self.adp_waited = self.adp_batched = 0
        self.preemptions = 0
        self.min_free = cfg.num_blocks
        self.decode_seconds = 0.0  # integral of the decode batch over time
        self.max_decode = 0
        # SGLang: the prefill time decoding sequences have waited since their last token, as [seconds, sequences]
        # groups: a sequence that joined the decode batch during a run of prefill batches waits only for the
        # batches after it joined
        self.stalls: list[list[float]] = []
        self.gaps: list[float] = []
        self.gap_weights: list[float] = []
        self.gap_times: list[float] = []  # when each gap's step started
        self.ratio = cfg.new_token_ratio[0]
        # prefix cache: each request's prefix (-1: none), the full blocks a prefix fills, the cached
        # prefixes in LRU order (oldest first), how many running requests hold each, and the blocks of
        # cached prefixes nobody holds (evictable)
        self.caching = prefixes is not None
        self.prefix_of = prefixes if prefixes is not None else [-1] * n
        self.prefix_blocks = prefix_length // self.block if cfg.grows else 0
        self.cache: OrderedDict[int, int] = OrderedDict()
        self.refs: dict[int, int] = {}
        self.evictable = 0
        self.shared = [0] * n  # blocks of request i's KV that the cache holds
        self.hit_tokens = 0
        self.query_tokens = 0
        self.concurrency = concurrency
        self.next_send = 0
        if sends is not None:
            for i, at in enumerate(sends):
                self.send[i] = at
                heapq.heappush(self.pending, (at + cfg.arrival_delay_s, i))
        else:
            assert concurrency is not None
            self.next_send = min(concurrency, n)
            for i in range(self.next_send):
                self.send[i] = 0.0
                heapq.heappush(self.pending, (cfg.arrival_delay_s, i))

    # -- arrivals ----------------------------------------------------------------------------------
    def _arrive(self) -> None:
        every = self.cfg.recv_interval
        if every > 1:
            # a busy engine reads new requests only every ``every`` decode steps (or after a prefill)
            if self.running and self.since_read < every:
                return
            self.since_read = 0
        pending = self.pending
        cutoff = self.t
        if self.cfg.schedules_ahead and self.running and self.step_to == self.t:
            cutoff = self.step_from
        while pending and pending[0][0] <= cutoff:
            self.waiting.append(heapq.heappop(pending)[1])

    def _newest(self) -> int:
        return next(reversed(self.running))

    def _done(self, i: int) -> None:
        """Request ``i`` produced its last token now; a closed-loop client sends the next one."""
        del self.running[i]
        self._give(self.held[i] + self.fixed[i])
        self.held[i] = 0
        self._unpin(i)
        finish = self.finish[i] = self._delivered()
        if self.concurrency is not None and self.next_send < self.n:
            # the client is done when it holds the last token, and never before the (later-delivered) first
            done = max(finish, self.first[i] + self.cfg.first_token_delay_s)
            j = self.next_send
            self.next_send += 1
            self.send[j] = done
            heapq.heappush(self.pending, (done + self.cfg.arrival_delay_s, j))

    # -- the prefix cache ------------------------------------------------------------------------------
    def _fits(self, need: float) -> bool:
        """Whether ``need`` blocks could be had, counting unheld cached prefixes (an admission check: evicts nothing)."""
        return need <= self.free_blocks + self.evictable

    def _room(self, need: int) -> bool:
        """Whether ``need`` blocks can be had, evicting unheld cached prefixes (LRU) to free them."""
        if need <= self.free_blocks:
            return True
        if need > self.free_blocks + self.evictable:
            return False
        for p in list(self.cache):
            if self.free_blocks >= need:
                break
            if self.refs[p] == 0:
                blocks = self.cache.pop(p)
                del self.refs[p]
                self.evictable -= blocks
                self._give(blocks)
        return True

    def _lookup(self, i: int) -> int:
        """Prompt tokens of request ``i`` the cache holds (its prefix, pinned for it), 0 on a miss."""
        p = self.prefix_of[i]
        if p < 0 or p not in self.cache:
            return 0
        blocks = self.cache[p]
        self.cache.move_to_end(p)
        if self.refs[p] == 0:
            self.evictable -= blocks
        self.refs[p] += 1
        self.shared[i] = blocks
        return blocks * self.block

    def _unpin(self, i: int) -> None:
        """Request ``i`` no longer holds its cached prefix (done, preempted, or not admitted after all)."""
        if not self.shared[i]:
            return
        p = self.prefix_of[i]
        self.refs[p] -= 1
        if self.refs[p] == 0:
            self.evictable += self.cache[p]
        self.shared[i] = 0

    def _publish(self, i: int) -> None:
        """Request ``i`` has computed its prefix's blocks: the cache takes them over (if it lacks them)."""
        p = self.prefix_of[i]
        blocks = self.prefix_blocks
        if p < 0 or self.shared[i] or not blocks or p in self.cache or self.computed[i] < blocks * self.block:
            return
        self.cache[p] = blocks
        self.refs[p] = 1
        self.held[i] -= blocks
        self.shared[i] = blocks

    # -- KV blocks ---------------------------------------------------------------------------------
    def _take(self, blocks: int) -> None:
        """Hand out ``blocks`` free blocks, from the head of vLLM's free-block queue where it is kept."""
        self.free_blocks -= blocks
        if not self.keeps_preempted or blocks <= 0:
            return
        queue = self.free_queue
        if queue and queue[0][1] > blocks:  # (the head run covers them: the loop's one pass)
            queue[0][1] -= blocks
            return
        while blocks > 0 and queue:
            run = queue[0]
            used = min(blocks, run[1])
            run[1] -= used
            blocks -= used
            if run[1] == 0:
                queue.popleft()
                if run[0] >= 0 and self.kept.get(run[0]) is run:
                    del self.kept[run[0]]

    def _give(self, blocks: int, owner: int = -1) -> None:
        """Free ``blocks`` blocks onto the tail of the queue, as ``owner``'s cached blocks if ``owner`` >= 0."""
        self.free_blocks += blocks
        if not self.keeps_preempted or blocks <= 0:
            return
        queue = self.free_queue
        if owner < 0 and queue and queue[-1][0] < 0:
            queue[-1][1] += blocks
            return
        run = [owner, blocks]
        queue.append(run)
        if owner >= 0:
            self.kept[owner] = run

    def _kept_hit(self, i: int, hit: int) -> int:
        """Prompt and output tokens of a readmitted request ``i`` still cached from before it was preempted (its
        shared prefix's, ``hit``, and its own blocks after it), at most all its tokens less one."""
        run = self.kept.get(i)
        if run is None or (self.prefix_of[i] >= 0 and self.prefix_blocks and not self.shared[i]):
            return hit  # (its own blocks follow a prefix no longer cached: the hashes' chain is broken)
        most = (self.prompt[i] + self.generated[i] - 1) // self.block - self.shared[i]
        return (self.shared[i] + min(run[1], max(most, 0))) * self.block

    def _pay(self, need: int) -> None:
        """The decode rounds' ``need`` blocks, less those handed out when the step was formed."""
        extra = need - self.prepaid
        self.prepaid = 0
        if extra >= 0:
            self._room(extra)
            self._take(extra)
        else:
            self._give(-extra)

    def _blocks_for(self, tokens: float) -> int:
        if not self.tokens_take_blocks:
            return 0
        return -(-math.ceil(tokens) // self.block)

    def _admission_blocks(self, i: int, tokens: float) -> int:
        """Blocks request ``i`` takes to be admitted holding ``tokens`` tokens: their blocks, less those of its cached
        prefix it shares, plus its fixed blocks (windowed KV, recurrent state)."""
        return self._blocks_for(tokens) - self.shared[i] + self.fixed[i]

    def _decode_need(self, rounds: int) -> int:
        """Blocks the decode set needs over the next ``rounds`` rounds (nobody joining or leaving)."""
        if not self.grows:
            return 0
        b = self.block
        full, rem = divmod(rounds, b)
        total = full * len(self.decoding)
        r0 = self.round
        for j in range(rem):
            total += self.phase[(-(r0 + j)) % b]
        return total

    def _rounds_before_short(self, limit: int) -> int:
        """Decode rounds (at most ``limit``) that fit in the free blocks."""
        d = len(self.decoding)
        if not self.grows or d == 0:
            return limit
        b, free, r0 = self.block, self.free_blocks, self.round
        free += self.evictable + self.prepaid  # (this round's blocks, if already handed out)
        rounds = min((free // d) * b, limit)
        used = (rounds // b) * d
        while rounds < limit:
            need = self.phase[(-(r0 + rounds)) % b]
            if used + need > free:
                break
            used += need
            rounds += 1
        return rounds

    # -- the decode set ------------------------------------------------------------------------------
    def _join_decode(self, i: int) -> None:
        self.decoding.add(i)
        now = self.join_round[i] = self.round
        generated = self.generated[i]
        context = self.prompt[i] + generated  # KV after this round's token
        self.kv_tokens += context
        # the round's token starts a new block when the tokens already held are a multiple of the block
        self.phase[(context - 1 - now) % self.block] += 1
        heapq.heappush(self.finish_heap, (now + self.out[i] - generated - 1, self.epoch[i], i))

    def _leave_decode(self, i: int) -> None:
        context = self.prompt[i] + self.generated[i]
        joined = self.join_round[i]
        grown = self.round - joined
        self.decoding.discard(i)
        self.phase[(context - 1 - joined) % self.block] -= 1
        self.kv_tokens -= context + grown
        self.generated[i] += grown
        self.epoch[i] += 1
        if self.grows:
            self.held[i] = self._blocks_for(context + grown - 1) - self.shared[i]

    def _generated_now(self, i: int) -> int:
        return self.generated[i] + (self.round - self.join_round[i] if i in self.decoding else 0)

    def _preempt(self, victim: int) -> None:
        """Recompute preemption (vLLM) or retraction (SGLang): free its KV, requeue it first in line."""
        prefilling = victim in self.prefilling
        if not prefilling and self.cfg.policy != "sglang":
            # a decoding request's last token came with the step that just ended (SGLang's may be older: it
            # waited through prefill batches since, see ``stalls``)
            self.stalled_since[victim] = self.t
        if victim in self.decoding:
            self._leave_decode(victim)
        self.prefilling.pop(victim, None)
        del self.running[victim]
        self.remaining -= self.out[victim] - self.generated[victim]
        # its full blocks of computed tokens stay cached behind the rest (vLLM frees a request's blocks last first)
        cached = 0
        if self.keeps_preempted:
            computed = (
                self.computed[victim] if prefilling else self.prompt[victim] + self.generated[victim] - 1
            )
            cached = min(max(computed // self.block - self.shared[victim], 0), self.held[victim])
        self._give(self.held[victim] + self.fixed[victim] - cached)
        self._give(cached, victim)
        self.held[victim] = 0
        self._unpin(victim)
        self.computed[victim] = 0
        # back to the front: vLLM prepends it; SGLang's first-come-first-served policy orders the queue by
        # arrival, and a retracted request arrived before anything still waiting
        self.waiting.appendleft(victim)
        self.preemptions += 1

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        step = self._sglang_step if self.cfg.policy == "sglang" else self._mixed_step
        while True:
            self._arrive()
            if not self.running and not self.waiting:
                if not self.pending:
                    return
                self.t = max(self.t, self.pending[0][0])
                continue
            if self.steps >= MAX_SIMULATED_STEPS:
                raise InvalidArgumentError(
                    f"the simulation passed its bound of {MAX_SIMULATED_STEPS:,} scheduler steps per replica; "
                    "simulate fewer requests (num_requests) or use serving_model='analytic'"
                )
            step()

    def _continue_prefills(
        self, budget: int, *, may_preempt: bool
    ) -> tuple[list[tuple[int, int]], int, bool]:
        """Next chunks of the running requests still prefilling, in admission order."""
        chunks: list[tuple[int, int]] = []
        preempted = False
        for i in list(self.prefilling):
            if budget <= 0 or i not in self.prefilling:
                continue
            n = min(self.prompt[i] + self.generated[i] - self.computed[i], budget, self.chunk_cap)
            need = max(self._blocks_for(self.computed[i] + n) - self.held[i] - self.shared[i], 0)
            while not self._room(need) and may_preempt and self._newest() != i:
                self._preempt(self._newest())
                preempted = True
            if not self._room(need):
                if may_preempt:
                    self._preempt(i)
                    preempted = True
                continue
            self._take(need)
            self.held[i] += need
            chunks.append((i, n))
            budget -= n
        return chunks, budget, preempted

    def _admit_one(self, i: int, need: int, hit: int) -> None:
        """Admit the first waiting request, ``i``, taking the ``need`` blocks its admission reserves (its fixed
        blocks included) with ``hit`` of its tokens computed already (cached)."""
        self.waiting.popleft()
        fixed = self.fixed[i]
        self._room(need)
        own = 0
        run = self.kept.pop(i, None)
        if run is not None:
            # its blocks still cached leave the queue where they are; the rest come off its head
            own = min(max(hit // self.block - self.shared[i], 0), run[1])
            run[0] = -1
            run[1] -= own
            self.free_blocks -= own
        self._take(need - own)
        self.held[i] = need - fixed
        self.computed[i] = hit
        if self.caching:
            self.hit_tokens += hit
            self.query_tokens += self.prompt[i]
        self.running[i] = None
        self.prefilling[i] = None
        self.remaining += self.out[i] - self.generated[i]

    def _held(self) -> bool:
        """TensorRT-LLM's batch waiting: whether this step's prompts are held back (the step decodes alone).

        While sequences decode, the prompts the step would take wait until they and the decodes reach
        ``hold_tokens`` or they have waited ``hold_steps`` steps (``PyExecutor._waiting_requests``)."""
        cfg = self.cfg
        if not cfg.hold_steps or not self.decoding or not (self.waiting or self.prefilling):
            return False
        if self.held_steps >= cfg.hold_steps:
            self.held_steps = 0
            return False
        d = len(self.decoding)
        free = cfg.max_num_batched_tokens - d
        tokens = 0
        seats = cfg.max_num_seqs - len(self.running)
        for i in list(self.prefilling) + list(self.waiting)[: max(seats, 0)]:
            tokens += self.prompt[i] + self.generated[i] - self.computed[i]
            if tokens >= free:
                break
        if d + min(tokens, free) >= cfg.hold_tokens:
            self.held_steps = 0
            return False
        return True

    def _balance_left(self) -> tuple[int, bool]:
        """TensorRT-LLM's attention-DP balance (``PyExecutor._balance_adp_requests``): (iterations the context
        requests may still wait, 0 where they are scheduled now; whether the wait is the batching one).

        Every iteration the ranks compare what they scheduled. While some rank has no context request (or no free
        batch slot) the context requests wait, chunks in progress too, and a counter counts the iteration; at
        ``adp_timeout_iters`` counted, or where some rank generates nothing, they are scheduled and the counter
        restarts (it counts, and wraps, in iterations without any context request as well). Once every rank has one
        and every rank generates, they wait ``adp_batching_wait_iters`` iterations more. The context requests are
        taken as spread over distinct ranks (the executor hands new requests to the least loaded), so every rank has
        one once as many wait as there are ranks; every rank generates once as many sequences decode."""
        cfg = self.cfg
        timeout = cfg.adp_timeout_iters
        if not timeout or self.groups < 2:
            return 0, False
        seats = max(cfg.max_num_seqs - len(self.running), 0)
        context = len(self.prefilling) + min(len(self.waiting), seats)
        generating = len(self.decoding) >= self.groups
        if context >= self.groups and seats > 0:
            self.adp_waited = 0
            if generating and self.adp_batched < cfg.adp_batching_wait_iters:
                return cfg.adp_batching_wait_iters - self.adp_batched, True
            self.adp_batched = 0
            return 0, False
        if not context or not generating or self.adp_waited + 1 >= timeout:
            # nothing to hold, or scheduled now (the counter restarts); an iteration without context counts on
            self.adp_waited = 0 if context or not generating else self.adp_waited
            return 0, False
        return timeout - 1 - self.adp_waited, False

    def _mixed_step(self) -> None:
        """vLLM V1 and TensorRT-LLM: every decode, then prefill chunks, in one step."""
        cfg = self.cfg
        if self._held():
            self.held_steps += self._decode_run(cfg.hold_steps - self.held_steps)
            return
        wait, batching = self._balance_left()
        if wait and self.decoding:
            rounds = self._decode_run(wait)
            if batching:
                self.adp_batched += rounds
            else:
                self.adp_waited += rounds
            return
        budget = cfg.max_num_batched_tokens
        preempted = False
        if self.decoding and self.grows:
            # this round's new blocks; a decode that cannot get one preempts the newest request
            while self.decoding and not self._room(self.phase[(-self.round) % self.block]):
                self._preempt(self._newest())
                preempted = True
            # the running requests' blocks are allocated first: chunks and admissions take what is left
            self.prepaid = self.phase[(-self.round) % self.block] if self.decoding else 0
            self._take(self.prepaid)
        budget -= len(self.decoding)
        chunks, budget, chunk_preempted = self._continue_prefills(budget, may_preempt=not self.reserve_full)
        # a step that preempted admits no waiting request (``if not preempted_reqs`` in ``Scheduler.schedule``)
        if not (preempted or chunk_preempted):
            while self.waiting and budget > 0 and len(self.running) < cfg.max_num_seqs:
                i = self.waiting[0]
                target = self.prompt[i] + self.generated[i]
                hit = self._lookup(i) if self.prefix_blocks else 0
                if self.keeps_preempted:
                    hit = self._kept_hit(i, hit)
                n = min(target - hit, budget, self.chunk_cap)
                reserve = target + self.out[i] - self.generated[i] - 1 if self.reserve_full else hit + n
                need = self._admission_blocks(i, reserve)
                if not self._fits(need):
                    self._unpin(i)
                    break
                self._admit_one(i, need, hit)
                chunks.append((i, n))
                budget -= n
        if chunks:
            self._execute(chunks, decode=True)
        else:
            rounds = self._decode_run()
            if cfg.adp_timeout_iters:  # the balance's counter counts iterations without context requests too
                self.adp_waited = (self.adp_waited + rounds) % cfg.adp_timeout_iters

    def _sglang_step(self) -> None:
        """SGLang: a prefill batch whenever one can be formed, else a decode step for every running request."""
        cfg = self.cfg
        chunks, budget, _ = self._continue_prefills(cfg.max_num_batched_tokens, may_preempt=False)
        # admission keeps room for a share (new_token_ratio) of every running request's remaining output
        clip = SGLANG_CLIP_MAX_NEW_TOKENS
        reserved = self.ratio * self.remaining
        delay = self._delay_left()
        while not delay and self.waiting and budget > 0 and len(self.running) < cfg.max_num_seqs:
            i = self.waiting[0]
            target = self.prompt[i] + self.generated[i]
            hit = self._lookup(i) if self.prefix_blocks else 0
            n = min(target - hit, budget, self.chunk_cap)
            own = self.ratio * min(self.out[i] - self.generated[i], clip)
            wanted = self._admission_blocks(i, target + own + reserved)
            if not self._fits(wanted):
                self._unpin(i)
                break
            self._admit_one(i, self._admission_blocks(i, hit + n), hit)
            reserved += own
            chunks.append((i, n))
            budget -= n
        if chunks:
            self._execute(chunks, decode=False)
            self.delayed += 1 if delay else 0
            return
        if self.decoding and self.grows:
            short = not self._room(self.phase[(-self.round) % self.block])
            while len(self.decoding) > 1 and not self._room(self.phase[(-self.round) % self.block]):
                # retract the request with the least output so far (ties: the longest prompt)
                victim = min(self.decoding, key=lambda r: (self._generated_now(r), -self.prompt[r]))
                self._preempt(victim)
            if short:
                self.ratio = cfg.new_token_ratio[0]
        rounds = self._decode_run(delay)
        self.delayed += rounds if delay else 0

    def _delay_left(self) -> int:
        """The scheduler passes SGLang's prefill delayer may still hold this pass's new prompts back
        (``--enable-prefill-delayer``; 0: they are admitted now): while some attention groups have prompts waiting
        and others have none, for up to ``prefill_delay_passes`` passes in all. The waiting prompts are taken as
        spread over distinct groups (its data-parallel controller hands requests out in turn), so every group has
        one once as many wait as there are groups. A prompt being chunked goes on either way; with no decodes, or
        no prompt waiting, nothing is held."""
        passes = self.cfg.prefill_delay_passes
        if not passes or self.groups < 2 or not self.decoding:
            self.delayed = 0
            return 0
        waiting = min(len(self.waiting), self.cfg.max_num_seqs - len(self.running))
        if not 0 < waiting < self.groups or self.delayed >= passes - 1:
            self.delayed = 0
            return 0
        return passes - 1 - self.delayed

    # -- time ----------------------------------------------------------------------------------------
    def _decode_run(self, limit: int = 0) -> int:
        """Decode-only rounds up to the next event (a completion, an arrival the scheduler reads, running
        out of blocks), and at most ``limit`` rounds when ``limit`` > 0; returns the rounds run."""
        d = len(self.decoding)
        if d == 0:
            if self.pending:  # nothing can run: wait for the next arrival
                self.t = max(self.t, self.pending[0][0])
                self.since_read = self.cfg.recv_interval
                self.step_from = self.step_to = math.nan  # idle: the engine reads the arrival at once
                return 0
            raise InvalidArgumentError(
                "a request can never be admitted: its prompt needs more KV blocks than the cache holds"
            )
        heap = self.finish_heap
        while self.epoch[heap[0][2]] != heap[0][1]:
            heapq.heappop(heap)
        rounds = max(self._rounds_before_short(heap[0][0] - self.round + 1), 1)
        if limit > 0:
            rounds = min(rounds, limit)
        window, chunked = self.cfg.window, self.cfg.chunked
        cost = self.cost.time
        every = self.cfg.recv_interval
        step = 0.0
        if self.pending:
            context = self.kv_tokens / d
            step = cost(
                d, self.kv_tokens, d * windowed_context(context, context, window, chunked=chunked), 0, 0, 0, d
            )
            # rounds until the arrival reaches the engine (one more when the round after it was formed already)
            arrival = self.pending[0][0]
            ahead = 1 if self.cfg.schedules_ahead and arrival > self.t else 0
            due = int((arrival - self.t) / step) + 1 + ahead
            if every > 1:  # ... and until the scheduler next reads it
                first = every - self.since_read
                due = first + (-(-max(due - first, 0) // every)) * every
            rounds = max(1, min(rounds, due))
        if rounds > 1 or not step:  # one round is costed at the context it starts from, as above
            mean_kv = self.kv_tokens + d * (rounds - 1) / 2
            start = self.kv_tokens / d
            windowed = windowed_context(start, start + rounds - 1, window, chunked=chunked)
            step = cost(d, mean_kv, d * windowed, 0, 0, 0, d)
        self._emit(d * rounds, step * rounds)
        # a client's tokens come no faster than the front end streams a round of the batch's tokens
        gap = max(step, d * self.fe)
        if self.stalls:
            self._stalled_gaps(gap, d)
            if rounds > 1:
                self._gap(gap, float(d * (rounds - 1)))
        else:
            self._gap(gap, float(d * rounds))
        self._pay(self._decode_need(rounds))
        self.min_free = min(self.min_free, self.free_blocks)
        self.kv_tokens += d * rounds
        self.remaining -= d * rounds
        self.round += rounds
        self.steps += rounds
        self._clock(step * rounds, d)
        self.step_from, self.step_to = self.t - step, self.t
        if self.cfg.policy == "sglang":
            self.ratio = max(self.cfg.new_token_ratio[1], self.ratio - self.cfg.new_token_ratio[2] * rounds)
        if every > 1:
            # reads passed on the way found nothing due; the count restarts at the last of them
            since = self.since_read + rounds
            if since > every:
                since = (since - every) % every or every
            self.since_read = since
        self._retire()
        return rounds

    def _stalled_gaps(self, gap: float, d: int) -> None:
        """One decode round's gaps of ``gap`` seconds for ``d`` sequences, each also holding the prefill
        batches it waited through since its last token (the waits are then over)."""
        total = sum(count for _, count in self.stalls)
        scale = min(1.0, d / total) if total else 1.0  # (fewer now, where some were retracted meanwhile)
        for seconds, count in self.stalls:
            self._gap(gap + seconds, count * scale)
        if d > total:
            self._gap(gap, float(d - total))
        self.stalls = []

    def _gap(self, seconds: float, weight: float) -> None:
        """``weight`` inter-token gaps of ``seconds`` each, from a step starting now."""
        self.gaps.append(seconds)
        self.gap_weights.append(weight)
        self.gap_times.append(self.t)

    def _emit(self, tokens: float, seconds: float) -> None:
        """``tokens`` output tokens made over the next ``seconds``: the front end's queue takes them."""
        if self.fe:
            self.fe_free = max(max(self.fe_free, self.t) + tokens * self.fe, self.t + seconds)

    def _delivered(self) -> float:
        """When a token made now reaches its client: once the front end has streamed all made before it."""
        return max(self.t, self.fe_free) if self.fe else self.t

    def _clock(self, seconds: float, decode_batch: int) -> None:
        self.t += seconds
        self.decode_seconds += decode_batch * seconds
        self.max_decode = max(self.max_decode, decode_batch)

    def _retire(self) -> None:
        """Requests whose last decode round has run are complete."""
        heap, now, epoch = self.finish_heap, self.round, self.epoch
        while heap and heap[0][0] < now:
            _, ep, i = heapq.heappop(heap)
            if epoch[i] == ep:
                self._leave_decode(i)
                self._done(i)

    def _execute(self, chunks: list[tuple[int, int]], *, decode: bool) -> None:
        """One step: ``chunks`` of prompt, and (``decode``) one token for every decoding sequence."""
        window = self.cfg.window
        d = len(self.decoding) if decode else 0
        parts = [(float(n), float(self.computed[i])) for i, n in chunks]
        kv = self.kv_tokens if d else 0
        kvw = d * windowed_context(kv / d, kv / d, window, chunked=self.cfg.chunked) if d else 0.0
        if self.lockstep and chunks:
            # the decodes spread evenly over the groups, the chunks as evenly as whole chunks allow
            # (largest first, each to the least loaded group); the busiest group sets the step
            loads = [(0.0, g) for g in range(self.groups)]
            held: list[list[tuple[float, float]]] = [[] for _ in range(self.groups)]
            for n, a in sorted(parts, reverse=True):
                load, g = heapq.heappop(loads)
                held[g].append((n, a))
                heapq.heappush(loads, (load + n, g))
            top, g = max(loads)
            top_pairs, top_windowed = self.cost.prefill_pairs(held[g])
            k = self.groups
            step = self.cost.prefill_logits_seconds(held[g]) + self.cost.grouped_time(
                d,
                kv,
                kvw,
                k * top,
                k * top_pairs,
                k * top_windowed,
                d + k * len(held[g]),
                moe_tokens=d + sum(n for n, _ in parts),
            )
        else:
            pairs, windowed = self.cost.prefill_pairs(parts)
            prefill = sum(n for n, _ in parts)
            step = self.cost.time(d, kv, kvw, prefill, pairs, windowed, d + len(chunks))
            # (a step spread over attention groups: each GPU writes its own group's share of the matrix)
            step += self.cost.prefill_logits_seconds(parts) / self.groups**2
        if self.fe:  # this step's tokens: a decode's each, and the first of every prompt it finishes
            done = sum(1 for i, n in chunks if self.computed[i] + n >= self.prompt[i] + self.generated[i])
            self._emit(d + done, step)
        if d:
            self._pay(self._decode_need(1))
            self._stalled_gaps(max(step, d * self.fe), d)
            self.kv_tokens += d
            self.remaining -= d
            self.round += 1
        elif self.decoding:  # SGLang: the decoding sequences wait through the prefill batch
            waited = sum(count for _, count in self.stalls)
            if len(self.decoding) > waited:  # those that joined since the last prefill batch start waiting
                self.stalls.append([0.0, float(len(self.decoding) - waited)])
            for group in self.stalls:
                group[0] += step
        self.min_free = min(self.min_free, self.free_blocks)
        self.steps += 1
        self._clock(step, d)
        self.step_from, self.step_to = self.t - step, self.t
        self.since_read = self.cfg.recv_interval  # a step that prefilled: the scheduler reads next
        for i, n in chunks:
            self.computed[i] += n
            if self.prefix_blocks:
                self._publish(i)
            if self.computed[i] < self.prompt[i] + self.generated[i]:
                continue
            del self.prefilling[i]
            if self.generated[i] == 0:
                self.first[i] = self._delivered()
            elif not math.isnan(self.stalled_since[i]):
                # a resumed request's next token: a client sees the whole wait since its last one as one gap
                self._gap(self.t - self.stalled_since[i], 1.0)
                self.stalled_since[i] = math.nan
            self.generated[i] += 1
            self.remaining -= 1
            if self.generated[i] >= self.out[i]:
                self._done(i)
            else:
                self._join_decode(i)
        if d:
            self._retire()


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    """``total`` spread over ``parts`` as evenly as integers allow: [(share, how many parts get it)]."""
    q, r = divmod(total, parts)
    return [(share, count) for share, count in ((q + 1, r), (q, parts - r)) if count and share]


def simulate(cost: StepCost, cfg: SchedulerConfig, traffic: Traffic, replicas: int = 1) -> SimulationResult:
    """Run ``traffic`` through ``replicas`` identical replicas and measure it as a benchmark client would.

    Closed-loop clients and offline requests are spread evenly over the replicas, Poisson arrivals
    split into one Poisson stream per replica (a router sending each request to any replica at
    random gives exactly that). Replicas with the same share are simulated once.
    """
    if traffic.arrival == "closed_loop":
        assert traffic.concurrency is not None
        loads = _split(traffic.concurrency, replicas)
        if loads[0][0] > MAX_SIMULATED_REQUESTS:  # each client sends at least one request
            raise InvalidArgumentError(
                f"a closed loop of {traffic.concurrency:,} clients puts {loads[0][0]:,} on one replica, past the "
                f"simulator's bound of {MAX_SIMULATED_REQUESTS:,} requests per run; use serving_model='analytic'"
            )
    else:
        loads = [(1, replicas)]
    total_requests = traffic.requests_to_simulate(cfg.max_num_seqs * replicas)

    def run_all(total: int) -> list[tuple[_Replica, int]]:
        rng = random.Random(traffic.seed)
        # prefixes draw from their own stream, so the lengths and arrivals are those of the same run without them
        prefix_rng = random.Random(traffic.seed + 1)
        runs: list[tuple[_Replica, int]] = []
        for share, count in loads:
            if traffic.arrival == "closed_loop":
                n = max(round(total * share / traffic.concurrency), share)  # type: ignore[operator]
            else:
                n = max(total // replicas, 1)
            prompts = traffic.input_lengths.sample(rng, n)
            outputs = traffic.output_lengths.sample(rng, n)
            for p, o in zip(prompts, outputs):
                if p + o > cfg.max_model_len:
                    raise InvalidArgumentError(
                        f"a request of {p} prompt + {o} output tokens exceeds max_model_len={cfg.max_model_len}; "
                        "the engine would reject it (raise max_model_len or shorten the lengths)"
                    )
            sends: list[float] | None = None
            concurrency = None
            if traffic.arrival == "closed_loop":
                concurrency = share
            elif traffic.arrival == "poisson":
                assert traffic.request_rate is not None
                rate = traffic.request_rate / replicas
                at, sends = 0.0, []
                for _ in range(n):
                    sends.append(at)
                    at += rng.expovariate(rate)
            else:
                sends = [0.0] * n
            prefixes: list[int] | None = None
            if traffic.prefix is not None:  # shared prefixes; with no prefix cache, none of them is kept
                prefixes = traffic.prefix.sample(prefix_rng, n) if cfg.prefix_cache else [-1] * n
            length = 0 if traffic.prefix is None else traffic.prefix.length
            replica = _Replica(cost, cfg, prompts, outputs, sends, concurrency, prefixes, length)
            replica.run()
            runs.append((replica, count))
        return runs

    runs = run_all(total_requests)
    if traffic.arrival == "poisson" and traffic.num_requests is None:
        # left to choose its own length, a run of Poisson arrivals describes the steady state: it fills up for about
        # one request's latency and drains for another after the last arrival, so it runs long enough to hold
        # POISSON_STEADY_ROUNDS times the requests in flight, and is measured between the two (see _measure)
        in_flight = max(_in_flight(rep) for rep, _ in runs)
        wanted = min(math.ceil(POISSON_STEADY_ROUNDS * in_flight) * replicas, MAX_SIMULATED_REQUESTS)
        if wanted > total_requests:
            runs = run_all(wanted)
        return _measure(runs, window=True)
    # a closed loop of stated length replays a benchmark run, start-up wave included; left to choose its
    # own length it describes the deployment's steady state, so each client's first request (all sent at
    # once at the start) is left out of the latency statistics
    steady = traffic.arrival == "closed_loop" and traffic.num_requests is None
    return _measure(runs, skip_start_up=steady)


#: a steady-state Poisson run holds this many times the requests in flight: POISSON_FILL_ROUNDS filling up, one
#: draining, the rest measured. A deployment fills up over more than one round of its requests (its batch, and with
#: it its latency, grows as they arrive): measured after one round of five, the completions read 5-10% under the
#: arrivals of a deployment well within its capacity; after two of six, within about 1%
POISSON_STEADY_ROUNDS = 6.0
POISSON_FILL_ROUNDS = 2.0
#: a steady-state Poisson run's throughput is its window's completions where they are at least this share of the
#: window's arrivals, else (far past what it can complete) the whole run's
WINDOW_COMPLETIONS_SHARE = 0.5


def _in_flight(rep: _Replica) -> float:
    """Requests in flight on average over a replica's run (Little's law: arrival rate x mean latency)."""
    if rep.n < 2:
        return 1.0
    span = max(rep.send[-1] - rep.send[0], 1e-12)
    latency = sum(f - t for f, t in zip(rep.finish, rep.send)) / rep.n
    return (rep.n - 1) / span * latency


def _window(rep: _Replica) -> tuple[int, int, float, float]:
    """A steady-state Poisson run's measured requests (index range) and time window: the requests sent after
    :data:`POISSON_FILL_ROUNDS` rounds of requests in flight (the run filling up) and before the last such round
    (the run draining), from the first one's send to the last one's; at most a third of the run off the start and a
    quarter off the end."""
    in_flight = _in_flight(rep)
    first = min(math.ceil(POISSON_FILL_ROUNDS * in_flight), rep.n // 3)
    last = rep.n - min(math.ceil(in_flight), rep.n // 4)
    return first, last, rep.send[first], rep.send[last - 1]


def _measure(
    runs: list[tuple[_Replica, int]], skip_start_up: bool = False, window: bool = False
) -> SimulationResult:
    """The run's statistics; ``skip_start_up``: a closed loop's first round left out of its latency statistics;
    ``window``: a steady-state Poisson run's latencies over the requests of :func:`_window` and its inter-token
    gaps and throughput (completions) within that window's time."""
    ttft: list[float] = []
    e2e: list[float] = []
    tpot: list[float] = []
    weights: list[float] = []
    tpot_weights: list[float] = []
    gaps: list[float] = []
    gap_weights: list[float] = []
    duration = 0.0
    requests = output_tokens = input_tokens = steps = preemptions = max_batch = 0
    decode_seconds = 0.0
    peak = 0.0
    hits = queries = 0.0
    caching = False
    together = measured = 0
    rates = [0.0, 0.0, 0.0]  # windowed: requests, output and prompt tokens completed per second
    sent_in_window = done_in_window = 0
    for rep, count in runs:
        start = min(rep.send)
        late = rep.cfg.first_token_delay_s
        end = max(max(rep.finish), max(rep.first) + late)  # (every request's later of the two, at once)
        duration = max(duration, end - start)
        first_measured = min(rep.concurrency or 0, rep.n - 1) if skip_start_up else 0
        last_measured = rep.n
        if window:
            first_measured, last_measured, t0, t1 = _window(rep)
            done = [i for i in range(rep.n) if t0 <= rep.finish[i] <= t1]
            sent_in_window += last_measured - first_measured
            done_in_window += len(done)
            span = max(t1 - t0, 1e-12)
            rates[0] += len(done) / span * count
            rates[1] += sum(rep.out[i] for i in done) / span * count
            rates[2] += sum(rep.prompt[i] for i in done) / span * count
        if rep.concurrency is not None:
            sent = Counter(rep.send[first_measured:])
            together += sum(n * n for n in sent.values()) * count
            measured += (rep.n - first_measured) * count
        for i in range(first_measured, last_measured):
            # the first token's way back takes longer than the later ones' (it sets the stream up); the
            # last token, and so E2E, is not held up by it, and TPOT is measured as a client measures it
            first = rep.first[i] - rep.send[i] + late
            whole = max(rep.finish[i] - rep.send[i], first)
            ttft.append(first)
            e2e.append(whole)
            weights.append(count)
            if rep.out[i] > 1:
                tpot.append((whole - first) / (rep.out[i] - 1))
                tpot_weights.append(count)
        if window:
            kept = [j for j, at in enumerate(rep.gap_times) if t0 <= at <= t1]
            gaps.extend(rep.gaps[j] for j in kept)
            gap_weights.extend(rep.gap_weights[j] * count for j in kept)
        else:
            gaps.extend(rep.gaps)
            gap_weights.extend(w * count for w in rep.gap_weights)
        requests += rep.n * count
        output_tokens += sum(rep.out) * count
        input_tokens += sum(rep.prompt) * count
        steps += rep.steps * count
        preemptions += rep.preemptions * count
        max_batch = max(max_batch, rep.max_decode)
        decode_seconds += rep.decode_seconds / max(end - start, 1e-12) * count
        if rep.cfg.num_blocks:
            peak = max(peak, 1.0 - rep.min_free / rep.cfg.num_blocks)
        caching = caching or rep.caching
        hits += rep.hit_tokens * count
        queries += rep.query_tokens * count
    replicas = sum(count for _, count in runs)
    has_gaps = bool(gaps) and sum(gap_weights) > 0
    return SimulationResult(
        num_requests=requests,
        duration_s=duration,
        output_tokens=output_tokens,
        input_tokens=input_tokens,
        ttft_s=Stats.of(ttft, weights),
        tpot_s=Stats.of(tpot, tpot_weights) if tpot else None,
        itl_s=Stats.of(gaps, gap_weights) if has_gaps else None,
        e2e_s=Stats.of(e2e, weights),
        mean_decode_batch=decode_seconds / replicas,
        max_decode_batch=max_batch,
        peak_kv_fraction=peak,
        preemptions=preemptions,
        steps=steps,
        prefix_cache_hit_rate=(hits / queries if queries else 0.0) if caching else None,
        send_group=together / measured if measured else 1.0,
        # a run far past what it completes (its requests outlast the window) is counted whole: first send to last
        # completion, its drain then being the deployment working off the queue at what it can complete
        window_rates=(rates[0], rates[1], rates[2])
        if window and done_in_window >= WINDOW_COMPLETIONS_SHARE * sent_in_window
        else None,
    )
