"""The ingest API stopped (SIGTERM) mid-load and started again."""

from __future__ import annotations

import time

import pytest

from tests.e2e.faults.conftest import PRODUCER_KEY, FaultStack
from tests.e2e.faults.ledger import assert_exactly_once
from tests.e2e.faults.load import LoadGenerator

pytestmark = pytest.mark.slow

TAG = "faults-api"


def test_api_restart_mid_load_refuses_connections_in_the_gap_and_stores_accepted_once(
    stack: FaultStack,
) -> None:
    api = stack.part("ingest_api")
    with LoadGenerator(stack.api_url, PRODUCER_KEY, TAG) as load:
        load.wait_for("accepted before the restart", lambda o: o.accepted, count=10)
        api.process.stop()
        stopped = time.monotonic()
        load.wait_for(
            "refused while the API is down",
            lambda o: o.started > stopped and o.error is not None,
            count=3,
            timeout=30,
        )
        starting = time.monotonic()
        stack.ensure("ingest_api")
        started = time.monotonic()
        load.wait_for(
            "accepted after the restart",
            lambda o: o.started > started and o.accepted,
            count=10,
            timeout=60,
        )
        outcomes = load.stop()

    gap = [o for o in outcomes if o.within(stopped, starting)]
    assert gap and all(o.status is None and o.error == "ConnectError" for o in gap), {
        (o.status, o.error) for o in gap
    }
    assert_exactly_once("ingest API restart", stack.client(), TAG, outcomes)
