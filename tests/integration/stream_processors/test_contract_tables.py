"""Contract tables equal the oracle: shuffled, resent and historical traffic, two workers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.integration.stream_processors.conftest import Pipeline, Worker, record, send_records
from tests.oracle import Oracle, assert_matches, diff_event_ids, diff_table
from tests.polling import eventually

SUBJECTS = ["math", "physics", "art"]
MODELS = ["tutor-small", "tutor-large"]


def traffic(rng: random.Random) -> list[dict[str, Any]]:
    """A few hundred events: assignment sessions, LLM calls, custom events, old imports."""
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for n in range(300):
        user = f"student-{rng.randrange(8)}"
        historical = rng.random() < 0.15
        ts = now - timedelta(
            days=rng.randrange(3, 25) if historical else 0,
            seconds=rng.randrange(0, 6 * 3600),
            milliseconds=rng.randrange(1000),
        )
        kind = rng.random()
        if kind < 0.55:
            name = rng.choice(["viewed", "started", "heartbeat", "heartbeat", "submitted"])
            meta: dict[str, Any] = {
                "assignment_id": f"hw-{rng.randrange(4)}",
                "subject": rng.choice(SUBJECTS),
            }
            events.append(record(f"assignment.{name}", user, ts, meta))
        elif kind < 0.8:
            meta = {
                "model": rng.choice(MODELS),
                "prompt_tokens": rng.randrange(2000),
                "completion_tokens": rng.randrange(800),
                "cost_usd": round(rng.random() / 100, 9),
            }
            events.append(record("llm.call", user, ts, meta))
        elif kind < 0.9:
            events.append(record("quiz.answered", user, ts, {"subject": rng.choice(SUBJECTS)}))
        else:
            events.append(record("user.login", user, ts, {"role": "student"}))
        if n % 7 == 0:  # the producer wrote a local offset: the UTC day must still be right
            offset = timezone(timedelta(hours=rng.choice([-8, 5, 9])))
            events[-1]["timestamp"] = ts.astimezone(offset).isoformat(timespec="milliseconds")
    return events


@pytest.fixture(scope="module")
def workers(pipeline: Pipeline) -> Iterator[list[Worker]]:
    """Two workers of one consumer group sharing the topic's partitions."""
    pair = [pipeline.worker("one").start(), pipeline.worker("two").start()]
    yield pair
    for w in pair:
        w.process.stop(grace=20)


@pytest.fixture(scope="module")
def oracle(pipeline: Pipeline, workers: list[Worker]) -> Oracle:
    """Send shuffled traffic in three transactions, the last one resending 60 events."""
    rng = random.Random(20261120)
    events = traffic(rng)
    rng.shuffle(events)
    resent = rng.sample(events, 60)
    send_records(pipeline, events[:150])
    send_records(pipeline, events[150:])
    send_records(pipeline, resent)
    oracle = Oracle.from_events(events + resent)
    client = pipeline.client()
    eventually(
        lambda: (
            all(w.alive() for w in workers)
            and client.query("SELECT count() FROM events").result_rows[0][0]
        ),
        lambda n: n >= oracle.event_count,
        timeout=120,
        what="every event stored",
    )
    return oracle


def _rows(pipeline: Pipeline, table: str) -> list[dict[str, Any]]:
    return list(pipeline.client().query(f"SELECT * FROM {table}").named_results())


@pytest.mark.parametrize(
    "table", ["dau", "assignment_time", "llm_usage_daily", "subject_usage_daily"]
)
def test_table_equals_the_oracle(pipeline: Pipeline, oracle: Oracle, table: str) -> None:
    diff = eventually(
        lambda: diff_table(oracle, table, _rows(pipeline, table)),
        lambda d: d.ok,
        timeout=60,
        what=f"{table} equal to the oracle",
    )
    assert_matches(diff)


def test_events_holds_each_event_id_once(pipeline: Pipeline, oracle: Oracle) -> None:
    ids = pipeline.client().query("SELECT event_id FROM events").result_columns[0]
    assert_matches(diff_event_ids(oracle, ids))


def _metrics_text(worker: Worker) -> str:
    """The worker's /metrics, or "" while its web server does not answer (e.g. mid-rebalance)."""
    assert worker.alive(), f"worker {worker.name} exited"
    try:
        return worker.get("/metrics").text
    except httpx.TransportError:
        return ""


def test_both_workers_of_the_group_consume_partitions(workers: list[Worker]) -> None:
    for w in workers:
        metrics = eventually(
            lambda w=w: _metrics_text(w),
            lambda t: "kafka_consumer_lag{" in t,
            what=f"{w.name} lag gauge",
        )
        assert "kafka_consumer_lag{" in metrics
