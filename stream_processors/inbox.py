"""Messages fetched and not yet taken: the consumer puts whole fetches, the batch loop takes
everything there is (up to a size) at once.

Taking never waits for more than the first message: a batch is whatever arrived while the
previous one was being stored, so a backlog is drained in full-size batches and a quiet stream
is flushed as soon as its input is idle. ``put`` waits while ``capacity`` messages are pending,
which stops the fetcher (backpressure) instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from faust.types import TP, Message


class Inbox:
    """A bounded buffer of fetched messages, filled by the consumer, drained by the batch loop."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._pending: list[Message] = []
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def __len__(self) -> int:
        return len(self._pending)

    def empty(self) -> bool:
        """Nothing fetched is waiting: the input is idle."""
        return not self._pending

    async def put(self, messages: list[Message]) -> None:
        """Add one fetch's messages, after waiting while the inbox is full."""
        while len(self._pending) >= self.capacity:
            self._room.clear()
            await self._room.wait()
        self._pending.extend(messages)
        if self._pending:
            self._arrived.set()

    async def take(self, max_messages: int) -> list[Message]:
        """Up to ``max_messages`` pending messages, in fetch order; waits only for the first."""
        while not self._pending:
            self._arrived.clear()
            await self._arrived.wait()
        taken = self._pending[:max_messages]
        del self._pending[:max_messages]
        if len(self._pending) < self.capacity:
            self._room.set()
        return taken

    def drop(self, partitions: Iterable[TP]) -> int:
        """Forget pending messages of ``partitions`` (revoked: their next owner reads them)."""
        gone = set(partitions)
        kept = [message for message in self._pending if message.tp not in gone]
        dropped = len(self._pending) - len(kept)
        self._pending = kept
        if len(kept) < self.capacity:
            self._room.set()
        return dropped
