"""What the rollups add to freshness: a stored batch's facts to its rollup rows being readable.

The worker acknowledges a batch only after it stored the batch's facts and then ran the rollup
refresh of the keys the batch touched (``stream_processors.rollup_refresh``). The pair and user
rollups are kept by materialized views inside the facts' inserts: the raw row and those rollups
are visible when the insert returns, the recomputed ones when the refresh returns. This section
replays that on the queries section's loaded database (the history the recompute reads is the
bench's 10M events): batches of worker-sized traffic, mostly of the last hour, some historical
(days old), each stored with the worker's fact rows and refreshed with the worker's statements.
An accepted event's rollup freshness is its raw-row freshness (the ``freshness`` section) plus
``refresh`` here; ``insert`` (the facts and the views behind them) is part of both.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client

from bench.stats import latency_summary
from clickhouse.rollups import TouchedKeys, refresh_statements
from pulse.workload.catalog import LLM_MODELS, SUBJECTS
from schemas.events import EventRecord
from stream_processors import rows
from stream_processors.rollup_refresh import within_partition_limit
from stream_processors.sink import DEFAULT_MAX_PARTITIONS

HISTORICAL_SHARE = 0.03


def _record(rng: random.Random, users: int, now: datetime) -> EventRecord:
    back = timedelta(days=rng.randrange(2, 20)) if rng.random() < HISTORICAL_SHARE else timedelta()
    ts = now - back - timedelta(milliseconds=rng.randrange(3_600_000))
    user = f"student-{int(rng.random() ** 2 * users)}"
    kind = rng.random()
    if kind < 0.66:
        event = rng.choice(("assignment.heartbeat", "assignment.viewed", "assignment.submitted"))
        metadata: dict[str, Any] = {
            "assignment_id": f"hw-{rng.randrange(users * 3)}",
            "subject": rng.choice(SUBJECTS),
        }
    elif kind < 0.76:
        event = "llm.call"
        prompt, completion = rng.randrange(10, 2000), rng.randrange(800)
        cost = round(prompt * 2e-6 + completion * 8e-6, 8)
        model = rng.choice(LLM_MODELS).name
        metadata = {
            "model": model,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost_usd": cost,
        }
    else:
        event, metadata = "user.login", {"role": "student"}
    return EventRecord(
        event_id=uuid.uuid4(),
        event=event,
        user_id=user,
        timestamp=ts,
        received_at=now,
        source="bench",
        metadata=metadata,
    )


def _fact_rows(records: list[EventRecord]) -> Iterator[tuple[str, rows.Row]]:
    for offset, record in enumerate(records):
        yield "events_store", rows.events_store_row(record, 0, offset)
        yield "dau_users", rows.dau_row(record)
        for table, row in (
            ("llm_calls", rows.llm_call_row(record)),
            ("subject_events", rows.subject_row(record)),
            ("assignment_events", rows.assignment_row(record)),
        ):
            if row is not None:
                yield table, row


def refresh(client: Client, database: str, touched: TouchedKeys) -> float:
    """Run the worker's recompute of ``touched``; its seconds."""
    started = time.perf_counter()
    for part in within_partition_limit(touched, DEFAULT_MAX_PARTITIONS):
        for statement in refresh_statements(database, part):
            client.command(statement)
    return time.perf_counter() - started


def store_and_refresh(
    client: Client, database: str, records: list[EventRecord], since: date | None = None
) -> tuple[float, float, TouchedKeys]:
    """Store the batch's facts as the sink does, then recompute its keys (only those of days
    from ``since`` on, when given, as the worker defers older days); seconds of each, and the
    keys left for the deferred refresh."""
    added = list(_fact_rows(records))
    started = time.perf_counter()
    for table, columns in rows.COLUMNS.items():
        batch = [row for name, row in added if name == table]
        if batch:
            client.insert(table, batch, column_names=list(columns), database=database)
    stored = time.perf_counter() - started
    touched = TouchedKeys()
    for table, row in added:
        touched.add(table, row)
    now, later = touched.split(since) if since is not None else (touched, TouchedKeys())
    return stored, refresh(client, database, now), later


def measure(
    client: Client, database: str, users: int, now: datetime, batches: int, batch_size: int
) -> dict[str, Any]:
    """p50/p95 of the insert and the refresh of ``batches`` batches of ``batch_size`` events,
    twice: every key recomputed after its batch, then as the worker does it, old days' keys
    (before yesterday) set aside and recomputed once for all the batches (the worker's
    ``PULSE_ROLLUP_DEFER_SECONDS`` window holds about that many batches of a backlog); the rate
    of inserts and refreshes together (what a worker's ClickHouse side sustains) for each."""
    rng = random.Random(2026)
    every, deferred = [], []
    for _ in range(batches):
        records = [_record(rng, users, now) for _ in range(batch_size)]
        every.append(store_and_refresh(client, database, records))
    since = now.date() - timedelta(days=1)
    later = TouchedKeys()
    for _ in range(batches):
        records = [_record(rng, users, now) for _ in range(batch_size)]
        insert, live, old = store_and_refresh(client, database, records, since)
        deferred.append((insert, live))
        later.merge(old)
    once = refresh(client, database, later)
    events = batch_size * batches
    return {
        "batch_events": batch_size,
        "historical_share": HISTORICAL_SHARE,
        "insert": latency_summary([insert for insert, _, _ in every]),
        "refresh": latency_summary([seconds for _, seconds, _ in every]),
        "insert_and_refresh_events_per_s": round(
            events / sum(insert + seconds for insert, seconds, _ in every)
        ),
        "deferred": {
            "refresh_of_live_days": latency_summary([live for _, live in deferred]),
            "old_days_refresh_once_s": round(once, 3),
            "old_days": len(later.days),
            "insert_and_refresh_events_per_s": round(
                events / (sum(insert + live for insert, live in deferred) + once)
            ),
        },
    }
