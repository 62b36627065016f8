"""The ClickHouse endpoint down for 30 s while the worker sinks, then back on its own data."""

from __future__ import annotations

import pytest

from tests.e2e.faults.conftest import PRODUCER_KEY, FaultStack
from tests.e2e.faults.ledger import assert_exactly_once, status_counts, stored_rows
from tests.e2e.faults.load import LoadGenerator
from tests.polling import eventually

pytestmark = pytest.mark.slow

TAG = "faults-clickhouse"
OUTAGE_SECONDS = 30.0


def test_clickhouse_down_30_s_during_sinking_then_back_stores_every_accepted_event_once(
    stack: FaultStack,
) -> None:
    clickhouse, client = stack.part("clickhouse"), stack.client()
    with LoadGenerator(stack.api_url, PRODUCER_KEY, TAG) as load:
        eventually(
            lambda: stored_rows(client, TAG)[0],
            lambda n: n >= 500,
            timeout=60,
            what="the worker sinking this scenario's events",
        )
        clickhouse.process.kill()
        during = len(load.outcomes())
        load.keep_loading(OUTAGE_SECONDS)  # the outage itself, with the load still running
        while_down = load.outcomes()[during:]
        stack.ensure("clickhouse")
        client = stack.client()  # a new session: the endpoint's sessions died with it
        at_restart = stored_rows(client, TAG)[0]
        eventually(
            lambda: stored_rows(client, TAG)[0],
            lambda n: n > at_restart,
            timeout=60,
            what="the worker sinking again",
        )
        load.keep_loading(2.0)
        outcomes = load.stop()

    # The API does not depend on ClickHouse; a slow transaction on a busy machine may still be
    # refused (503, nothing stored), which the exactly-once check covers like any other answer.
    assert all(o.accepted or o.status == 503 for o in while_down), status_counts(while_down)
    assert sum(o.accepted for o in while_down) > 0.9 * len(while_down) > 18, (
        f"the API must keep accepting while only ClickHouse is down: {status_counts(while_down)}"
    )
    assert stack.part("stream_worker").process.is_running(), "the worker died during the outage"
    assert_exactly_once("clickhouse endpoint down 30 s", client, TAG, outcomes)
