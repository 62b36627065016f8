"""Old days' rollup keys wait for one shared refresh; the acknowledgements behind them wait too."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors.agents.batching import DeferPolicy, store_batches
from stream_processors.inbox import Inbox
from stream_processors.rollup_deferral import RollupDeferral
from tests.unit.stream_processors.test_batch_store import (
    FakeRefresher,
    FakeWriter,
    Letters,
    message,
    store_for,
)

TODAY = date(2026, 12, 2)
OLD = date(2026, 11, 14)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def keys(*days: date) -> TouchedKeys:
    return TouchedKeys(days=set(days), subjects={(d, "math") for d in days})


def deferral(
    refresher: FakeRefresher, acked: list[int], clock: Clock, max_seconds: float = 5.0
) -> RollupDeferral:
    return RollupDeferral(
        refresher.refresh,
        lambda m: acked.append(m.offset),
        after_days=1,
        max_seconds=max_seconds,
        hold_limit=10,
        clock=clock,
        today=lambda: TODAY,
    )


def messages(*offsets: int) -> list[Message]:
    return [message(offset, b"{}") for offset in offsets]


def test_keys_of_today_and_yesterday_are_recomputed_now_older_ones_later() -> None:
    d = deferral(FakeRefresher(), [], Clock())
    now, later = d.split(keys(TODAY, TODAY - timedelta(days=1), OLD))
    assert now.days == {TODAY, TODAY - timedelta(days=1)}
    assert later.days == {OLD} and later.subjects == {(OLD, "math")}


def test_with_no_wait_nothing_is_deferred() -> None:
    d = deferral(FakeRefresher(), [], Clock(), max_seconds=0)
    now, later = d.split(keys(TODAY, OLD))
    assert now.days == {TODAY, OLD} and not later


def test_held_batches_are_acknowledged_in_order_after_one_refresh_of_all_their_keys() -> None:
    refresher, acked, clock = FakeRefresher(), [], Clock()
    d = deferral(refresher, acked, clock)

    async def scenario() -> None:
        await d.settled(TouchedKeys(), messages(0, 1), idle=False)  # nothing old: acked now
        await d.settled(keys(OLD), messages(2, 3), idle=False)
        await d.settled(TouchedKeys(), messages(4), idle=False)  # behind the held ones
        await d.settled(keys(OLD - timedelta(days=3)), messages(5), idle=False)
        assert acked == [0, 1] and refresher.touched == [] and d.held == 4
        clock.now += 5.0
        await d.settled(TouchedKeys(), messages(6), idle=False)

    asyncio.run(scenario())
    assert acked == [0, 1, 2, 3, 4, 5, 6]
    assert len(refresher.touched) == 1
    assert refresher.touched[0].days == {OLD, OLD - timedelta(days=3)}
    assert d.held == 0


def test_idle_input_or_too_many_held_messages_refresh_at_once() -> None:
    refresher, acked, clock = FakeRefresher(), [], Clock()
    d = deferral(refresher, acked, clock)

    async def scenario() -> None:
        await d.settled(keys(OLD), messages(0), idle=True)
        assert acked == [0] and len(refresher.touched) == 1
        await d.settled(keys(OLD), messages(*range(1, 11)), idle=False)  # the limit: 10

    asyncio.run(scenario())
    assert acked == list(range(11)) and len(refresher.touched) == 2


def test_the_batch_loop_defers_old_days_and_acknowledges_only_after_their_refresh() -> None:
    """Through store_batches: 8 batches of an old day each between live ones. The input is idle
    only once the loop has taken the last batch (at most the last IN_FLIGHT + 1 settle then),
    so most old days share one refresh, and every acknowledgement follows its keys' refresh."""
    refresher = FakeRefresher()
    store, _ = store_for(FakeWriter(), Letters(), refresher)
    acked: list[int] = []
    refreshed_before_ack: list[int] = []

    def ack(m: Message) -> None:
        acked.append(m.offset)
        refreshed_before_ack.append(len(refresher.touched))

    def event(offset: int, ts: datetime) -> Message:
        record = EventRecord(
            event_id=uuid4(),
            event="user.login",
            user_id=f"u-{offset}",
            timestamp=ts,
            received_at=datetime.now(UTC),
        )
        return message(offset, record.model_dump_json().encode())

    now = datetime.now(UTC)
    old_days = [now - timedelta(days=10 + n) for n in range(8)]
    events = [event(2 * n, ts) for n, ts in enumerate(old_days)]
    events += [event(2 * n + 1, now) for n in range(8)]
    events.sort(key=lambda m: m.offset)

    async def scenario() -> None:
        inbox = Inbox(capacity=100)
        await inbox.put(events)  # all queued first: idle only after the last batch is taken
        loop = asyncio.ensure_future(store_batches(inbox, store, ack, 1, DeferPolicy(1, 60.0)))
        deadline = asyncio.get_running_loop().time() + 10
        while len(acked) < len(events) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.001)
        loop.cancel()

    asyncio.run(scenario())
    assert acked == list(range(16))
    refreshed: Sequence[TouchedKeys] = refresher.touched
    old = {ts.date() for ts in old_days}
    old_refreshes = [t for t in refreshed if t.days & old]
    assert set().union(*(t.days for t in old_refreshes)) == old
    assert len(old_refreshes) <= 4  # not one per old batch
    assert all(now.date() not in t.days for t in old_refreshes)
    # An old batch's acknowledgement came after the refresh that held its day.
    for n, ts in enumerate(old_days):
        first = next(i for i, t in enumerate(refreshed) if ts.date() in t.days)
        assert refreshed_before_ack[2 * n] > first
