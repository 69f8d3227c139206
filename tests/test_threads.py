"""Thread safety: estimates and recommendations from many threads give exactly the serial results.

The engine shares state between calls: ``plan_deployment`` is cached (so threads share one
``Deployment`` and fill its memo), architectures are cached by id, and the GPU catalog is one
registry. Each test clears what it races on, then runs the same work from 8 threads with the
interpreter switching threads every microsecond, so a memo written in two steps or a lookup that
reads a half-made change shows up as an exception or a record that differs from the serial one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from config_explorer import architecture
from config_explorer.architecture import load_model
from config_explorer.catalogs import gpus as gpu_catalog
from config_explorer.catalogs.gpus import get_gpu, list_gpus, register_gpu, unregister_gpu
from config_explorer.engine import serving
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.traffic import Traffic
from config_explorer.recommender import estimate_performance, recommend_gpus

T = TypeVar("T")
R = TypeVar("R")

WORKERS = 8
#: times the estimates race from cold caches (each round a few hundred milliseconds)
ROUNDS = 12
MODELS = ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-30B-A3B", "ibm-granite/granite-4.0-h-tiny"]
GPUS = ["H100", "L40S"]
#: (serving model, concurrency): the simulator runs a few requests only, to stay fast
RUNS = [("analytic", 1), ("analytic", 300), ("simulated", 1), ("simulated", 6)]
CASES = [(m, g, sm, c) for m in MODELS for g in GPUS for sm, c in RUNS]


@pytest.fixture
def switch_every_microsecond() -> Iterator[None]:
    """Make the interpreter hand the GIL over as often as it can (restored afterwards)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _estimate(case: tuple[str, str, str, int]) -> PerformanceEstimate:
    model, gpu, serving_model, concurrency = case
    traffic = None
    if serving_model == "simulated":
        traffic = Traffic.closed_loop(384, 48, concurrency, num_requests=2 * concurrency + 2)
    return estimate_performance(
        model,
        gpu,
        num_gpus=2,
        input_length=384,
        output_length=48,
        concurrency=concurrency,
        backend="native",
        serving_model=serving_model,
        traffic=traffic,
    )


def _cold_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget cached deployments (and their memos) and architectures, so the threads race to fill them."""
    plan_deployment.cache_clear()
    monkeypatch.setattr(architecture, "_CACHE", {})


def _in_threads(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(work, items))


def _in_lockstep(work: Callable[[T], R], items: Sequence[T]) -> list[list[R]]:
    """Every worker does every item, all starting each item together (the worst case for a shared memo)."""
    barrier = threading.Barrier(WORKERS, timeout=60)

    def worker(_: int) -> list[R]:
        results = []
        try:
            for item in items:
                barrier.wait()
                results.append(work(item))
        except BaseException:
            barrier.abort()  # release the others rather than leave them waiting
            raise
        return results

    return _in_threads(worker, range(WORKERS))


def test_estimates_from_many_threads_equal_the_serial_ones(
    monkeypatch: pytest.MonkeyPatch, switch_every_microsecond: None
) -> None:
    planned: dict[int, Deployment] = {}

    def recording(*args: Any, **kwargs: Any) -> Deployment:
        dep = plan_deployment(*args, **kwargs)
        planned[id(dep)] = dep
        return dep

    monkeypatch.setattr(serving, "plan_deployment", recording)
    serial = {case: _estimate(case) for case in CASES}
    assert all(record.ok for record in serial.values()), [r.error for r in serial.values() if not r.ok]
    for round_ in range(ROUNDS):
        if round_ % 2:  # shared deployments, empty memos: every thread fills the same memo at once
            for dep in planned.values():
                dep.memo.clear()
        else:  # nothing cached: threads also race to plan deployments and load architectures
            _cold_caches(monkeypatch)
        for records in _in_lockstep(_estimate, CASES):
            for case, record in zip(CASES, records):
                assert record == serial[case], case


def test_recommendations_from_many_threads_equal_the_serial_one(
    monkeypatch: pytest.MonkeyPatch, switch_every_microsecond: None
) -> None:
    def recommend(_: int) -> Any:
        return recommend_gpus(
            "meta-llama/Llama-3.1-8B", 512, 128, gpus=["H100", "L4"], max_gpus=1, backend="native"
        )

    serial = recommend(0)
    assert serial.ranked
    _cold_caches(monkeypatch)
    assert all(result == serial for result in _in_threads(recommend, range(WORKERS)))


def test_concurrent_loads_of_one_model_share_one_architecture(
    monkeypatch: pytest.MonkeyPatch, switch_every_microsecond: None
) -> None:
    monkeypatch.setattr(architecture, "_CACHE", {})
    loaded = _in_threads(lambda _: load_model("Qwen/Qwen3-8B"), range(4 * WORKERS))
    assert all(arch is loaded[0] for arch in loaded)


def test_the_gpu_catalog_loads_once_and_reads_consistently(
    monkeypatch: pytest.MonkeyPatch, switch_every_microsecond: None
) -> None:
    expected = {spec.name for spec in list_gpus()}
    monkeypatch.setattr(gpu_catalog, "_REGISTRY", gpu_catalog._Registry())  # not loaded yet
    names = _in_threads(lambda alias: get_gpu(alias).name, ["H100", "a100", "L4", "MI300X"] * 8)
    assert names == [get_gpu(a).name for a in ["H100", "a100", "L4", "MI300X"] * 8]
    assert {spec.name for spec in list_gpus()} == expected


def test_registering_while_others_read(switch_every_microsecond: None) -> None:
    """Registrations, lookups and removals interleave; every lookup sees a whole catalog."""
    names = [f"Thread Test GPU {i}" for i in range(WORKERS)]

    def churn(name: str) -> list[str]:
        seen = []
        for _ in range(5):
            register_gpu(
                {
                    "name": name,
                    "memory_gib": 80,
                    "memory_bandwidth_tb_s": 3.0,
                    "tflops": {"bf16": 900},
                    "interconnect": {"kind": "NVLink 4", "bandwidth_gb_s": 900},
                    "family": "hopper",
                },
                replace=True,
            )
            seen.append(get_gpu(name).name)
            seen.append(get_gpu("H100").name)
            seen.extend(spec.name for spec in list_gpus() if spec.name == name)
            unregister_gpu(name)
        return seen

    try:
        results = _in_threads(churn, names)
    finally:
        for name in names:
            if any(spec.name == name for spec in list_gpus()):
                unregister_gpu(name)
    for name, seen in zip(names, results):
        assert seen == [name, "H100 SXM", name] * 5
    assert not any(spec.name in names for spec in list_gpus())
