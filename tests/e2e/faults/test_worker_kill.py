"""The stream worker SIGKILLed while it sinks a batch, then started again."""

from __future__ import annotations

import pytest

from tests.e2e.faults.conftest import PRODUCER_KEY, FaultStack
from tests.e2e.faults.ledger import assert_exactly_once, stored_rows
from tests.e2e.faults.load import LoadGenerator
from tests.polling import eventually

pytestmark = pytest.mark.slow

TAG = "faults-worker"


def test_worker_sigkill_mid_batch_then_restart_stores_every_accepted_event_once(
    stack: FaultStack,
) -> None:
    worker, client = stack.part("stream_worker"), stack.client()
    with LoadGenerator(stack.api_url, PRODUCER_KEY, TAG) as load:
        eventually(lambda: stored_rows(client, TAG)[0], lambda n: n >= 500, timeout=60,
                   what="the worker sinking this scenario's events")
        worker.process.kill()
        at_kill = stored_rows(client, TAG)[0]
        accepted_at_kill = sum(len(o.accepted_ids) for o in load.outcomes())
        load.keep_loading(3.0)
        stack.ensure("stream_worker")
        eventually(lambda: stored_rows(client, TAG)[0], lambda n: n > at_kill, timeout=90,
                   what="the restarted worker sinking again")
        load.keep_loading(2.0)
        outcomes = load.stop()

    assert at_kill < accepted_at_kill, "the worker had caught up when killed: nothing in flight"
    assert all(o.accepted for o in outcomes), "the API refused requests while only the worker died"
    assert_exactly_once("stream worker SIGKILL", client, TAG, outcomes)
