"""The oracle: small cases computed by hand, and agreement with ClickHouse SQL on a workload."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from chdb.session import Session

from pulse.workload import WorkloadConfig, generate, read_jsonl, write_jsonl
from tests.oracle import (
    TABLES,
    AssignmentTime,
    LlmUsage,
    Oracle,
    SubjectUsage,
    assert_all_match,
    assert_matches,
    diff_all,
    diff_event_ids,
    diff_table,
    parse_timestamp,
)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
_ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 10_000))


def ev(name: str, at: datetime | str, user: str = "student-1", **metadata: Any) -> dict[str, Any]:
    stamp = at if isinstance(at, str) else at.isoformat(timespec="milliseconds")
    return {
        "event_id": next(_ids),
        "event": name,
        "user_id": user,
        "timestamp": stamp,
        "metadata": metadata,
    }


def work(seconds: float, name: str = "assignment.heartbeat", **extra: Any) -> dict[str, Any]:
    meta = {"assignment_id": "hw-1", "subject": "math", **extra}
    return ev(name, T0 + timedelta(seconds=seconds), **meta)


def llm(at: datetime, model: str, prompt: int, completion: int, cost: float) -> dict[str, Any]:
    return ev(
        "llm.call",
        at,
        model=model,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cost_usd=cost,
    )


def test_gaps_over_300_seconds_count_as_300() -> None:
    events = [work(0, "assignment.viewed"), work(60), work(460), work(520, "assignment.submitted")]

    row = Oracle.from_events(events).assignment_time[("student-1", "hw-1")]

    assert row == AssignmentTime(
        "math", T0, T0 + timedelta(seconds=520), 60 + 300 + 60, submitted=1
    )


def test_assignment_time_is_the_same_whatever_the_arrival_order() -> None:
    events = [work(s) for s in (0, 45.5, 100, 700, 730.25, 1200)]
    shuffled = random.Random(3).sample(events, len(events))

    ordered = Oracle.from_events(events).assignment_time
    assert Oracle.from_events(shuffled).assignment_time == ordered
    assert ordered[("student-1", "hw-1")].active_seconds == pytest.approx(
        45.5 + 54.5 + 300 + 30.25 + 300
    )
    assert ordered[("student-1", "hw-1")].submitted == 0


def test_subject_is_the_subject_of_the_first_event_by_timestamp() -> None:
    events = [work(100, subject="physics"), work(0, subject="math"), work(0, subject="cs")]

    row = Oracle.from_events(reversed(events)).assignment_time[("student-1", "hw-1")]

    assert row.subject == "cs"  # two events share the first timestamp: smallest subject wins


def test_duplicates_are_counted_once_everywhere() -> None:
    call = llm(T0, "gpt-4o", 100, 20, 0.00045)
    heartbeat = work(30)
    events = [call, dict(call), work(0), heartbeat, dict(heartbeat), work(90)]

    oracle = Oracle.from_events(events)

    assert oracle.event_count == 4
    assert oracle.llm_usage_daily == {
        (date(2026, 11, 20), "student-1", "gpt-4o"): (1, 100, 20, 0.00045)
    }
    assert oracle.llm_usage_by_model_daily == {
        (date(2026, 11, 20), "gpt-4o"): (1, 100, 20, 0.00045)
    }
    assert oracle.assignment_time[("student-1", "hw-1")].active_seconds == 90
    assert oracle.subject_usage_daily == {(date(2026, 11, 20), "math"): SubjectUsage(1, 3)}


def test_events_without_an_id_are_all_distinct() -> None:
    first = ev("video.played", T0)
    del first["event_id"]

    oracle = Oracle.from_events([first, dict(first)])

    assert oracle.event_count == 2
    assert oracle.event_ids == frozenset()


def test_days_are_utc_days_whatever_the_offset() -> None:
    events = [
        ev("user.login", "2026-11-21T05:00:00.000+05:30", "a"),  # 2026-11-20 23:30 UTC
        ev("user.login", "2026-11-20T20:00:00-05:00", "b"),  # 2026-11-21 01:00 UTC
        ev("user.login", "2026-11-20T23:59:59.999Z", "c"),
        ev("user.login", "2026-11-21T00:00:00Z", "c"),
    ]

    assert Oracle.from_events(events).dau == {date(2026, 11, 20): 2, date(2026, 11, 21): 2}


def test_timestamps_are_truncated_to_milliseconds_in_utc() -> None:
    assert parse_timestamp("2026-11-21T05:00:07.123999+05:30") == datetime(
        2026, 11, 20, 23, 30, 7, 123000, tzinfo=UTC
    )


def test_rolling_dau_counts_users_in_the_half_open_window() -> None:
    end = datetime(2026, 11, 21, tzinfo=UTC)
    events = [
        ev("user.login", end - timedelta(hours=24), "on-the-start"),
        ev("user.login", end - timedelta(hours=1), "inside"),
        ev("user.login", end - timedelta(hours=2), "inside"),
        ev("user.login", end, "on-the-end"),
        ev("user.login", end - timedelta(days=3), "earlier"),
    ]
    oracle = Oracle.from_events(events)

    assert oracle.rolling_dau(end, timedelta(hours=24)) == 2
    assert oracle.rolling_dau(end, timedelta(days=7)) == 3
    assert oracle.rolling_dau_by_day(7)[date(2026, 11, 21)] == 4


def test_llm_usage_is_summed_per_utc_day_user_and_model() -> None:
    late_evening = "2026-11-20T23:30:00-01:00"  # already 2026-11-21 in UTC
    events = [
        llm(T0, "gpt-4o", 100, 20, 0.00045),
        llm(T0 + timedelta(hours=1), "gpt-4o", 50, 10, 0.000225),
        llm(T0, "claude-3-5-haiku", 10, 5, 0.000028),
        ev(
            "llm.call",
            late_evening,
            model="gpt-4o",
            prompt_tokens=1,
            completion_tokens=2,
            cost_usd=0.1,
        ),
    ]

    usage = Oracle.from_events(events).llm_usage_daily

    assert usage[(date(2026, 11, 20), "student-1", "gpt-4o")] == LlmUsage(
        2, 150, 30, 0.00045 + 0.000225
    )
    assert usage[(date(2026, 11, 20), "student-1", "claude-3-5-haiku")].calls == 1
    assert usage[(date(2026, 11, 21), "student-1", "gpt-4o")] == LlmUsage(1, 1, 2, 0.1)


def test_subject_usage_counts_any_event_with_a_subject() -> None:
    events = [
        work(0),
        ev("video.played", T0, "student-2", subject="math"),
        ev("quiz.answered", T0, "student-2", subject="cs"),
        ev("user.login", T0, "student-3"),
        ev("page.viewed", T0, "student-3", subject=""),
    ]

    assert Oracle.from_events(events).subject_usage_daily == {
        (date(2026, 11, 20), "cs"): SubjectUsage(1, 1),
        (date(2026, 11, 20), "math"): SubjectUsage(2, 2),
    }


def test_diff_accepts_cost_within_1e9_and_naive_utc_datetimes() -> None:
    oracle = Oracle.from_events([llm(T0, "gpt-4o", 100, 20, 0.00045), work(0), work(30)])
    llm_rows = [
        {"day": date(2026, 11, 20), "user_id": "student-1", "model": "gpt-4o", "calls": 1,
         "prompt_tokens": 100, "completion_tokens": 20, "cost_usd": 0.00045 + 5e-10},
    ]  # fmt: skip
    time_rows = [
        {"user_id": "student-1", "assignment_id": "hw-1", "subject": "math",
         "first_ts": T0.replace(tzinfo=None), "last_ts": T0 + timedelta(seconds=30),
         "active_seconds": 30.0000005, "submitted": 0},
    ]  # fmt: skip

    assert_matches(diff_table(oracle, "llm_usage_daily", llm_rows))
    assert_matches(diff_table(oracle, "assignment_time", time_rows))


def test_diff_report_names_missing_unexpected_and_wrong_values() -> None:
    oracle = Oracle.from_events(
        [ev("user.login", T0, "a"), ev("user.login", T0 + timedelta(days=1), "a")]
    )
    rows = [{"day": "2026-11-20", "dau": 2}, {"day": "2026-11-23", "dau": 1}]

    diff = diff_table(oracle, "dau", rows)
    report = diff.report()

    assert not diff.ok
    assert "1 missing, 1 unexpected, 1 values differ" in report
    assert "missing (datetime.date(2026, 11, 21),)" in report
    assert "dau: expected 1, got 2" in report
    with pytest.raises(AssertionError, match="dau: expected 2 rows"):
        assert_matches(diff)


def test_diff_flags_cost_off_by_more_than_1e9() -> None:
    oracle = Oracle.from_events([llm(T0, "gpt-4o", 100, 20, 0.00045)])
    row = {"day": date(2026, 11, 20), "user_id": "student-1", "model": "gpt-4o", "calls": 1,
           "prompt_tokens": 100, "completion_tokens": 20, "cost_usd": 0.00045 + 2e-9}  # fmt: skip

    assert not diff_table(oracle, "llm_usage_daily", [row]).ok


def test_event_id_diff_finds_missing_and_repeated_ids() -> None:
    events = [ev("user.login", T0), ev("user.login", T0), ev("user.login", T0)]
    oracle = Oracle.from_events(events)
    stored = [events[0]["event_id"], events[1]["event_id"].upper(), events[0]["event_id"]]

    diff = diff_event_ids(oracle, stored)

    assert [key for key, _ in diff.missing] == [events[2]["event_id"]]
    assert diff.mismatched == [("rows", "duplicates", 0, 1)]
    assert diff_event_ids(oracle, [e["event_id"] for e in events]).ok


def _rows_of(oracle: Oracle) -> dict[str, list[dict[str, Any]]]:
    """What a perfect pipeline would store, as clickhouse-connect's named_results() dicts."""
    tables: dict[str, list[dict[str, Any]]] = {
        "events": [{"event_id": UUID(i)} for i in oracle.event_ids]
    }
    for name, spec in TABLES.items():
        tables[name] = [
            dict(zip(spec.keys + spec.values, (*key, *values), strict=True))
            for key, values in spec.expected(oracle).items()
        ]
    return tables


