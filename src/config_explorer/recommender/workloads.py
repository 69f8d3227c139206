"""Named workload shapes (prompt and output lengths) for common serving patterns."""

from __future__ import annotations

from typing import Final

import attrs

from config_explorer.errors import InvalidArgumentError

__all__ = ["WORKLOADS", "Workload", "get_workload"]


@attrs.frozen
class Workload:
    name: str
    input_length: int
    output_length: int
    description: str


WORKLOADS: Final[dict[str, Workload]] = {
    w.name: w
    for w in (
        Workload("chat", 512, 256, "interactive chat turn"),
        Workload("rag", 4096, 512, "retrieval-augmented answer over long retrieved context"),
        Workload("code", 1024, 1024, "code generation / completion"),
        Workload("summarization", 10240, 1536, "long-document summarization"),
    )
}


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name.strip().lower()]
    except KeyError:
        raise InvalidArgumentError(f"unknown workload {name!r}; accepted: {', '.join(WORKLOADS)}") from None
