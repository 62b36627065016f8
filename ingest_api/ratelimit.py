"""Per-key token buckets in memory: ``rate`` requests a second, ``burst`` at once."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest_api.exceptions import RateLimited


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by API key id; :meth:`check` raises :class:`RateLimited` when empty."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def check(self, key_id: str) -> None:
        """Take one token from ``key_id``'s bucket, or raise with the seconds until one is back."""
        now = self._clock()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        wait = math.ceil((1.0 - bucket.tokens) / self._rate)
        raise RateLimited(
            f"rate limit of {self._rate:g} requests/s for this key exceeded: slow down or "
            "send events in batches",
            retry_after=max(1, wait),
        )
