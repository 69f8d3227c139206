"""Find the cheapest way to serve a target load within latency SLOs, with your own GPU prices.

Run from the repository root:

    PYTHONPATH=src python examples/recommend_with_slo.py

The question: Llama-3.3-70B-Instruct must answer 10 requests per second of 2048-token prompts with
256-token answers. Mean time to first token must stay under 1 s and mean inter-token latency under
50 ms; in addition, the 95th percentiles must stay under 2 s (TTFT) and 60 ms (ITL). Which GPU type,
layout and number of copies does it at the lowest hourly cost?

For each GPU type x count x tensor-parallel layout, ``recommend_gpus`` sweeps concurrency, keeps the
highest-throughput point that meets every SLO (the layout's operating point), sizes the number of
copies needed for the target load and prices them; ``metric="cost"`` ranks by that hourly cost.
Prices passed in ``gpu_costs`` replace the bundled reference prices (which are dated public on-demand
rates, see ``config_explorer/data/gpu_costs.json``); the L40 has no reference price, so it gets one here.
"""

from __future__ import annotations

from collections import Counter

from config_explorer.recommender import recommend_gpus

MY_PRICES = {"H200": 3.50, "H100": 2.40, "L40S": 1.10, "L40": 0.90}  # USD per GPU-hour (illustrative)


def main() -> None:
    result = recommend_gpus(
        "meta-llama/Llama-3.3-70B-Instruct",
        input_length=2048,
        output_length=256,
        gpus=["H200", "H100", "L40S", "L40", "A100"],
        max_gpus=8,
        metric="cost",
        max_ttft_ms=1000,
        max_itl_ms=50,
        constraints="ttft:p95<2000ms;itl:p95<60ms",
        target_requests_per_s=10,
        gpu_costs=MY_PRICES,
        backend="native",
    )
    print(result.summary(top=8))

    best = result.best
    if best is None or best.estimate is None:
        print("\nNothing meets the SLOs; loosen them or allow more GPUs.")
        return
    e = best.estimate
    print(
        f"\nPick: {best.copies_for_target} copies of {best.num_gpus} x {best.gpu} (tp={best.tp}), "
        f"{best.total_gpus_for_target} GPUs, ${best.cost_per_hour_for_target_usd:,.2f}/hour"
    )
    print(
        f"  each copy at {best.concurrency} requests in flight: {e.requests_per_s:.2f} req/s, "
        f"TTFT {e.ttft_ms:.0f} ms (p95 {e.ttft_p95_ms:.0f}), "
        f"ITL {e.itl_ms:.1f} ms (p95 {e.itl_p95_ms:.1f})"
    )
    print(
        f"  memory per GPU: {e.memory_weights_gib:.1f} GiB weights, "
        f"{e.memory_kv_capacity_gib:.1f} GiB KV cache capacity"
    )
    print(f"  launch: {best.serve_commands['vllm']}")

    reasons = Counter((c.rejected_reason or "").split(":")[0] for c in result.rejected)
    counts = ", ".join(f"{n} x {why}" for why, n in reasons.items())
    print(f"\nRejected {len(result.rejected)} layouts: {counts}")
    for c in result.rejected:
        if c.rejected_reason and c.rejected_reason.startswith("misses SLO"):
            print(f"  e.g. {c.num_gpus} x {c.gpu} (tp={c.tp}): {c.rejected_reason}")
            break


if __name__ == "__main__":
    main()
