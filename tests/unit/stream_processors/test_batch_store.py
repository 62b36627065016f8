"""One batch through the worker's store: rows to the sink, failures dead-lettered, then done."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

from clickhouse_connect.driver.exceptions import DataError
from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors.agents.batching import (
    IN_FLIGHT,
    UNSETTLED_BATCHES,
    BatchStore,
    store_batches,
)
from stream_processors.agents.pipeline import FIXED_PROJECTIONS, Projections
from stream_processors.decoding import decode_record
from stream_processors.dlq import Failed
from stream_processors.inbox import Inbox
from stream_processors.rows import COLUMNS, Row
from stream_processors.sink import Backoff, Sink


class FakeWriter:
    """Keeps every written row; refuses for good rows whose user is ``refused_user``."""

    def __init__(self, refused_user: str | None = None) -> None:
        self.refused_user = refused_user
        self.tables: dict[str, list[Row]] = {}

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        user = columns.index("user_id")
        if any(row[user] == self.refused_user for row in rows):
            raise DataError("Code: 6. cannot parse")
        self.tables.setdefault(table, []).extend(rows)


class FakeRefresher:
    def __init__(self) -> None:
        self.touched: list[TouchedKeys] = []

    async def refresh(self, touched: TouchedKeys) -> None:
        self.touched.append(touched)


class Letters:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def __call__(self, message: Message, failure: Failed) -> None:
        self.sent.append((message.offset, failure.reason))


def message(offset: int, value: bytes) -> Message:
    return Message("pulse.events.v1", 0, offset, 0.0, 0, [], b"u", value, None)  # type: ignore[arg-type]


def value(user: str, event: str = "user.login", **metadata: object) -> bytes:
    now = datetime.now(UTC)
    record = EventRecord(
        event_id=uuid4(),
        event=event,
        user_id=user,
        timestamp=now,
        received_at=now,
        metadata=metadata,
    )
    return record.model_dump_json().encode()


def store_for(
    writer: FakeWriter, letters: Letters, refresher: FakeRefresher
) -> tuple[BatchStore, list[EventRecord]]:
    projections = Projections(FIXED_PROJECTIONS)
    sink = Sink(writer, {t: COLUMNS[t] for t in projections.tables}, Backoff(0.001, 0.01))
    kept: list[EventRecord] = []
    return BatchStore(sink, projections.rows, letters, kept.extend, refresher), kept


def batch(values: list[bytes]) -> list[tuple[object, Message]]:
    return [(decode_record(v), message(i, v)) for i, v in enumerate(values)]


def test_a_batch_is_written_once_per_table_and_its_rollup_keys_refreshed() -> None:
    writer, letters, refresher = FakeWriter(), Letters(), FakeRefresher()
    store, kept = store_for(writer, letters, refresher)
    values = [
        value(f"u-{i}", "assignment.viewed", assignment_id="hw", subject="math") for i in range(20)
    ]
    asyncio.run(store.store(batch(values)))
    assert {t: len(rows) for t, rows in writer.tables.items()} == {
        "events_store": 20,
        "dau_users": 20,
        "assignment_events": 20,
        "subject_events": 20,
    }
    # One day and one (day, subject) touched; pairs and users are kept by ClickHouse's views.
    assert len(refresher.touched) == 1
    assert (len(refresher.touched[0].days), len(refresher.touched[0].subjects)) == (1, 1)
    assert len(kept) == 20 and letters.sent == []


def test_undecodable_messages_are_dead_lettered_and_the_rest_stored() -> None:
    writer, letters, refresher = FakeWriter(), Letters(), FakeRefresher()
    store, kept = store_for(writer, letters, refresher)
    asyncio.run(store.store(batch([value("u-1"), b"{not json", b'{"v": 2}', value("u-2")])))
    assert letters.sent == [(1, "not_json"), (2, "schema_version")]
    assert [row[2] for row in writer.tables["events_store"]] == ["u-1", "u-2"]
    assert [r.user_id for r in kept] == ["u-1", "u-2"]


def test_a_refused_row_is_dead_lettered_once_and_touches_no_rollup() -> None:
    writer, letters, refresher = FakeWriter(refused_user="bad"), Letters(), FakeRefresher()
    store, kept = store_for(writer, letters, refresher)
    asyncio.run(store.store(batch([value("u-1"), value("bad"), value("u-2")])))
    assert letters.sent == [(1, "clickhouse_rejected")]
    assert sorted(row[1] for row in writer.tables["dau_users"]) == ["u-1", "u-2"]
    assert [r.user_id for r in kept] == ["u-1", "u-2"]
    assert len(refresher.touched[0].days) == 1


def test_a_batch_of_dead_letters_only_refreshes_nothing() -> None:
    writer, letters, refresher = FakeWriter(), Letters(), FakeRefresher()
    store, kept = store_for(writer, letters, refresher)
    asyncio.run(store.store(batch([b"[]"])))
    assert letters.sent == [(0, "invalid_record")]
    assert writer.tables == {} and kept == []
    assert not any(refresher.touched)


def test_the_loop_acknowledges_a_batch_only_after_it_is_stored() -> None:
    events: list[str] = []

    class Recording(FakeWriter):
        async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
            events.append(f"write {table}")
            await super().write(table, columns, rows)

    async def scenario() -> None:
        store, _ = store_for(Recording(), Letters(), FakeRefresher())
        inbox = Inbox(capacity=100)
        await inbox.put([message(i, value(f"u-{i}")) for i in range(3)])
        loop = asyncio.ensure_future(
            store_batches(inbox, store, lambda m: events.append(f"ack {m.offset}"), 10)
        )
        while not any(e.startswith("ack") for e in events) or len(inbox):
            await asyncio.sleep(0.001)
        loop.cancel()

    asyncio.run(asyncio.wait_for(scenario(), 10))
    writes = [i for i, e in enumerate(events) if e.startswith("write")]
    acks = [e for e in events if e.startswith("ack")]
    assert acks == ["ack 0", "ack 1", "ack 2"]
    assert len(writes) == 2 and max(writes) < events.index("ack 0")


def test_batches_overlap_but_recomputes_follow_their_inserts_and_acks_stay_in_order() -> None:
    """Inserts go on while a slow recompute runs; a recompute covers the batches stored
    before it started (several at once), and each ack follows the recompute of its batch."""
    log: list[str] = []

    class SlowRefresher(FakeRefresher):
        async def refresh(self, touched: TouchedKeys) -> None:
            log.append("refresh start")
            await asyncio.sleep(0.02)
            log.append("refresh end")
            await super().refresh(touched)

    class Recording(FakeWriter):
        async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
            if table == "events_store":
                log.append(f"insert {rows[0][2]}")
            await super().write(table, columns, rows)

    async def scenario() -> list[int]:
        acked: list[int] = []

        def ack(m: Message) -> None:
            acked.append(m.offset)
            log.append(f"ack {m.offset}")

        store, _ = store_for(Recording(), Letters(), SlowRefresher())
        inbox = Inbox(capacity=100)
        loop = asyncio.ensure_future(store_batches(inbox, store, ack, 1))
        for i in range(6):
            await inbox.put([message(i, value(f"u-{i}"))])
        while len(acked) < 6:
            await asyncio.sleep(0.001)
        loop.cancel()
        return acked

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == [0, 1, 2, 3, 4, 5]
    refreshes = [entry for entry in log if entry.startswith("refresh")]
    assert 1 <= len(refreshes) // 2 < 6  # several stored batches shared a recompute
    assert refreshes == ["refresh start", "refresh end"] * (len(refreshes) // 2)
    for i in range(6):
        # Batch i's ack follows a whole recompute that started after its insert.
        insert, ack = log.index(f"insert u-{i}"), log.index(f"ack {i}")
        assert "refresh start" in log[insert:ack]
        assert log.index("refresh end", log.index("refresh start", insert)) < ack
    assert log.index("insert u-1") < log.index("refresh end")  # the next batch did not wait


def test_an_error_of_a_recompute_ends_the_loop_with_nothing_acknowledged() -> None:
    """An unexpected error (not a retried one) reaches the agent, which Faust then restarts;
    the batch behind it stays unacknowledged, so it is read again."""

    class Broken(FakeRefresher):
        async def refresh(self, touched: TouchedKeys) -> None:
            raise RuntimeError("boom")

    async def scenario() -> list[int]:
        acked: list[int] = []
        store, _ = store_for(FakeWriter(), Letters(), Broken())
        inbox = Inbox(capacity=100)
        await inbox.put([message(i, value(f"u-{i}")) for i in range(3)])
        try:
            await store_batches(inbox, store, lambda m: acked.append(m.offset), 1)
        except RuntimeError as exc:
            assert str(exc) == "boom"
        return acked

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == []


def test_the_loop_stops_taking_while_too_many_stored_batches_wait_for_their_recompute() -> None:
    """Backpressure: with the recompute stalled, the loop writes at most UNSETTLED_BATCHES
    batches' messages and leaves the rest in the inbox (which then stops the fetcher)."""
    release = asyncio.Event()

    class Stalled(FakeRefresher):
        async def refresh(self, touched: TouchedKeys) -> None:
            await release.wait()
            await super().refresh(touched)

    async def scenario() -> tuple[int, int, list[int]]:
        acked: list[int] = []
        writer = FakeWriter()
        store, _ = store_for(writer, Letters(), Stalled())
        inbox = Inbox(capacity=100)
        await inbox.put([message(i, value(f"u-{i}")) for i in range(20)])
        loop = asyncio.ensure_future(
            store_batches(inbox, store, lambda m: acked.append(m.offset), 2)
        )
        deadline = asyncio.get_running_loop().time() + 5
        while (
            len(inbox) > 20 - 2 * UNSETTLED_BATCHES and asyncio.get_running_loop().time() < deadline
        ):
            await asyncio.sleep(0.001)
        for _ in range(50):  # the loop would have taken more by now if it could
            await asyncio.sleep(0)
        waiting, stored = len(inbox), len(writer.tables.get("events_store", []))
        release.set()
        while len(acked) < 20:
            await asyncio.sleep(0.001)
        loop.cancel()
        return waiting, stored, acked

    waiting, stored, acked = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert waiting == 20 - 2 * UNSETTLED_BATCHES and stored == 2 * UNSETTLED_BATCHES
    assert acked == list(range(20))


def test_at_most_in_flight_batches_are_inserted_at_once_whichever_finishes_first() -> None:
    """The second of two inserts finishing first must not let a third (and more) start."""
    running: list[int] = []
    most = 0

    class Uneven(FakeWriter):
        async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
            nonlocal most
            if table == "events_store":
                running.append(1)
                most = max(most, len(running))
                # Batch 0 is slow, every later one quick: later inserts finish first.
                await asyncio.sleep(0.05 if rows[0][2] == "u-0" else 0.001)
                running.pop()
            await super().write(table, columns, rows)

    async def scenario() -> list[int]:
        acked: list[int] = []
        store, _ = store_for(Uneven(), Letters(), FakeRefresher())
        inbox = Inbox(capacity=100)
        await inbox.put([message(i, value(f"u-{i}")) for i in range(10)])
        loop = asyncio.ensure_future(
            store_batches(inbox, store, lambda m: acked.append(m.offset), 1)
        )
        while len(acked) < 10:
            await asyncio.sleep(0.001)
        loop.cancel()
        return acked

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == list(range(10))
    assert most <= IN_FLIGHT
