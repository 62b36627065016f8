"""Clients resending a batch (after a timeout, or twice): each event stored once.

Events with an ``event_id`` keep it; events without one get an id derived from their content,
so the resent copy gets the same id. The first attempt of each batch gives up before the answer
(a client timeout) while the server goes on and commits it, so Kafka really holds copies.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.faults.conftest import PRODUCER_KEY, FaultStack
from tests.e2e.faults.ledger import assert_exactly_once, duplicate_rows, stored_rows
from tests.e2e.faults.load import Outcome, make_events
from tests.polling import eventually

pytestmark = pytest.mark.slow

TAG = "faults-retries"
IMPATIENT = httpx.Timeout(10.0, read=0.001)  # gives up as soon as the body is sent


def post(
    client: httpx.Client,
    batch: list[dict[str, Any]],
    timeout: httpx.Timeout | None = None,
) -> Outcome:
    """One POST, no retry; the outcome as the load generator records it."""
    ids = tuple(str(e.get("event_id", "")) for e in batch)
    started = time.monotonic()
    try:
        resp = client.post(
            "/v1/events", content=orjson.dumps(batch), timeout=timeout or client.timeout
        )
    except httpx.TimeoutException as exc:
        return Outcome(started, time.monotonic(), ids, None, error=type(exc).__name__)
    accepted = tuple(r["event_id"] for r in resp.json()["results"] if r["status"] == "accepted")
    return Outcome(started, time.monotonic(), ids, resp.status_code, accepted_ids=accepted)


def without_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "event_id"} for e in events]


def resend(client: httpx.Client, batch: list[dict[str, Any]]) -> list[Outcome]:
    """A timed-out attempt, then the very same batch twice more."""
    return [post(client, batch, IMPATIENT), post(client, batch), post(client, batch)]


def test_resent_batches_with_and_without_event_ids_are_stored_once(stack: FaultStack) -> None:
    with_ids, no_ids = make_events(TAG, 0, 50), without_ids(make_events(TAG, 50, 50))
    headers = {"Authorization": f"Bearer {PRODUCER_KEY}", "Content-Type": "application/json"}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=20) as client:
        first, second = resend(client, with_ids), resend(client, no_ids)

    timed_out = [first[0], second[0]]
    assert all(o.error == "ReadTimeout" for o in timed_out), timed_out
    answered = first[1:] + second[1:]
    assert all(o.status == 202 and len(o.accepted_ids) == 50 for o in answered), answered
    assert first[1].accepted_ids == first[2].accepted_ids == tuple(e["event_id"] for e in with_ids)
    assert second[1].accepted_ids == second[2].accepted_ids, "derived ids must not vary"
    client = stack.client()
    eventually(
        lambda: stored_rows(client, TAG)[0],
        lambda n: n >= 100,
        timeout=60,
        interval=0.05,
        what="the resent batches stored",
    )
    copies = duplicate_rows(client, TAG)  # resent copies, until ReplacingMergeTree merges them
    figures = assert_exactly_once(
        "client retries", client, TAG, first + second, redelivered_seen=copies
    )
    assert figures.accepted == figures.stored == 100
