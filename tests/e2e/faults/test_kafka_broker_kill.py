"""The Kafka broker SIGKILLed under load, then restarted on its own data."""

from __future__ import annotations

import time

import pytest

from tests.e2e.faults.conftest import PRODUCER_KEY, FaultStack
from tests.e2e.faults.ledger import assert_exactly_once
from tests.e2e.faults.load import LoadGenerator, Outcome

pytestmark = pytest.mark.slow


def test_broker_sigkill_answers_503_with_retry_after_and_stores_accepted_events_once(
    stack: FaultStack,
) -> None:
    kafka = stack.part("kafka")
    with LoadGenerator(stack.api_url, PRODUCER_KEY, "faults-kafka") as load:
        load.wait_for("accepted before the kill", lambda o: o.accepted, count=10)
        kafka.process.kill()
        killed = time.monotonic()

        refused = load.wait_for(
            "answered 503 while the broker is down",
            lambda o: o.started > killed and o.status == 503,
            count=3,
            timeout=30,
        )
        restarting = time.monotonic()
        stack.ensure("kafka")
        restarted = time.monotonic()
        load.wait_for(
            "accepted after the restart",
            lambda o: o.started > restarted and o.accepted,
            count=10,
            timeout=90,
        )
        outcomes = load.stop()

    while_down = [o for o in outcomes if o.within(killed, restarting)]
    assert not [o for o in while_down if o.accepted], "a 202 while the broker was down"
    assert all(_is_503_with_retry_after(o) for o in while_down), {
        (o.status, o.error, o.retry_after) for o in while_down
    }
    assert all(o.retry_after for o in refused)
    assert_exactly_once("kafka broker SIGKILL", stack.client(), "faults-kafka", outcomes)


def _is_503_with_retry_after(outcome: Outcome) -> bool:
    return outcome.status == 503 and bool(outcome.retry_after)
