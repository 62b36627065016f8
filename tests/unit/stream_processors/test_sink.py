import asyncio
from collections.abc import Sequence
from datetime import date

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, DataError

from stream_processors.rows import Row
from stream_processors.sink import Backoff, Sink


class FakeWriter:
    """Records whole batches; fails the first ``failures`` writes like a ClickHouse outage."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[tuple[str, list[Row]]] = []

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ClickHouse is down")
        self.batches.append((table, list(rows)))


COLUMNS = {"a": ("x",), "b": ("y", "z")}


def test_flush_writes_one_batch_per_table_with_every_row() -> None:
    writer = FakeWriter()
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.01))
    for i in range(3000):
        sink.add("a", (i,))
    sink.add("b", (1, 2))
    assert sink.pending == 3001
    assert asyncio.run(sink.flush()).written == 3001
    assert [(t, len(rows)) for t, rows in writer.batches] == [("a", 3000), ("b", 1)]
    assert sink.pending == 0


def test_flush_of_an_empty_sink_writes_nothing() -> None:
    writer = FakeWriter()
    assert asyncio.run(Sink(writer, COLUMNS, Backoff(0.001, 0.01)).flush()).written == 0
    assert writer.batches == []


def test_failed_writes_are_retried_until_clickhouse_takes_the_batch() -> None:
    writer = FakeWriter(failures=3)
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.01))
    sink.add("a", (1,))
    sink.add("a", (2,))
    asyncio.run(sink.flush())
    assert writer.batches == [("a", [(1,), (2,)])]


def test_rows_stay_buffered_while_clickhouse_is_down() -> None:
    writer = FakeWriter(failures=10_000)
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.001))
    sink.add("a", (1,))

    async def flush_briefly() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(sink.flush(), timeout=0.05)

    asyncio.run(flush_briefly())
    assert sink.pending == 1 and writer.batches == []


def test_unknown_table_is_refused() -> None:
    with pytest.raises(KeyError):
        Sink(FakeWriter(), COLUMNS, Backoff(0.001, 0.01)).add("c", (1,))


def test_backoff_doubles_up_to_its_maximum() -> None:
    delays = Backoff(0.5, 3.0).delays()
    assert [next(delays) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


class RefusingWriter:
    """Refuses any batch holding a row whose first value is in ``bad`` (as clickhouse-connect
    refuses a value its column cannot hold), and any batch over ``max_months`` partitions."""

    def __init__(self, bad: set[object], outages: int = 0, max_months: int = 100) -> None:
        self.bad, self.outages, self.max_months = bad, outages, max_months
        self.batches: list[tuple[str, list[Row]]] = []
        self.attempts = 0

    async def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        self.attempts += 1
        if self.outages:
            self.outages -= 1
            raise ConnectionError("ClickHouse is down")
        if any(row[0] in self.bad for row in rows):
            raise DataError("Unable to create native array for column `day`: error")
        months = {(row[0].year, row[0].month) for row in rows if isinstance(row[0], date)}
        if len(months) > self.max_months:
            raise DatabaseError(
                "Received ClickHouse exception, code: 252, server response: Code: 252. "
                "DB::Exception: Too many partitions for single INSERT block (more than 100).",
                code=252,
            )
        self.batches.append((table, list(rows)))


def stored_rows(writer: RefusingWriter) -> list[Row]:
    return sorted(row for _, rows in writer.batches for row in rows)


def test_refused_rows_are_isolated_and_every_other_row_is_stored() -> None:
    writer = RefusingWriter(bad={13, 200})
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.01))
    for i in range(300):
        sink.add("a", (i,), origin=f"message-{i}")
    flushed = asyncio.run(sink.flush())
    assert flushed.written == 298
    assert [(r.table, r.row, r.origin) for r in flushed.rejected] == [
        ("a", (13,), "message-13"),
        ("a", (200,), "message-200"),
    ]
    assert "DataError" in flushed.rejected[0].error
    assert stored_rows(writer) == [(i,) for i in range(300) if i not in (13, 200)]
    assert sink.pending == 0


def test_bisection_costs_a_few_inserts_per_refused_row_not_one_per_row() -> None:
    writer = RefusingWriter(bad={777})
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.01))
    for i in range(5000):
        sink.add("a", (i,))
    asyncio.run(sink.flush())
    assert writer.attempts <= 2 * 13 + 1


def test_an_outage_during_bisection_is_retried_not_blamed_on_the_rows() -> None:
    writer = RefusingWriter(bad={3})
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.001))
    for i in range(8):
        sink.add("a", (i,), origin=i)

    async def flush_with_outage() -> list[object]:
        original = writer.write

        async def failing_once_refused(table: str, columns: Sequence[str], rows: Sequence[Row]):
            if writer.attempts == 1:
                writer.outages = 2  # ClickHouse goes away right after the first refusal
            await original(table, columns, rows)

        writer.write = failing_once_refused  # type: ignore[method-assign]
        return [r.origin for r in (await sink.flush()).rejected]

    assert asyncio.run(flush_with_outage()) == [3]
    assert stored_rows(writer) == [(i,) for i in range(8) if i != 3]


def test_a_single_refused_row_is_handed_back_without_retrying() -> None:
    writer = RefusingWriter(bad={1})
    sink = Sink(writer, COLUMNS, Backoff(0.001, 0.01))
    sink.add("a", (1,), origin="only")
    flushed = asyncio.run(sink.flush())
    assert (flushed.written, [r.origin for r in flushed.rejected]) == (0, ["only"])
    assert writer.attempts == 1


def test_a_batch_over_many_months_is_inserted_within_the_partition_limit() -> None:
    writer = RefusingWriter(bad=set(), max_months=100)
    sink = Sink(writer, {"dau_users": ("day", "user_id")}, Backoff(0.001, 0.01))
    days = [date(2010 + m // 12, m % 12 + 1, d) for m in range(150) for d in (1, 15)]
    for day in days:
        sink.add("dau_users", (day, "u-1"))
    flushed = asyncio.run(sink.flush())
    assert (flushed.written, flushed.rejected) == (300, [])
    months_per_insert = [len({(d.year, d.month) for d, _ in rows}) for _, rows in writer.batches]
    assert months_per_insert == [90, 60]
    assert stored_rows(writer) == sorted((day, "u-1") for day in days)


def test_a_live_batch_of_few_months_stays_one_insert() -> None:
    writer = RefusingWriter(bad=set())
    sink = Sink(writer, {"dau_users": ("day", "user_id")}, Backoff(0.001, 0.01))
    for i in range(1000):
        sink.add("dau_users", (date(2026, 11 + i % 2, 1), f"u-{i}"))
    asyncio.run(sink.flush())
    assert len(writer.batches) == 1


def test_the_partition_limit_refusal_is_cured_by_halving_when_the_server_allows_fewer() -> None:
    writer = RefusingWriter(bad=set(), max_months=10)
    sink = Sink(writer, {"dau_users": ("day", "user_id")}, Backoff(0.001, 0.01))
    for m in range(40):
        sink.add("dau_users", (date(2020 + m // 12, m % 12 + 1, 1), "u"))
    flushed = asyncio.run(sink.flush())
    assert (flushed.written, flushed.rejected) == (40, [])
