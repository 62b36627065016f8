"""Rollups against the ClickHouse endpoint: refreshed per batch, they equal the facts' answer."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from clickhouse_connect.driver.client import Client

from clickhouse.client import writer_client
from clickhouse.migrate import MIGRATIONS_DIR, apply_migrations
from clickhouse.rollups import (
    MAX_STATEMENT_BYTES,
    TouchedKeys,
    rebuild_statements,
    refresh_statements,
    rolling_dau_sql,
)
from core.settings import SharedSettings
from stream_processors.rows import COLUMNS
from tests.stack import ClickHouseEndpoint

# The answers straight from the deduplicated facts: what the views computed before the rollups.
FROM_FACTS = {
    "dau": "SELECT day, toUInt64(uniqExact(user_id)) FROM {db}.dau_users GROUP BY day",
    "llm_usage_daily": (
        "SELECT day, user_id, model, count(), sum(prompt_token_count), "
        "sum(completion_token_count), round(sumKahan(call_cost_usd), 9) "
        "FROM {db}.llm_calls FINAL GROUP BY day, user_id, model"
    ),
    "llm_usage_by_model_daily": (
        "SELECT day, model, count(), sum(prompt_token_count), sum(completion_token_count), "
        "round(sumKahan(call_cost_usd), 9) FROM {db}.llm_calls FINAL GROUP BY day, model"
    ),
    "subject_usage_daily": (
        "SELECT day, subject, toUInt64(uniqExact(user_id)), count() "
        "FROM {db}.subject_events FINAL GROUP BY day, subject"
    ),
    "assignment_time": (
        "SELECT user_id, assignment_id, subject, first_ts, last_ts, round(active_seconds, 6), "
        "submitted FROM (SELECT user_id, assignment_id, "
        "nullIf(argMin(subject, (ts, subject = '', subject)), '') AS subject, min(ts) AS first_ts,"
        " max(ts) AS last_ts, toFloat64(sum(least(gap_ms, 300000))) / 1000 AS active_seconds, "
        "toUInt8(max(submitted)) AS submitted FROM (SELECT user_id, assignment_id, subject, ts, "
        "submitted, toUnixTimestamp64Milli(ts) - lagInFrame(toUnixTimestamp64Milli(ts), 1, "
        "toUnixTimestamp64Milli(ts)) OVER (PARTITION BY user_id, assignment_id ORDER BY ts, "
        "event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gap_ms "
        "FROM {db}.assignment_events FINAL) GROUP BY user_id, assignment_id)"
    ),
}
FROM_VIEWS = {
    "dau": "SELECT day, dau FROM {db}.dau",
    "llm_usage_daily": (
        "SELECT day, user_id, model, calls, prompt_tokens, completion_tokens, round(cost_usd, 9) "
        "FROM {db}.llm_usage_daily"
    ),
    "llm_usage_by_model_daily": (
        "SELECT day, model, calls, prompt_tokens, completion_tokens, round(cost_usd, 9) "
        "FROM {db}.llm_usage_by_model_daily"
    ),
    "subject_usage_daily": "SELECT day, subject, users, events FROM {db}.subject_usage_daily",
    "assignment_time": (
        "SELECT user_id, assignment_id, subject, first_ts, last_ts, round(active_seconds, 6), "
        "submitted FROM {db}.assignment_time"
    ),
}


@pytest.fixture
def client(clickhouse_endpoint: ClickHouseEndpoint) -> Client:
    settings = SharedSettings(CLICKHOUSE_URL=clickhouse_endpoint.url)  # type: ignore[call-arg]
    return writer_client("", settings=settings)


@pytest.fixture
def database(client: Client) -> Iterator[str]:
    name = f"pulse_rollups_{uuid4().hex[:10]}"
    apply_migrations(client, name)
    yield name
    client.command(f"DROP DATABASE IF EXISTS `{name}`")


def fact_rows(rng: random.Random, events: int) -> Iterator[tuple[str, tuple[object, ...]]]:
    """Fact rows as the worker writes them, for events spread over 40 days, 30 users."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    for _ in range(events):
        user = f"u{rng.randrange(30)}"
        ts = start + timedelta(seconds=rng.randrange(40 * 86400), milliseconds=rng.randrange(1000))
        day, event_id = ts.date(), uuid4()
        yield "dau_users", (day, user)
        kind = rng.choice(("llm", "assignment", "assignment", "other"))
        if kind == "llm":
            yield (
                "llm_calls",
                (
                    day,
                    user,
                    rng.choice(("gpt", "claude")),
                    event_id,
                    rng.randrange(1000),
                    rng.randrange(500),
                    rng.random() / 100,
                ),
            )
        elif kind == "assignment":
            subject = rng.choice(("math", "art", ""))
            assignment = f"hw-{rng.randrange(4)}"
            pair_ts = start + timedelta(seconds=rng.randrange(3 * 3600))
            yield (
                "assignment_events",
                (user, assignment, pair_ts, event_id, subject, int(rng.random() < 0.1)),
            )
            if subject:
                yield "subject_events", (day, subject, user, event_id)


