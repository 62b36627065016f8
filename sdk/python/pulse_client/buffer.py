"""The bounded queue between the callers and the sender, and its overflow policy."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from pulse_client.encoding import Encoded
from pulse_client.exceptions import ClientClosed
from pulse_client.stats import Stats

Overflow = Literal["drop_newest", "drop_oldest", "block"]
OVERFLOW_POLICIES: tuple[Overflow, ...] = ("drop_newest", "drop_oldest", "block")


class Buffer:
    """Events waiting to be sent, bounded by count and bytes; thread-safe.

    When full, ``overflow`` decides: ``drop_newest`` refuses the new event (``track`` returns
    False), ``drop_oldest`` evicts the oldest queued ones to make room, ``block`` makes the
    caller wait up to ``block_timeout`` seconds for room, then refuses. Every refused or
    evicted event is counted in ``stats.dropped`` and logged; none is lost silently.
    """

    def __init__(
        self,
        max_events: int,
        max_bytes: int,
        overflow: Overflow,
        stats: Stats,
        on_drop: Callable[[int], None],
        block_timeout: float = 1.0,
    ) -> None:
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {OVERFLOW_POLICIES}, not {overflow!r}")
        self.max_events, self.max_bytes, self.overflow = max_events, max_bytes, overflow
        self.block_timeout = block_timeout
        self.stats, self._on_drop = stats, on_drop
        self.cond = threading.Condition()
        self._items: deque[Encoded] = deque()
        self._bytes = 0
        self.closed = False
        self.put_count = 0  # events appended so far (a sequence number for flush)
        self.taken = 0  # events handed to the sender so far
        self.flush_until = 0  # the sender sends without lingering until ``taken`` reaches it
        self.inflight = False  # the sender holds a batch it has not settled yet
        self.wakeup: Callable[[], None] = lambda: None  # the async sender's nudge

    def __len__(self) -> int:
        return len(self._items)

    def _full(self, size: int) -> bool:
        return len(self._items) >= self.max_events or self._bytes + size > self.max_bytes

    def put(self, item: Encoded) -> bool:
        """Queue ``item``; False if the overflow policy refused it (counted in ``dropped``)."""
        size = len(item.body)
        with self.cond:
            if self.closed:
                raise ClientClosed("this client is closed; create a new one to send events")
            if self._full(size) and not self._make_room(size):
                self.stats.add(dropped=1)
                self._on_drop(1)
                return False
            self._items.append(item)
            self._bytes += size
            self.put_count += 1
            self.stats.add(queued=1)
            if len(self._items) in (1, self.max_batch_hint):
                self.cond.notify_all()
                self.wakeup()
        return True

    max_batch_hint = 1000  # the sender's batch size: a full batch wakes it at once

    def _make_room(self, size: int) -> bool:
        if self.overflow == "drop_oldest":
            evicted = 0
            while self._items and self._full(size):
                self._bytes -= len(self._items.popleft().body)
                evicted += 1
            self.taken += evicted  # as if sent: flush() never waits for them
            self.stats.add(dropped=evicted, _evicted=evicted)
            if evicted:
                self._on_drop(evicted)
            return not self._full(size)
        if self.overflow == "block":
            return self.cond.wait_for(lambda: not self._full(size), self.block_timeout)
        return False

    def take(self, max_events: int, max_bytes: int) -> list[Encoded]:
        """Up to ``max_events`` queued events whose bodies fit ``max_bytes`` (at least one)."""
        with self.cond:
            batch: list[Encoded] = []
            size = 2  # the JSON array's brackets
            while self._items and len(batch) < max_events:
                extra = len(self._items[0].body) + (1 if batch else 0)
                if batch and size + extra > max_bytes:
                    break
                item = self._items.popleft()
                self._bytes -= len(item.body)
                size += extra
                batch.append(item)
            self.taken += len(batch)
            self.inflight = bool(batch)
            if batch:
                self.cond.notify_all()  # room for blocked callers
            return batch

    def ready(self, max_events: int, max_bytes: int) -> bool:
        """Whether the sender should send now rather than wait for more events."""
        return bool(self._items) and (
            len(self._items) >= max_events
            or self._bytes >= max_bytes
            or self.closed
            or self.flush_until > self.taken
        )

    def wait_ready(self, max_events: int, max_bytes: int, linger: float) -> bool:
        """Block the sender until a batch is due: full, flushed, closing, or ``linger`` passed.

        Returns False only when the buffer is closed and empty (the sender may stop).
        """
        with self.cond:
            self.cond.wait_for(lambda: self._items or self.closed)
            if not self._items:
                return False
            deadline = time.monotonic() + linger
            while not self.ready(max_events, max_bytes):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return True

    def settle(self) -> None:
        """The sender is done with its batch (delivered, rejected or failed)."""
        with self.cond:
            self.inflight = False
            self.cond.notify_all()

    def flushed(self, target: int) -> bool:
        """Whether every event up to sequence number ``target`` has left the client."""
        return self.taken >= target and not self.inflight

    def wait_flushed(self, target: int, timeout: float | None) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.flushed(target), timeout)

    def request_flush(self) -> int:
        """Ask the sender to send all that is queued now; the sequence number to wait for."""
        with self.cond:
            self.flush_until = self.put_count
            self.cond.notify_all()
            self.wakeup()
            return self.put_count

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
            self.wakeup()

    def drain(self) -> list[Encoded]:
        """Everything still queued, removed (at close's deadline, to be counted as failed)."""
        with self.cond:
            items = list(self._items)
            self._items.clear()
            self._bytes = 0
            self.taken += len(items)
            return items
