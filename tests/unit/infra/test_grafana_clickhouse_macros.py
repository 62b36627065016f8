"""The test-side macro expander produces what the ClickHouse plugin's backend produces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.infra.grafana_clickhouse import TimeRange, expand_macros

RANGE = TimeRange(
    start=datetime(2026, 11, 20, 8, 0, 0, 123000, tzinfo=UTC),
    end=datetime(2026, 11, 21, 9, 30, 0, 456000, tzinfo=UTC),
    interval=timedelta(seconds=30),
)
FROM_S, TO_S = 1795161600, 1795253400
FROM_MS, TO_MS = FROM_S * 1000 + 123, TO_S * 1000 + 456


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("$__fromTime", f"toDateTime({FROM_S})"),
        ("$__toTime", f"toDateTime({TO_S})"),
        ("$__fromTime_ms", f"fromUnixTimestamp64Milli({FROM_MS})"),
        ("$__toTime_ms", f"fromUnixTimestamp64Milli({TO_MS})"),
        ("$__timeFilter(ts)", f"ts >= toDateTime({FROM_S}) AND ts <= toDateTime({TO_S})"),
        (
            "$__timeFilter_ms(ts)",
            f"ts >= fromUnixTimestamp64Milli({FROM_MS}) AND "
            f"ts <= fromUnixTimestamp64Milli({TO_MS})",
        ),
        ("$__dateFilter(day)", "day >= toDate('2026-11-20') AND day <= toDate('2026-11-21')"),
        (
            "$__dateTimeFilter(day, ts)",
            "(day >= toDate('2026-11-20') AND day <= toDate('2026-11-21')) AND "
            f"(ts >= toDateTime({FROM_S}) AND ts <= toDateTime({TO_S}))",
        ),
        (
            "$__dt(day, ts)",
            "(day >= toDate('2026-11-20') AND day <= toDate('2026-11-21')) AND "
            f"(ts >= toDateTime({FROM_S}) AND ts <= toDateTime({TO_S}))",
        ),
        ("$__timeInterval(ts)", "toStartOfInterval(toDateTime(ts), INTERVAL 30 second)"),
        (
            "$__timeInterval_ms(ts)",
            "toStartOfInterval(toDateTime64(ts, 3), INTERVAL 30000 millisecond)",
        ),
        ("$__interval_s", "30"),
    ],
)
def test_macro_expands_like_the_plugin(sql: str, expected: str) -> None:
    assert expand_macros(sql, RANGE) == expected


def test_nested_brackets_stay_inside_one_argument() -> None:
    sql = "SELECT 1 WHERE $__timeFilter(toDateTime(received_at)) AND x = 1"
    expected = (
        f"SELECT 1 WHERE toDateTime(received_at) >= toDateTime({FROM_S}) AND "
        f"toDateTime(received_at) <= toDateTime({TO_S}) AND x = 1"
    )
    assert expand_macros(sql, RANGE) == expected


def test_interval_under_one_second_rounds_up_to_one() -> None:
    short = TimeRange(RANGE.start, RANGE.end, timedelta(milliseconds=200))
    assert expand_macros("$__interval_s", short) == "1"


def test_wrong_argument_count_is_an_error() -> None:
    with pytest.raises(ValueError, match="expected 1 argument"):
        expand_macros("$__timeFilter(a, b)", RANGE)


def test_unknown_macro_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown macro"):
        expand_macros("SELECT $__nope", RANGE)
