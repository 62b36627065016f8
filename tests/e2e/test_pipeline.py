"""HTTP -> Kafka -> worker -> ClickHouse, through the real processes, with hostile traffic."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse.sender import send_events
from tests.e2e.conftest import PRODUCER_KEY, RunningStack
from tests.polling import eventually

SOURCE = f"e2e-pipeline-{uuid.uuid4().hex[:8]}"  # this module's events, apart from other tests'


def make_events(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Valid events with timestamps shuffled within the last hour, across several users."""
    now = datetime.now(UTC)
    events = []
    for i in range(n):
        ts = now - timedelta(seconds=rng.uniform(0, 3600))
        events.append(
            {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "event": rng.choice(["assignment.viewed", "assignment.heartbeat"]),
                "user_id": f"student-{i % 97}",
                "timestamp": ts.isoformat().replace("+00:00", "Z"),
                "source": SOURCE,
                "metadata": {
                    "assignment_id": f"hw-{i % 13}",
                    "subject": rng.choice(["math", "cs"]),
                },
            }
        )
    return events


def invalid_events(rng: random.Random) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {"event": "assignment.viewed", "user_id": "u", "timestamp": now, "metadata": {}},
        {"event": "Not A Name", "user_id": "u", "timestamp": now},
        {
            "event": "llm.call",
            "user_id": "u",
            "timestamp": now,
            "metadata": {"model": "m", "prompt_tokens": -1, "completion_tokens": 1, "cost_usd": 0},
        },
        {"event": "user.login", "user_id": "u", "timestamp": "2999-01-01T00:00:00Z"},
        {"event": "user.login", "user_id": "", "timestamp": now},
    ]


def count_ours(stack: RunningStack) -> int:
    query = "SELECT count() FROM events WHERE source = {s:String}"
    return int(stack.client().command(query, parameters={"s": SOURCE}))


def wait_for_count(stack: RunningStack, expected: int, timeout: float = 120.0) -> int:
    return eventually(
        lambda: count_ours(stack),
        lambda n: n >= expected,
        timeout,
        what=f"{expected} events in ClickHouse",
    )


def test_accepted_events_land_in_clickhouse_exactly_once(pulse_stack: RunningStack) -> None:
    rng = random.Random(7)
    valid = make_events(3000, rng)
    duplicates = rng.sample(valid, 150)
    bad = invalid_events(rng)
    traffic = valid + bad * 4
    rng.shuffle(traffic)

    first = asyncio.run(send_events(pulse_stack.api_url, PRODUCER_KEY, traffic, batch_size=250))
    again = asyncio.run(send_events(pulse_stack.api_url, PRODUCER_KEY, duplicates, batch_size=50))

    assert first.accepted == 3000 and first.rejected == len(bad) * 4
    assert again.accepted == 150
    assert wait_for_count(pulse_stack, 3000) == 3000
    rows = (
        pulse_stack.client()
        .query("SELECT event_id FROM events WHERE source = {s:String}", parameters={"s": SOURCE})
        .result_rows
    )
    assert {str(r[0]) for r in rows} == {e["event_id"] for e in valid}
    assert count_ours(pulse_stack) == 3000
