"""Inserts that stay under ClickHouse's partition limit however many months a batch spans.

ClickHouse refuses an insert block touching more than ``max_partitions_per_insert_block``
partitions (100 by default). Every fact table is ``PARTITION BY toYYYYMM(<column>)`` (see
``clickhouse/migrations``), so a historical import spanning years would be refused whole.
Splitting by month on our side works on any server, including those where the setting is
locked, where raising it per insert would not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import TypeVar

from stream_processors.rows import COLUMNS, Row

T = TypeVar("T")

# The column each fact table is partitioned by (toYYYYMM of it), as in its migration.
PARTITION_COLUMNS: dict[str, str] = {
    "events_store": "ts",
    "dau_users": "day",
    "llm_calls": "day",
    "subject_events": "day",
    "assignment_events": "ts",
}

PartitionKey = Callable[[Row], object]


def year_month(value: date | datetime) -> int:
    # Rows hold UTC datetimes (rows.to_utc_millis) and UTC days: toYYYYMM of the UTC value.
    return value.year * 100 + value.month


def partition_key(table: str) -> PartitionKey | None:
    """A row's ``toYYYYMM`` partition in ``table``, or None for a table we do not know."""
    column = PARTITION_COLUMNS.get(table)
    if column is None:
        return None
    index = COLUMNS[table].index(column)

    def key(row: Row) -> object:
        value = row[index]
        return year_month(value) if isinstance(value, date) else value

    return key


def split_by_partition(
    items: Sequence[T], key: Callable[[T], object], max_partitions: int
) -> Iterator[list[T]]:
    """``items`` in groups touching at most ``max_partitions`` partitions each, in order.

    One group when the items span few enough partitions (the usual live batch).
    """
    partitions: dict[object, list[T]] = {}
    for item in items:
        partitions.setdefault(key(item), []).append(item)
    if len(partitions) <= max_partitions:
        yield list(items)
        return
    groups = list(partitions.values())
    for start in range(0, len(groups), max_partitions):
        yield [item for group in groups[start : start + max_partitions] for item in group]
