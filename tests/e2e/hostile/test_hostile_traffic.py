"""Hostile but valid traffic through the real stack (API -> Kafka -> worker -> ClickHouse),
with items just outside the contract mixed in: every request gets its 202 and per-event
verdicts, canaries behind each round are stored (nothing stalled), and every accepted event is
in ``events`` exactly once or in the dead-letter topic."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.e2e.conftest import PRODUCER_KEY, RunningStack
from tests.e2e.hostile.conftest import PARTITIONS
from tests.e2e.hostile.ledger import account, send_canaries
from tests.e2e.hostile.strategies import OUTSIDE_TIMESTAMPS, Round, rounds
from tests.e2e.hostile.tally import TALLY
from tests.e2e.hostile.traffic import Expect, accepted_ids, build, post, self_check

HOSTILE_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,  # every run generates afresh; a replayed round would only repeat itself
    # No shrinking: each try of a failing round waits out the settling deadline; the failure
    # message lists the round's items instead.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture(scope="module")
def api(hostile_stack: RunningStack) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {PRODUCER_KEY}"}
    with httpx.Client(base_url=hostile_stack.api_url, headers=headers, timeout=60) as client:
        yield client


def run_round(
    stack: RunningStack, api: httpx.Client, items: list[dict[str, Any]], expects: list[Expect]
) -> None:
    """Send one round and check all that the contract promises about it."""
    self_check(items, expects)
    answer = post(api, items)
    ids = accepted_ids(answer, expects)
    canary_ids = send_canaries(api, PARTITIONS)
    outcome = account(stack, ids, canary_ids)
    assert not outcome.missing, (
        f"{len(outcome.missing)} of {len(ids)} accepted ids neither stored nor dead-lettered "
        f"(canaries {'missing' if canary_ids & outcome.missing else 'stored'}):\n"
        + lost(answer, items, outcome.missing)
    )
    assert not outcome.doubled, f"stored more than once: {outcome.doubled}"
    TALLY.round(
        len(items),
        sum(e.accept for e in expects),
        sum(not e.accept for e in expects),
        len(ids & outcome.stored.keys()),
        len(outcome.dead),
    )


def lost(answer: dict[str, Any], items: list[dict[str, Any]], missing: set[str]) -> str:
    """The missing items of a round as JSON, by event_id (at most 20, each cut at 600 bytes)."""
    shown = [
        f"{r['event_id']}: {orjson.dumps(items[r['index']])[:600]!r}"
        for r in answer["results"]
        if r.get("event_id") in missing
    ]
    return "\n".join(shown[:20])


@HOSTILE_SETTINGS
@given(round_=rounds())
def test_hostile_rounds_get_per_event_verdicts_and_land_exactly_once(
    hostile_stack: RunningStack, api: httpx.Client, round_: Round
) -> None:
    items, expects = build(round_)
    run_round(hostile_stack, api, items, expects)


def every_month_since_1970(now: datetime) -> list[dict[str, Any]]:
    """One event at the last millisecond of every month from January 1970 to last month,
    written at +14:00 and -12:00 in turn, plus the first instant of the epoch."""
    items = [
        {
            "event": "user.login",
            "user_id": "every-month",
            "timestamp": "1969-12-31T12:00:00-12:00",
            "event_id": str(uuid.uuid4()),
        }
    ]
    year, month = 1970, 1
    while (year, month) < (now.year, now.month):
        end = datetime(
            year, month, calendar.monthrange(year, month)[1], 23, 59, 59, 999_000, tzinfo=UTC
        )
        offset = timedelta(hours=14 if month % 2 else -12)
        local = end.astimezone(timezone(offset))
        items.append(
            {
                "event_id": str(uuid.uuid4()),
                "event": "assignment.heartbeat",
                "user_id": f"month-{year}-{month:02d}",
                "timestamp": local.isoformat(timespec="milliseconds"),
                "metadata": {"assignment_id": f"hw-{year}", "subject": "history"},
            }
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return items


def test_one_request_with_every_month_since_1970_lands_whole(
    hostile_stack: RunningStack, api: httpx.Client
) -> None:
    items = every_month_since_1970(datetime.now(UTC))
    expects = [Expect(True)] * len(items)
    outside = [
        {"event": "user.login", "user_id": "too-early", "timestamp": ts}
        for ts in OUTSIDE_TIMESTAMPS
    ]
    too_late = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    outside.append({"event": "user.login", "user_id": "too-late", "timestamp": too_late})
    run_round(
        hostile_stack,
        api,
        items + outside,
        expects + [Expect(False, error_mentions="timestamp")] * len(outside),
    )
