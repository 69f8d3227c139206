"""Stand-in for the unrelated PyPI project named ``llm-optimizer``: an API-cost reducer, not BentoML's.

It installs a top-level package with the same name, ``llm_optimizer``, holding a client wrapper,
a router and a cache, and no ``performance`` module. The adapter must recognise it without running
it: importing this module sets ``IMPORTED`` so tests can check that it never was.
"""

from __future__ import annotations

IMPORTED = True

__all__ = ["OptimizedClient", "caching", "router"]


class OptimizedClient:
    """Wraps an Anthropic/OpenAI client, caching and routing prompts to cut API cost."""

    def __init__(self, client: object, *, cache: bool = True) -> None:
        self.client = client
        self.cache = cache


router = object()
caching = object()
