"""What became of every event handed to a client: counted, never silent."""

from __future__ import annotations

import threading

COUNTERS = ("queued", "delivered", "rejected", "dropped", "failed", "requests", "retries")


class Stats:
    """Counters since the client started; read them any time (``client.stats.dropped``).

    Every event handed to ``track`` ends in exactly one of ``delivered``, ``rejected``,
    ``dropped`` or ``failed``, or is still ``pending`` (queued or in flight):

    - ``queued``: taken into the queue;
    - ``delivered``: accepted by the server, so durably in Kafka;
    - ``rejected``: refused by the server's per-event verdict (passed to ``on_rejected``);
    - ``dropped``: refused, or evicted, because the queue was full (the overflow policy);
    - ``failed``: given up on: a permanent error (bad key, other 4xx), the retry budget spent,
      or still unsent when ``close`` reached its deadline;
    - ``requests`` and ``retries``: POSTs made, and how many repeated an earlier one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.queued = self.delivered = self.rejected = self.dropped = self.failed = 0
        self.requests = self.retries = 0
        self._evicted = 0  # dropped after being queued (drop_oldest), so no longer pending

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    @property
    def pending(self) -> int:
        """Queued, and not yet delivered, rejected, evicted or failed."""
        with self._lock:
            return self.queued - self.delivered - self.rejected - self.failed - self._evicted

    def snapshot(self) -> dict[str, int]:
        """Every counter at one instant, and ``pending``."""
        with self._lock:
            values = {name: getattr(self, name) for name in COUNTERS}
            evicted = self._evicted
        settled = values["delivered"] + values["rejected"] + values["failed"] + evicted
        return values | {"pending": values["queued"] - settled}

    def __repr__(self) -> str:
        return f"Stats({', '.join(f'{k}={v}' for k, v in self.snapshot().items())})"