def store(client: Client, db: str, rows: list[tuple[str, tuple[object, ...]]]) -> TouchedKeys:
    touched = TouchedKeys()
    for table in COLUMNS:
        batch = [row for name, row in rows if name == table]
        if batch:
            client.insert(table, batch, column_names=list(COLUMNS[table]), database=db)
    for table, row in rows:
        touched.add(table, row)
    return touched


def answers(client: Client, db: str, queries: dict[str, str]) -> dict[str, list[tuple]]:
    return {
        name: sorted(client.query(sql.format(db=f"`{db}`")).result_rows, key=repr)
        for name, sql in queries.items()
    }


def test_rollups_refreshed_per_batch_equal_the_answer_from_all_facts(
    client: Client, database: str
) -> None:
    rng = random.Random(7)
    rows = list(fact_rows(rng, 3000))
    rows += rng.sample(rows, 300)  # redelivered facts
    rng.shuffle(rows)  # any arrival order
    for start in range(0, len(rows), 400):
        touched = store(client, database, rows[start : start + 400])
        for statement in refresh_statements(database, touched):
            client.command(statement)
    assert answers(client, database, FROM_VIEWS) == answers(client, database, FROM_FACTS)
    assert all(answers(client, database, FROM_VIEWS).values())


def test_a_replayed_batch_rewrites_the_same_values(client: Client, database: str) -> None:
    rows = list(fact_rows(random.Random(8), 500))
    touched = store(client, database, rows)
    for statement in refresh_statements(database, touched):
        client.command(statement)
    before = answers(client, database, FROM_VIEWS)
    store(client, database, rows)
    for statement in refresh_statements(database, touched):
        client.command(statement)
    assert answers(client, database, FROM_VIEWS) == before


def test_a_key_whose_facts_are_gone_disappears_from_the_views(
    client: Client, database: str
) -> None:
    rows = list(fact_rows(random.Random(9), 400))
    touched = store(client, database, rows)
    for statement in refresh_statements(database, touched):
        client.command(statement)
    # As `pulse forget` does: the facts go, and the pair rollup's own rows of the user with them.
    for table in (
        "dau_users",
        "llm_calls",
        "subject_events",
        "assignment_events",
        "assignment_pair_rollup",
    ):
        client.command(f"DELETE FROM `{database}`.{table} WHERE user_id = 'u3'")
    for statement in refresh_statements(database, touched):
        client.command(statement)
    assert answers(client, database, FROM_VIEWS) == answers(client, database, FROM_FACTS)
    users = client.query(f"SELECT count() FROM `{database}`.llm_usage_daily WHERE user_id = 'u3'")
    assert users.result_rows == [(0,)]


def test_a_rebuild_from_facts_gives_the_same_answers_as_refreshes(
    client: Client, database: str
) -> None:
    store(client, database, list(fact_rows(random.Random(10), 2000)))
    assert answers(client, database, FROM_VIEWS)["dau"] == []
    for statement in rebuild_statements(database, user_slices=4):
        client.command(statement)
    assert answers(client, database, FROM_VIEWS) == answers(client, database, FROM_FACTS)


