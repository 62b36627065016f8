"""The stream worker SIGKILLed while it sinks a batch, then started again."""

from __future__ import annotations

import pytest

from tests.e2e.faults.conftest import PRODUCER_KEY, FaultStack
from tests.e2e.faults.ledger import (
    assert_exactly_once,
    duplicate_rows,
    status_counts,
    stored_rows,
)
from tests.e2e.faults.load import LoadGenerator
from tests.polling import eventually

pytestmark = pytest.mark.slow

TAG = "faults-worker"


def test_worker_sigkill_mid_batch_then_restart_stores_every_accepted_event_once(
    stack: FaultStack,
) -> None:
    worker, client = stack.part("stream_worker"), stack.client()
    with LoadGenerator(stack.api_url, PRODUCER_KEY, TAG) as load:
        sunk = eventually(
            lambda: stored_rows(client, TAG)[0],
            lambda n: n >= 500,
            timeout=60,
            what="the worker sinking this scenario's events",
        )
        # Kill just after a batch landed: its offsets are committed only at Faust's next commit,
        # so the restarted worker reads that batch again and writes it a second time.
        eventually(
            lambda: stored_rows(client, TAG)[0],
            lambda n: n > sunk,
            timeout=30,
            interval=0.02,
            what="the next batch inserted",
        )
        worker.process.kill()
        at_kill = stored_rows(client, TAG)[0]
        load.keep_loading(3.0)
        stack.ensure("stream_worker")
        eventually(
            lambda: stored_rows(client, TAG)[0],
            lambda n: n > at_kill,
            timeout=90,
            interval=0.05,
            what="the restarted worker sinking again",
        )
        # The batch written again shows as duplicate rows until ReplacingMergeTree merges them.
        redelivered = duplicate_rows(client, TAG)
        load.keep_loading(2.0)
        outcomes = load.stop()

    # The API does not depend on the worker; on a busy machine a slow transaction may still be
    # refused (503, nothing stored), which the exactly-once check covers like any other answer.
    assert all(o.accepted or o.status == 503 for o in outcomes), status_counts(outcomes)
    assert sum(o.accepted for o in outcomes) > 0.9 * len(outcomes), status_counts(outcomes)
    assert_exactly_once(
        "stream worker SIGKILL", client, TAG, outcomes, redelivered_seen=redelivered
    )