def test_diff_all_passes_a_perfect_copy_and_names_the_one_wrong_table() -> None:
    oracle = Oracle.from_events(
        [work(0), work(40, "assignment.submitted"), llm(T0, "gpt-4o", 10, 2, 0.1)]
    )
    tables = _rows_of(oracle)

    assert_all_match(diff_all(oracle, tables.__getitem__))

    tables["subject_usage_daily"][0]["events"] += 1
    with pytest.raises(AssertionError) as failure:
        assert_all_match(diff_all(oracle, tables.__getitem__))
    assert str(failure.value).startswith("subject_usage_daily: expected 1 rows, got 1")


EVENTS_SQL = """
CREATE TABLE e ENGINE = Memory AS
SELECT event_id, event, user_id, parseDateTime64BestEffort(timestamp, 3, 'UTC') AS ts, metadata,
       JSONExtractString(metadata, 'subject') AS subject
FROM file('{path}', 'JSONEachRow',
          'event_id String, event String, user_id String, timestamp String, metadata String')
LIMIT 1 BY event_id
"""
TABLES_SQL = {
    "events": "SELECT event_id FROM e",
    "dau": "SELECT toDate(ts) AS day, uniqExact(user_id) AS dau FROM e GROUP BY day",
    "llm_usage_daily": """
        SELECT toDate(ts) AS day, user_id, JSONExtractString(metadata, 'model') AS model,
               count() AS calls, sum(JSONExtractInt(metadata, 'prompt_tokens')) AS prompt_tokens,
               sum(JSONExtractInt(metadata, 'completion_tokens')) AS completion_tokens,
               sum(JSONExtractFloat(metadata, 'cost_usd')) AS cost_usd
        FROM e WHERE event = 'llm.call' GROUP BY day, user_id, model""",
    "llm_usage_by_model_daily": """
        SELECT toDate(ts) AS day, JSONExtractString(metadata, 'model') AS model,
               count() AS calls, sum(JSONExtractInt(metadata, 'prompt_tokens')) AS prompt_tokens,
               sum(JSONExtractInt(metadata, 'completion_tokens')) AS completion_tokens,
               sum(JSONExtractFloat(metadata, 'cost_usd')) AS cost_usd
        FROM e WHERE event = 'llm.call' GROUP BY day, model""",
    "subject_usage_daily": """
        SELECT toDate(ts) AS day, subject, uniqExact(user_id) AS users, count() AS events
        FROM e WHERE subject != '' GROUP BY day, subject""",
    "assignment_time": """
        SELECT user_id, JSONExtractString(metadata, 'assignment_id') AS assignment_id,
               argMin(subject, (ts, subject)) AS subject, min(ts) AS first_ts, max(ts) AS last_ts,
               arraySort(groupArray(toUnixTimestamp64Milli(ts))) AS t,
               arraySum(arrayMap((a, b) -> least(b - a, 300000), arrayPopBack(t),
                                 arrayPopFront(t))) / 1000 AS active_seconds,
               max(event = 'assignment.submitted') AS submitted
        FROM e WHERE startsWith(event, 'assignment.') AND assignment_id != ''
        GROUP BY user_id, assignment_id""",
}


def _clickhouse_rows(session: Any, table: str) -> list[dict[str, Any]]:
    sql = TABLES_SQL[table] + " SETTINGS output_format_json_quote_64bit_integers = 0"
    rows = [json.loads(line) for line in str(session.query(sql, "JSONEachRow")).splitlines()]
    for row in rows:
        for column in ("first_ts", "last_ts"):
            if column in row:
                row[column] = datetime.fromisoformat(row[column]).replace(tzinfo=UTC)
    return rows


def test_oracle_agrees_with_clickhouse_sql_on_a_messy_generated_workload(tmp_path: Path) -> None:
    config = WorkloadConfig(
        users=100,
        rate=0.05,
        days=2,
        seed=5,
        duplicate_fraction=0.2,
        disorder_window=timedelta(hours=1),
    )
    path = tmp_path / "events.jsonl"
    write_jsonl(generate(config), path)

    with Session(str(tmp_path / "chdb")) as session:  # type: ignore[no-untyped-call]
        session.query(EVENTS_SQL.format(path=path))
        diffs = diff_all(Oracle.from_events(read_jsonl(path)), partial(_clickhouse_rows, session))

    assert_all_match(diffs)
