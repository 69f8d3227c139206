"""Regenerate benchmarks/data/deepep_moe_compute_times.csv and deepep_ll_exchange_times.csv from NVIDIA aiconfigurator's
kernel database.

The ``aiconfigurator-core`` wheel ships SGLang 0.5.10's ``wideep_generation_moe_perf`` tables
(``systems/data/<gpu>/moe/sglang/0.5.10/``): one GPU's expert computation of one DeepSeek-V3 MoE layer (FP8-block,
256 experts, top-8) behind DeepEP's low-latency dispatch, SGLang's ``DeepEPMoE.run_moe_core`` on the masked layout
(DeepGEMM's masked grouped GEMMs with the activation and its quantization), the experts over ``moe_ep_size`` ranks, no
dispatch or combine. ``num_tokens`` is the batch of the whole expert-parallel group (the collector writes its per-rank
batch times the ranks). This script keeps the ``uniform`` and ``power_law_1.01`` rows of the H100, H200, B200, B300
and GB200 tables.

It also writes the same wheel's measured DeepEP low-latency dispatch and combine kernels as SGLang runs them
(``systems/data/<gpu>/comm/sglang/<release>/wideep_deepep_ll_perf.parquet``: one node of eight GPUs, or two to eight
H100 nodes over the network; tokens per GPU; SGLang 0.5.6.post2 on the H100, 0.5.12 on the H200, B200 and B300),
DeepSeek-V3's hidden size, top-8 of 256 experts, to deepep_ll_exchange_times.csv.

Usage: ``python tools/extract_deepep_moe_times.py <site-packages>/aiconfigurator_core`` (needs pandas, which the
project does not depend on; nothing in the test suite runs it).
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import package_folder, read_table, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "deepep_moe_compute_times.csv"
EXCHANGE_OUT = OUT.with_name("deepep_ll_exchange_times.csv")
#: the exchange tables: system folder -> (catalog GPU, SGLang release, GPUs a node)
EXCHANGE_SYSTEMS = {
    "h100_sxm": ("H100", "0.5.6.post2", 8),
    "h200_sxm": ("H200", "0.5.12", 8),
    "b200_sxm": ("B200", "0.5.12", 8),
    "b300_sxm": ("B300", "0.5.12", 8),
}
EXCHANGE_COLUMNS = ("source", "gpu", "framework", "nodes", "ep", "tokens_per_gpu", "hidden", "top_k")
EXCHANGE_COLUMNS += ("experts", "dispatch_us", "combine_us")
RELEASE = "0.5.10"
#: the database's system folder -> the catalog GPU
SYSTEMS = {"h100_sxm": "H100", "h200_sxm": "H200", "b200_sxm": "B200", "b300_sxm": "B300", "gb200": "GB200"}
DISTRIBUTIONS = ("uniform", "power_law_1.01")
COLUMNS = ("source", "gpu", "framework", "kernel", "dtype", "distribution", "num_tokens", "hidden_size")
COLUMNS += ("moe_intermediate_size", "num_experts", "topk", "ep", "time_us")


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for system, gpu in SYSTEMS.items():
        table, source = read_table(
            package, f"systems/data/{system}/moe/sglang/{RELEASE}/wideep_generation_moe_perf.parquet"
        )
        keep = table[table.distribution.isin(DISTRIBUTIONS) & (table.moe_tp_size == 1)]
        for r in keep.sort_values(["distribution", "moe_ep_size", "num_tokens"]).itertuples():
            rows.append(
                {
                    "source": source,
                    "gpu": gpu,
                    "framework": f"SGLang {RELEASE}",
                    "kernel": r.kernel_source,
                    "dtype": r.moe_dtype,
                    "distribution": r.distribution,
                    "num_tokens": int(r.num_tokens),
                    "hidden_size": int(r.hidden_size),
                    "moe_intermediate_size": int(r.inter_size),
                    "num_experts": int(r.num_experts),
                    "topk": int(r.topk),
                    "ep": int(r.moe_ep_size),
                    "time_us": round(float(r.latency) * 1e3, 3),
                }
            )
    write_rows(OUT, COLUMNS, rows)
    exchanges = []
    for system, (gpu, release, per_node) in EXCHANGE_SYSTEMS.items():
        table, source = read_table(
            package, f"systems/data/{system}/comm/sglang/{release}/wideep_deepep_ll_perf.parquet"
        )
        keep = table[(table.hidden_size == 7168) & (table.num_topk == 8) & (table.num_experts == 256)]
        for r in keep.sort_values(["node_num", "num_token"]).itertuples():
            exchanges.append(
                {
                    "source": source,
                    "gpu": gpu,
                    "framework": f"SGLang {release}",
                    "nodes": int(r.node_num),
                    "ep": int(r.node_num) * per_node,
                    "tokens_per_gpu": int(r.num_token),
                    "hidden": int(r.hidden_size),
                    "top_k": int(r.num_topk),
                    "experts": int(r.num_experts),
                    "dispatch_us": round(float(r.dispatch_avg_t_us), 3),
                    "combine_us": round(float(r.combine_avg_t_us), 3),
                }
            )
    return write_rows(EXCHANGE_OUT, EXCHANGE_COLUMNS, exchanges)


if __name__ == "__main__":
    raise SystemExit(main())
