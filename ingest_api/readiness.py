"""Readiness: is Kafka reachable? A real metadata round trip, its answer cached briefly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from core.kafka_admin import kafka_reachable


class KafkaProbe:
    """Answers "can Kafka be reached", asking the broker at most once per ``cache_s`` seconds.

    When Kafka comes back, ``on_reachable`` runs (the publisher reconnects and creates its topics).
    """

    def __init__(
        self,
        bootstrap: str,
        timeout: float,
        cache_s: float,
        on_reachable: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._timeout = timeout
        self._cache_s = cache_s
        self._on_reachable = on_reachable
        self._checked_at = float("-inf")
        self._ready = False
        self._lock = asyncio.Lock()

    async def ready(self) -> bool:
        """The cached answer if fresh, else a new metadata round trip."""
        async with self._lock:
            if time.monotonic() - self._checked_at < self._cache_s:
                return self._ready
            self._ready = await kafka_reachable(self._bootstrap, self._timeout)
            self._checked_at = time.monotonic()
            if self._ready and self._on_reachable is not None:
                await self._on_reachable()
            return self._ready
