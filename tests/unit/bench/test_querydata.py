"""The generated benchmark events are valid contract events, and their facts follow rows.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import chdb
import pytest

from bench.querydata import events_sql, facts_sql
from clickhouse.migrate import load_migrations
from clickhouse.rollups import rebuild_statements
from schemas.events import KNOWN_EVENTS, EventRecord
from stream_processors import rows

DATABASE = "bench_unit"
EVENTS = 3000


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """chDB in-process with the Pulse schema, filled by the benchmark's own SQL."""
    conn = chdb.connect(str(tmp_path_factory.mktemp("chdb")))
    conn.query(f"CREATE DATABASE {DATABASE}")
    for migration in load_migrations():
        conn.query(migration.render(DATABASE, 90))
    conn.query(events_sql(DATABASE, EVENTS, users=200, days=35))
    for statement in [*facts_sql(DATABASE), *rebuild_statements(DATABASE)]:
        conn.query(statement)
    yield conn
    conn.close()


def _select(conn: Any, sql: str) -> list[dict[str, Any]]:
    text = (
        conn.query(sql + " SETTINGS output_format_json_quote_64bit_integers = 0", "JSONEachRow")
        .bytes()
        .decode()
    )
    return [json.loads(line) for line in text.splitlines()]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _records(conn: Any) -> list[EventRecord]:
    return [
        EventRecord(
            event_id=r["event_id"],
            event=r["event"],
            user_id=r["user_id"],
            timestamp=_utc(r["ts"]),
            received_at=_utc(r["received_at"]),
            source=r["source"],
            session_id=r["session_id"],
            metadata=json.loads(r["metadata"]),
        )
        for r in _select(conn, f"SELECT * FROM {DATABASE}.events_store")
    ]


def _table(conn: Any, table: str) -> set[tuple[str, ...]]:
    return {
        tuple(str(v) for v in r.values())
        for r in _select(conn, f"SELECT * FROM {DATABASE}.{table} FINAL")
    }


def _expected(records: list[EventRecord], to_row: Any) -> set[tuple[str, ...]]:
    made = (to_row(r) for r in records)
    return {tuple(_text(v) for v in row) for row in made if row is not None}


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return str(value)


def test_generated_events_carry_valid_metadata_for_known_events(engine: Any) -> None:
    records = _records(engine)
    assert len(records) == EVENTS
    for record in records:
        KNOWN_EVENTS[record.event].model_validate(record.metadata)


def test_generated_events_span_the_days_and_many_users(engine: Any) -> None:
    days, users = _select(
        engine,
        f"SELECT uniqExact(toDate(ts)) AS d, uniqExact(user_id) AS u FROM {DATABASE}.events_store",
    )[0].values()
    assert days >= 30
    assert users >= 100


@pytest.mark.parametrize(
    ("table", "to_row"),
    [
        ("dau_users", rows.dau_row),
        ("llm_calls", rows.llm_call_row),
        ("subject_events", rows.subject_row),
        ("assignment_events", rows.assignment_row),
    ],
)
def test_facts_are_what_the_worker_would_write(engine: Any, table: str, to_row: Any) -> None:
    assert _table(engine, table) == _expected(_records(engine), to_row)


def test_contract_views_answer_from_the_generated_facts(engine: Any) -> None:
    for view in ("dau", "subject_usage_daily", "llm_usage_daily", "assignment_time"):
        assert _select(engine, f"SELECT count() AS n FROM {DATABASE}.{view}")[0]["n"] > 0