def test_touched_keys_come_from_the_fact_rows() -> None:
    touched = TouchedKeys()
    day = date(2026, 11, 20)
    touched.add("dau_users", (day, "u"))
    touched.add("llm_calls", (day, "u", "gpt", UUID(int=1), 1, 2, 0.5))
    touched.add("subject_events", (day, "math", "u", UUID(int=2)))
    assert (touched.days, touched.llm, touched.subjects) == (
        {day},
        {(day, "u", "gpt")},
        {(day, "math")},
    )
    # Pairs and users are kept by materialized views: their facts touch nothing to recompute.
    ts = datetime.now(UTC)
    other = TouchedKeys()
    other.add("assignment_events", ("u", "hw", ts, UUID(int=3), "math", 0))
    other.add("events_store", (UUID(int=4), "x.y", "u", ts, ts, "", "", "", "", "{}"))
    assert not other
    assert TouchedKeys.TABLES == {"dau_users", "llm_calls", "subject_events"}


# What the worker of schema 0028 had written into its rollups: every key recomputed from the facts.
SCHEMA_28_REBUILD = (
    "INSERT INTO {db}.dau_rollup SELECT day, uniqExact(user_id), 1 "
    "FROM {db}.dau_users GROUP BY day",
    "INSERT INTO {db}.llm_usage_rollup SELECT day, user_id, model, count(), "
    "sum(prompt_token_count), sum(completion_token_count), sumKahan(call_cost_usd), 1 "
    "FROM {db}.llm_calls FINAL GROUP BY day, user_id, model",
    "INSERT INTO {db}.subject_usage_rollup SELECT day, subject, uniqExact(user_id), count(), 1 "
    "FROM {db}.subject_events FINAL GROUP BY day, subject",
    "INSERT INTO {db}.assignment_time_rollup SELECT *, 1 FROM {db}.assignment_time_from_facts",
)


# The view the model rollup (0035, 0036) added: stacks of an older schema have none to compare.
NEWER_VIEWS = {36: "llm_usage_by_model_daily"}


@pytest.mark.parametrize(
    ("schema", "first_new"),
    [
        (11, "0012_create_dau_rollup"),  # before any rollup: every view read the facts
        (28, "0029_create_assignment_pair_rollup"),  # pairs recomputed per batch, not kept
        (34, "0035_create_llm_model_rollup"),  # the release before the (day, model) totals
    ],
)
def test_an_existing_stack_upgraded_in_place_keeps_every_answer(
    client: Client, tmp_path: Path, schema: int, first_new: str
) -> None:
    database = f"pulse_upgrade_{uuid4().hex[:10]}"
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:schema]:
        shutil.copy(path, tmp_path / path.name)
    try:
        with pytest.MonkeyPatch.context() as patch:  # today's backfill knows today's tables
            patch.setattr("clickhouse.migrate.ROLLUP_MIGRATION_SUFFIXES", ())
            apply_migrations(client, database, directory=tmp_path)
        store(client, database, list(fact_rows(random.Random(11), 1500)))
        if schema > 11:  # that stack's worker had kept its rollups up to date
            kept = SCHEMA_28_REBUILD if schema == 28 else SCHEMA_28_REBUILD[:3]  # 0033 dropped 4th
            for statement in kept:
                client.command(statement.format(db=f"`{database}`"))
        older = {k: v for k, v in FROM_VIEWS.items() if k not in NEWER_VIEWS.values()}
        before = answers(client, database, older)
        assert all(before.values())
        applied = apply_migrations(client, database)
        assert applied[0] == first_new
        assert answers(client, database, older) == before
        assert answers(client, database, FROM_VIEWS) == answers(client, database, FROM_FACTS)
        days = client.query(f"SELECT count() FROM `{database}`.dau_rollup FINAL").result_rows
        assert days == [(len(before["dau"]),)]
        # After the upgrade the new worker's batches keep the answers exact.
        touched = store(client, database, list(fact_rows(random.Random(12), 500)))
        for statement in refresh_statements(database, touched):
            client.command(statement)
        assert answers(client, database, FROM_VIEWS) == answers(client, database, FROM_FACTS)
    finally:
        client.command(f"DROP DATABASE IF EXISTS `{database}`")


def store_events(client: Client, db: str, events: list[tuple[str, datetime]]) -> None:
    """``events`` into ``events_store`` in batches as the worker does (the user rollup follows
    each insert through its materialized view)."""
    for start in range(0, len(events), 700):
        client.insert(
            "events_store",
            [
                (uuid4(), "x.y", user, ts, ts, "", "", "", "", "{}", "", 0, 0)
                for user, ts in events[start : start + 700]
            ],
            column_names=list(COLUMNS["events_store"]),
            database=db,
        )


