"""The worker's one-pass batch paths give exactly what the per-record functions give.

``rows.batch_columns`` against ``events_store_row``/``dau_row``/``llm_call_row``/``subject_row``/
``assignment_row``; ``decoding.decode_values`` against ``decode_record``; a ``BatchStore`` with
``to_columns`` against the same store row by row; ``Sink.add_columns`` against ``Sink.add``.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import orjson
from clickhouse_connect.driver.exceptions import DatabaseError, DataError
from faust.types import Message

from clickhouse.rollups import TouchedKeys
from schemas.events import EventRecord
from stream_processors.agents import llm_usage
from stream_processors.agents.batching import BatchStore, touch_columns
from stream_processors.agents.pipeline import FIXED_PROJECTIONS, Projections
from stream_processors.decoding import decode_record, decode_values
from stream_processors.dlq import Failed
from stream_processors.labels import BoundedLabel
from stream_processors.rows import (
    COLUMNS,
    Row,
    assignment_row,
    batch_columns,
    dau_row,
    events_store_row,
    llm_call_row,
    subject_row,
)
from stream_processors.sink import Backoff, Sink

PLUS_2 = timezone(timedelta(hours=2))
MINUS_5 = timezone(timedelta(hours=-5, minutes=-30))
LLM = {"model": "gpt-x", "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.25}


def record(event: str, metadata: dict[str, Any], ts: datetime, **fields: Any) -> EventRecord:
    return EventRecord(
        event_id=uuid4(),
        event=event,
        user_id=fields.pop("user_id", "student-1"),
        timestamp=ts,
        received_at=fields.pop("received_at", datetime(2026, 11, 21, tzinfo=UTC)),
        metadata=metadata,
        **fields,
    )


def varied_records() -> list[EventRecord]:
    ts = datetime(2026, 11, 20, 23, 30, 0, 123456, tzinfo=UTC)
    return [
        record("user.login", {"role": "student"}, ts, source="web", session_id="s-1"),
        record("assignment.viewed", {"assignment_id": "hw-7", "subject": "math"}, ts),
        record("assignment.submitted", {"assignment_id": "hw-7", "subject": "math"}, ts),
        record("assignment.started", {"assignment_id": "hw-8"}, ts.astimezone(PLUS_2)),
        record("assignment.heartbeat", {"assignment_id": "", "subject": "art"}, ts),
        record("assignment.viewed", {"assignment_id": 7, "subject": 5}, ts),
        record("custom.thing", {"assignment_id": "hw-9", "subject": "art"}, ts),
        record("custom.thing", {"subject": ["not", "text"], "nested": {"a": [1, 2.5]}}, ts),
        record("llm.call", LLM, ts.astimezone(MINUS_5), request_id="r-1", user_id="u-2"),
        record("llm.call", LLM | {"subject": "cs", "cost_usd": 0.0}, ts.replace(microsecond=999)),
        record("chat.message", {"conversation_id": "c", "chars": 4}, datetime(1970, 1, 1, 0, 0)),
        record(
            "page.viewed",
            {},
            datetime(2026, 12, 1, 0, 59, 59, 999999, tzinfo=PLUS_2),  # 30 Nov in UTC
            received_at=datetime(2026, 12, 1, tzinfo=UTC),
        ),
        record(
            "page.viewed",
            {"ünïcode": "✓", "subject": "日本"},
            ts,
            received_at=ts.replace(tzinfo=None),
        ),
    ]


def per_record_rows(records: Sequence[EventRecord]) -> dict[str, list[Row]]:
    functions = {
        "dau_users": dau_row,
        "llm_calls": llm_call_row,
        "subject_events": subject_row,
        "assignment_events": assignment_row,
    }
    rows: dict[str, list[Row]] = {
        "events_store": [events_store_row(r, i % 3, 100 + i) for i, r in enumerate(records)]
    }
    for table, function in functions.items():
        rows[table] = [row for r in records if (row := function(r)) is not None]
    return rows


def test_batch_columns_equal_the_per_record_rows_of_every_table() -> None:
    records = varied_records()
    n = len(records)
    built = batch_columns(records, [i % 3 for i in range(n)], [100 + i for i in range(n)])
    expected = per_record_rows(records)
    assert set(built) == set(COLUMNS) == set(expected)
    for table, block in built.items():
        assert len(block.columns) == len(COLUMNS[table])
        assert list(zip(*block.columns, strict=True)) == expected[table], table
        # and each row came from the record its index names
        for j, i in enumerate(block.index):
            assert block.columns[COLUMNS[table].index("user_id")][j] == records[i].user_id
    assert len(built["llm_calls"]) == 2 and len(built["assignment_events"]) == 3


def test_batch_columns_of_nothing_are_empty_columns() -> None:
    built = batch_columns([], [], [])
    assert all(len(b) == 0 and all(c == [] for c in b.columns) for b in built.values())


def test_touch_columns_notes_the_keys_touched_keys_add_notes() -> None:
    records = varied_records()
    built = batch_columns(records, [0] * len(records), list(range(len(records))))
    by_rows, by_columns = TouchedKeys(), TouchedKeys()
    for table in TouchedKeys.TABLES:
        for row in zip(*built[table].columns, strict=True):
            by_rows.add(table, row)
        touch_columns(by_columns, table, built[table].columns)
    assert by_columns == by_rows and by_rows.llm and by_rows.subjects


def good(**overrides: Any) -> dict[str, Any]:
    return {
        "v": 1,
        "event_id": str(uuid4()),
        "event": "user.login",
        "user_id": "u-1",
        "timestamp": "2026-11-20T14:03:07.120Z",
        "received_at": "2026-11-20T14:03:08Z",
        "metadata": {"role": "student"},
    } | overrides


def hostile_values() -> list[bytes | None]:
    one, two = orjson.dumps(good()), orjson.dumps(good(user_id="u-2"))
    return [
        b"{not json",
        b"",
        None,
        b"[]",
        b"42",
        orjson.dumps(good(v=2)),
        orjson.dumps(good(v=True)),
        orjson.dumps(good(v="1")),
        orjson.dumps({k: v for k, v in good().items() if k != "user_id"}),
        orjson.dumps(good(event="llm.call", metadata={"model": "m"})),
        orjson.dumps(good(event="chat.message", metadata={"conversation_id": 5})),
        one + b"," + two,  # two objects in one value never become two records
        one[:-1] + b',"x":' + two + b"}",
        b'{"v":1,"event_id":"' + str(uuid4()).encode() + b'","metadata":{"n":NaN}}',
        orjson.dumps(good())[:-1] + b',"metadata":{"big":123456789012345678901234567890}}',
        orjson.dumps(good(timestamp="2026-11-25T14:03:07Z")),  # > 24 h after receipt
        orjson.dumps(good(timestamp="1969-12-31T23:59:59Z")),
        orjson.dumps(
            good(timestamp="2026-11-20T14:03:07", received_at="2026-11-20T16:03:07+02:00")
        ),
        b'{"v":1,"v":2}',
        b'{"v":1,"user_id":"\\ud800"}',
        b"\xff\xfe",
    ]


def test_decode_values_gives_what_decode_record_gives_value_by_value() -> None:
    valid = [orjson.dumps(good(user_id=f"u-{i}", event="llm.call", metadata=LLM)) for i in range(5)]
    valid += [orjson.dumps(good(timestamp="2026-11-20T16:03:07.5+02:00", metadata={"x": [1]}))]
    valid += [orjson.dumps(good(event="custom.thing", metadata={}, source=None))]
    assert decode_values(valid) == [decode_record(v) for v in valid]
    assert all(isinstance(r, EventRecord) for r in decode_values(valid))
    for bad in hostile_values():
        batch = [*valid[:3], bad, *valid[3:]]
        assert decode_values(batch) == [decode_record(v) for v in batch], bad
    everything = valid + hostile_values()
    assert decode_values(everything) == [decode_record(v) for v in everything]
    assert decode_values([]) == []


def message(offset: int, value: bytes) -> Message:
    return Message("pulse.events.v1", offset % 2, offset, 0.0, 0, [], b"u", value, None)  # type: ignore[arg-type]


class Writer:
    """Keeps written rows; refuses for good any batch holding a row of ``refused_user``."""

    def __init__(self, refused_user: str | None = None, columnar: bool = False) -> None:
        self.refused_user = refused_user
        self.tables: dict[str, list[Row]] = {}
        self.inserts = 0
        if columnar:
            self.write_columns = self._write_columns

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        self.inserts += 1
        user = columns.index("user_id")
        if any(row[user] == self.refused_user for row in rows):
            raise DataError("Code: 6. cannot parse")
        self.tables.setdefault(table, []).extend(rows)

    async def _write_columns(
        self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]
    ) -> None:
        await self.write(table, columns, list(zip(*data, strict=True)))


class Refresher:
    def __init__(self) -> None:
        self.touched: list[TouchedKeys] = []

    async def refresh(self, touched: TouchedKeys) -> None:
        self.touched.append(touched)


def outcome(columnar: bool, values: list[bytes], refused_user: str | None) -> tuple[Any, ...]:
    projections = Projections((*FIXED_PROJECTIONS, llm_usage.projection(BoundedLabel((), 0))))
    writer, refresher = Writer(refused_user, columnar=columnar), Refresher()
    letters: list[tuple[int, str, str]] = []

    async def dead_letter(message: Message, failure: Failed) -> None:
        letters.append((message.offset, failure.reason, failure.error))

    kept: list[EventRecord] = []
    sink = Sink(writer, {t: COLUMNS[t] for t in projections.tables}, Backoff(0.001, 0.01))
    store = BatchStore(
        sink,
        projections.rows,
        dead_letter,
        kept.extend,
        refresher,
        to_columns=projections.columns if columnar else None,
    )
    messages = [message(i, v) for i, v in enumerate(values)]
    decoded = [(decode_record(m.value), m) for m in messages]
    asyncio.run(store.store(decoded))
    tables = {t: sorted(rows, key=repr) for t, rows in writer.tables.items()}
    return tables, refresher.touched, kept, sorted(letters)


def workload(users: int = 6) -> list[bytes]:
    values = []
    for i in range(users * 4):
        user = f"u-{i % users}"
        event, metadata = [
            ("assignment.viewed", {"assignment_id": f"hw-{i % 3}", "subject": "math"}),
            ("llm.call", LLM | {"model": f"m-{i % 2}"}),
            ("custom.thing", {"subject": "art" if i % 2 else 7}),
            ("user.login", {}),
        ][i % 4]
        day = f"2026-11-{10 + i % 5:02d}"
        values.append(
            orjson.dumps(
                good(
                    user_id=user,
                    event=event,
                    metadata=metadata,
                    timestamp=f"{day}T23:59:59.9999+00:00",
                    received_at=f"{day}T23:59:59.99999-01:00",
                )
            )
        )
    return values + [b"{not json", orjson.dumps(good(v=2))]


def test_a_columnar_store_writes_touches_keeps_and_dead_letters_what_the_row_store_does() -> None:
    for refused_user in (None, "u-3"):
        by_rows = outcome(False, workload(), refused_user)
        by_columns = outcome(True, workload(), refused_user)
        # event ids differ between the two workloads; compare with them masked out
        assert _masked(by_columns) == _masked(by_rows)
        tables, touched, kept, letters = by_columns
        assert set(tables) == set(COLUMNS) and len(touched) == 1 and touched[0]
        if refused_user:
            assert len(letters) == 2 + 4 and all(r.user_id != refused_user for r in kept)
            assert all(row[tables_user(t)] != refused_user for t in tables for row in tables[t])


def tables_user(table: str) -> int:
    return COLUMNS[table].index("user_id")


def _masked(result: tuple[Any, ...]) -> tuple[Any, ...]:
    tables, touched, kept, letters = result
    masked = {
        t: sorted(
            (
                tuple(
                    "id" if c in ("event_id", "kafka_offset") else v
                    for c, v in zip(COLUMNS[t], row, strict=True)
                )
                for row in rows
            ),
            key=repr,
        )
        for t, rows in tables.items()
    }
    return (
        masked,
        touched,
        [(r.user_id, r.event, r.timestamp) for r in kept],
        [letter[:2] for letter in letters],
    )


def test_add_columns_is_written_as_add_would_write_it_one_insert_per_table() -> None:
    records = varied_records()
    n = len(records)
    built = batch_columns(records, [0] * n, list(range(n)))
    results = []
    for columnar in (False, True):
        writer = Writer(columnar=columnar)
        sink = Sink(writer, COLUMNS, Backoff(0.001, 0.01))
        for table, block in built.items():
            sink.add_columns(table, block.columns, [records[i] for i in block.index])
        rows = sum(len(b) for b in built.values())
        assert sink.pending == rows
        flushed = asyncio.run(sink.flush())
        assert flushed.written == rows and flushed.rejected == []
        assert sink.pending == 0 and writer.inserts == len([b for b in built.values() if len(b)])
        results.append(writer.tables)
    assert results[0] == results[1] == per_record_rows_at(records)


def per_record_rows_at(records: Sequence[EventRecord]) -> dict[str, list[Row]]:
    rows = per_record_rows(records)
    rows["events_store"] = [events_store_row(r, 0, i) for i, r in enumerate(records)]
    return {t: r for t, r in rows.items() if r}


def test_add_columns_refused_rows_come_back_with_their_origins_and_the_rest_is_stored() -> None:
    writer = Writer(refused_user="bad", columnar=True)
    sink = Sink(writer, {"dau_users": COLUMNS["dau_users"]}, Backoff(0.001, 0.01))
    users = [f"u-{i}" for i in range(40)]
    users[17] = "bad"
    sink.add_columns("dau_users", [[date(2026, 11, 1)] * 40, users], list(range(40)))
    flushed = asyncio.run(sink.flush())
    assert [(r.origin, r.row) for r in flushed.rejected] == [(17, (date(2026, 11, 1), "bad"))]
    assert flushed.written == 39 and len(writer.tables["dau_users"]) == 39
    assert writer.inserts < 40  # bisected, not row by row


class MonthLimited(Writer):
    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if len({(row[0].year, row[0].month) for row in rows}) > 3:
            raise DatabaseError("Code: 252. Too many partitions for single INSERT block", code=252)
        await super().write(table, columns, rows)


def test_add_columns_over_many_months_is_split_within_the_partition_limit() -> None:
    writer = MonthLimited(columnar=True)
    sink = Sink(writer, {"dau_users": COLUMNS["dau_users"]}, Backoff(0.001, 0.01), max_partitions=3)
    days = [date(2020 + m // 12, m % 12 + 1, 1) for m in range(10)]
    sink.add_columns("dau_users", [days, ["u"] * 10], list(range(10)))
    flushed = asyncio.run(sink.flush())
    assert flushed.written == 10 and flushed.rejected == []
    assert sorted(writer.tables["dau_users"]) == sorted((d, "u") for d in days)
    assert writer.inserts == 4
