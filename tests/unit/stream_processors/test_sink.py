import asyncio
from collections.abc import Sequence

import pytest

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
    assert asyncio.run(sink.flush()) == 3001
    assert [(t, len(rows)) for t, rows in writer.batches] == [("a", 3000), ("b", 1)]
    assert sink.pending == 0


def test_flush_of_an_empty_sink_writes_nothing() -> None:
    writer = FakeWriter()
    assert asyncio.run(Sink(writer, COLUMNS, Backoff(0.001, 0.01)).flush()) == 0
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
