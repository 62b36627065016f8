"""Old days' rollup keys recomputed together, every few seconds, instead of after every batch.

Recomputing a day costs that day's facts whatever the number of its keys a batch touched. Live
traffic touches today (and yesterday, around midnight); historical imports and late events touch
older days, a handful of keys each, and recomputing those days after every batch made every
batch pay for whole days of history (7.6 s a batch at 100M events). So a batch's keys of days
before ``today - after_days`` are set aside here and recomputed in one refresh, at the latest
``max_seconds`` after the first of them, or as soon as the input is idle.

Nothing is lost in a crash: a batch whose old keys wait here is not acknowledged, and neither is
any batch after it (Faust commits acknowledged offsets, and acknowledgements stay in order), so a
crash re-delivers them and their keys are recomputed again. The rule of ``clickhouse.rollups``
still holds: every key's recompute starts after the insert of every fact that touched it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from faust.types import Message

from clickhouse.rollups import TouchedKeys
from stream_processors import metrics

Refresh = Callable[[TouchedKeys], Awaitable[None]]


def utc_today() -> date:
    return datetime.now(UTC).date()


class RollupDeferral:
    """Holds old days' keys and the acknowledgements behind them until their one refresh."""

    def __init__(
        self,
        refresh: Refresh,
        ack: Callable[[Message], object],
        after_days: int,
        max_seconds: float,
        hold_limit: int,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._refresh = refresh
        self._ack = ack
        self._after_days = after_days
        self._max_seconds = max_seconds
        self._hold_limit = hold_limit
        self._clock = clock
        self._today = today
        self._keys = TouchedKeys()
        self._held: list[Message] = []
        self._since: float | None = None

    @property
    def held(self) -> int:
        """Messages whose acknowledgement waits for the deferred refresh."""
        return len(self._held)

    def split(self, touched: TouchedKeys) -> tuple[TouchedKeys, TouchedKeys]:
        """(the keys to recompute now, the keys to defer); nothing is deferred when
        ``max_seconds`` is 0."""
        if self._max_seconds <= 0:
            return touched, TouchedKeys()
        return touched.split(self._today() - timedelta(days=self._after_days))

    async def settled(self, deferred: TouchedKeys, messages: list[Message], idle: bool) -> None:
        """A batch's other keys are recomputed: acknowledge its ``messages``, or hold them (in
        order, behind any held before) with its ``deferred`` keys; refresh what is held when it
        is due (``max_seconds`` since the first, too many messages held, or ``idle`` input)."""
        if not deferred and not self._held:
            for message in messages:
                self._ack(message)
            return
        self._keys.merge(deferred)
        self._held.extend(messages)
        metrics.ROLLUP_DEFERRED_MESSAGES.set(len(self._held))
        if self._since is None:
            self._since = self._clock()
        due = self._clock() - self._since >= self._max_seconds
        if idle or due or len(self._held) >= self._hold_limit:
            await self.flush()

    async def flush(self) -> None:
        """Recompute every held key, then acknowledge every held message, in order."""
        keys, held = self._keys, self._held
        self._keys, self._held, self._since = TouchedKeys(), [], None
        if keys:
            await self._refresh(keys)
            metrics.ROLLUP_DEFERRED_REFRESHES.inc()
        for message in held:
            self._ack(message)
        metrics.ROLLUP_DEFERRED_MESSAGES.set(0)