def test_rolling_dau_from_the_user_rollup_equals_a_count_over_every_event(
    client: Client, database: str
) -> None:
    rng = random.Random(12)
    end = datetime(2026, 11, 20, tzinfo=UTC)
    events = [
        (f"u{rng.randrange(300)}", end - timedelta(milliseconds=rng.randrange(35 * 86_400_000)))
        for _ in range(4000)
    ]
    # Events dated ahead of some "now" (the contract allows 24 h), some from users active
    # inside the windows too, so that their newest row lies beyond "now".
    events += [(f"u{rng.randrange(320)}", end + timedelta(minutes=rng.randrange(-600, 600)))]
    events += [("edge", end - timedelta(days=30)), ("late", end + timedelta(hours=2))]
    events += [("u7", end + timedelta(hours=20)), ("u8", end - timedelta(hours=30))]
    events += [(f"u{rng.randrange(320)}", end + timedelta(hours=rng.randrange(24)))] * 30
    rng.shuffle(events)
    store_events(client, database, events)
    store_events(client, database, events[:900])  # a replayed batch changes nothing
    sql = rolling_dau_sql("{now:DateTime64(3, 'UTC')}", "{db:Identifier}.")
    for now in (
        end,
        end + timedelta(milliseconds=1),
        end - timedelta(milliseconds=1),
        end - timedelta(hours=13, minutes=7, seconds=5, milliseconds=123),
        end + timedelta(hours=5),
        end + timedelta(days=3),
    ):
        expected = tuple(
            len({user for user, ts in events if now - window <= ts < now})
            for window in (timedelta(hours=24), timedelta(days=7), timedelta(days=30))
        )
        rows = client.query(sql, parameters={"now": now, "db": database}).result_rows
        assert tuple(int(v) for v in rows[0]) == expected, now


USER_ACTIVITY = (
    "SELECT user_id, uniqExactMerge(active_days), min(first_seen), max(last_seen) "
    "FROM {db}.user_activity_rollup GROUP BY user_id"
)
USER_ACTIVITY_FROM_EVENTS = (
    "SELECT user_id, uniqExact(toDate(ts)), min(ts), max(ts) "
    "FROM {db}.events_store GROUP BY user_id"
)


def test_user_rollup_kept_per_insert_equals_a_rebuild_and_the_events(
    client: Client, database: str
) -> None:
    rng = random.Random(13)
    start = datetime(2026, 10, 1, 23, tzinfo=UTC)
    events = [
        (f"u{rng.randrange(50)}", start + timedelta(seconds=rng.randrange(10 * 86400)))
        for _ in range(3000)
    ]
    store_events(client, database, events)
    expected = answers(client, database, {"users": USER_ACTIVITY_FROM_EVENTS})["users"]
    assert answers(client, database, {"users": USER_ACTIVITY})["users"] == expected
    client.command(f"TRUNCATE TABLE `{database}`.user_activity_rollup")
    for statement in rebuild_statements(database, user_slices=3):
        client.command(statement)
    assert answers(client, database, {"users": USER_ACTIVITY})["users"] == expected


def test_keys_of_the_longest_ids_are_refreshed_in_statements_clickhouse_accepts(
    client: Client, database: str
) -> None:
    # 2 000 LLM keys of 128-character users (the schema's longest) and long models: one
    # statement of them exceeded max_query_size, and the worker retried it forever.
    day = date(2026, 11, 20)
    rows = [
        (
            "llm_calls",
            (day, f"{n:04d}" + "é" * 124, "m" * 200, uuid4(), n, 1, 0.001),
        )
        for n in range(2000)
    ]
    rows += [("dau_users", (day, user)) for _, (_, user, *_) in rows]
    touched = store(client, database, rows)
    statements = refresh_statements(database, touched)
    assert len(statements) > 2  # the LLM keys were split
    assert all(len(s.encode()) <= MAX_STATEMENT_BYTES for s in statements)
    for statement in statements:
        client.command(statement)
    assert answers(client, database, FROM_VIEWS) == answers(client, database, FROM_FACTS)
    assert len(answers(client, database, FROM_VIEWS)["llm_usage_daily"]) == 2000
