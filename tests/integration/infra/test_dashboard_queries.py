"""Every ClickHouse panel query runs on real ClickHouse and returns the columns its panel draws.

Queries are taken from the provisioned dashboards, their macros expanded as the Grafana plugin
does, and run on the embedded endpoint against a fresh database migrated with the project's
migrations, as Grafana runs them with the datasource's default database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from clickhouse_connect.driver.client import Client

from tests.stack import ClickHouseEndpoint
from tests.unit.infra.grafana_clickhouse import (
    CLICKHOUSE_PLUGIN,
    PanelQuery,
    TimeRange,
    expand_macros,
    panel_queries,
)

EXPECTED_COLUMNS: dict[tuple[str, str], list[str]] = {
    ("learning-analytics.json", "Active users: 24 h / 7 d / 30 d"): ["dau", "wau", "mau"],
    ("learning-analytics.json", "Daily active users"): ["time", "dau"],
    ("learning-analytics.json", "Top subjects"): ["subject", "events", "peak_daily_users"],
    ("learning-analytics.json", "Events per subject per day"): ["time", "subject", "events"],
    ("learning-analytics.json", "Time per assignment"): [
        "assignment_id",
        "subject",
        "students",
        "avg_active_minutes",
        "median_active_minutes",
        "submissions",
    ],
    ("learning-analytics.json", "Active minutes per subject"): ["subject", "avg_active_minutes"],
    ("learning-analytics.json", "LLM calls per model"): ["time", "model", "calls"],
    ("learning-analytics.json", "LLM cost per model"): ["time", "model", "cost_usd"],
    ("learning-analytics.json", "LLM usage per user"): [
        "user_id",
        "calls",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    ],
    ("learning-analytics.json", "LLM usage per model"): [
        "model",
        "calls",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    ],
    ("pipeline.json", "Events stored per interval (ClickHouse)"): ["time", "events"],
    ("pipeline.json", "Freshness"): ["freshness_seconds"],
}

QUERIES = panel_queries(CLICKHOUSE_PLUGIN)

# A little of everything, an hour old, so that every panel has rows to draw. These are the
# storage tables behind the contract's views (clickhouse/migrations), written as the sink does.
SEED = [
    """INSERT INTO events_store (event_id, event, user_id, ts, received_at, source, session_id,
           subject, assignment_id, metadata, request_id)
       SELECT generateUUIDv4(number), 'assignment.viewed', concat('student-', toString(number % 3)),
              now64(3) - INTERVAL 1 HOUR, now64(3) - INTERVAL 1 MINUTE, 'web', 's-1', 'math',
              'hw-7', '{}', 'r-1'
       FROM numbers(6)""",
    "INSERT INTO dau_users VALUES (today(), 'student-0'), (today(), 'student-1')",
    "INSERT INTO subject_events VALUES (today(), 'math', 'student-0', generateUUIDv4())",
    """INSERT INTO assignment_events VALUES
       ('student-0', 'hw-7', now64(3) - INTERVAL 70 MINUTE, generateUUIDv4(), 'math', 0),
       ('student-0', 'hw-7', now64(3) - INTERVAL 68 MINUTE, generateUUIDv4(), 'math', 1)""",
    """INSERT INTO llm_calls VALUES
       (today(), 'student-0', 'tutor-small', generateUUIDv4(), 100, 50, 0.25),
       (today(), 'student-1', 'tutor-large', generateUUIDv4(), 200, 80, 0.5)""",
]


@pytest.fixture(scope="module")
def dashboard_db(request: pytest.FixtureRequest) -> Iterator[Client]:
    """A fresh, migrated, seeded database on the endpoint; a client whose default it is."""
    from clickhouse.client import writer_client
    from clickhouse.migrate import apply_migrations, backfill_rollups
    from core.settings import SharedSettings

    clickhouse_endpoint: ClickHouseEndpoint = request.getfixturevalue("clickhouse_endpoint")
    database = f"dashboards_{uuid4().hex[:8]}"
    settings = SharedSettings(  # type: ignore[call-arg]
        CLICKHOUSE_URL=clickhouse_endpoint.url,
        CLICKHOUSE_USER=clickhouse_endpoint.user,
        CLICKHOUSE_PASSWORD=clickhouse_endpoint.password,
    )
    admin = writer_client(database="", settings=settings)
    apply_migrations(admin, database)
    client = writer_client(database=database, settings=settings)
    for statement in SEED:
        client.command(statement)
    backfill_rollups(client, database)  # the seed wrote facts directly, as a restore would
    yield client
    admin.command(f"DROP DATABASE IF EXISTS `{database}`")


def test_every_clickhouse_panel_has_expected_columns_listed() -> None:
    assert {(q.dashboard, q.panel) for q in QUERIES} == set(EXPECTED_COLUMNS)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.dashboard}:{q.panel}")
def test_panel_query_returns_its_columns_and_rows(dashboard_db: Client, query: PanelQuery) -> None:
    now = datetime.now(UTC)
    window = TimeRange(now - timedelta(days=30), now + timedelta(minutes=1), timedelta(hours=1))
    result = dashboard_db.query(expand_macros(query.text, window))
    assert list(result.column_names) == EXPECTED_COLUMNS[(query.dashboard, query.panel)]
    assert result.result_rows, f"{query.panel}: no rows over seeded data"


def test_active_users_panel_counts_distinct_users(dashboard_db: Client) -> None:
    (query,) = [q for q in QUERIES if q.panel.startswith("Active users")]
    now = datetime.now(UTC)
    window = TimeRange(now - timedelta(days=1), now, timedelta(minutes=1))
    assert dashboard_db.query(expand_macros(query.text, window)).result_rows == [(3, 3, 3)]


def test_freshness_panel_measures_time_since_newest_arrival(dashboard_db: Client) -> None:
    (query,) = [q for q in QUERIES if q.panel == "Freshness"]
    now = datetime.now(UTC)
    window = TimeRange(now - timedelta(hours=1), now, timedelta(minutes=1))
    ((freshness,),) = dashboard_db.query(expand_macros(query.text, window)).result_rows
    assert 60 <= freshness < 600
