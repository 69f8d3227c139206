"""The public API: recommend GPUs, estimate one configuration or a batch.

``from config_explorer.recommender import recommend_gpus, estimate_performance,
estimate_performance_batch, GPURecommender, ModelArchitecture, PerformanceEstimate``
"""

from __future__ import annotations

from config_explorer.architecture import ModelArchitecture
from config_explorer.engine.records import PerformanceEstimate, SweepResult
from config_explorer.engine.slo import SLOConstraint, parse_slo_constraints
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.traffic import SharedPrefix
from config_explorer.recommender.compare import BackendComparison, FigureComparison, compare_backends
from config_explorer.recommender.costs import GPUCosts
from config_explorer.recommender.disaggregated import PoolLayout, estimate_disaggregated
from config_explorer.recommender.multi import GPURecommendation, GPURecommender
from config_explorer.recommender.performance import estimate_performance, estimate_performance_batch
from config_explorer.recommender.recommend import METRICS, Candidate, RecommendationResult, recommend_gpus
from config_explorer.recommender.serve_command import serve_commands
from config_explorer.recommender.speculation import speculative_break_even
from config_explorer.recommender.workloads import WORKLOADS, Workload, get_workload

__all__ = [
    "METRICS",
    "WORKLOADS",
    "BackendComparison",
    "Candidate",
    "FigureComparison",
    "GPUCosts",
    "GPURecommendation",
    "GPURecommender",
    "ModelArchitecture",
    "PerformanceEstimate",
    "PoolLayout",
    "RecommendationResult",
    "SLOConstraint",
    "SharedPrefix",
    "SpeculativeConfig",
    "SweepResult",
    "Workload",
    "compare_backends",
    "estimate_disaggregated",
    "estimate_performance",
    "estimate_performance_batch",
    "get_workload",
    "parse_slo_constraints",
    "recommend_gpus",
    "serve_commands",
    "speculative_break_even",
]
