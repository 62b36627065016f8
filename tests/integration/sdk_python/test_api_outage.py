"""The API killed for 30 s while the SDK sends 10,000 events: all 10,000 stored, once each."""

from __future__ import annotations

import time

import pytest
from pulse_client import Client

from tests.integration.sdk_python.conftest import FIGURES, PRODUCER_KEY, SdkStack
from tests.polling import eventually

pytestmark = pytest.mark.slow

TOTAL, BEFORE, DURING = 10_000, 2_000, 6_000
OUTAGE_S = 30.0


def send_paced(client: Client, first: int, count: int, seconds: float) -> list[str | None]:
    """``count`` events spread evenly over ``seconds`` (a producer's steady traffic)."""
    ids, start, chunk = [], time.monotonic(), 100
    for n in range(first, first + count, chunk):
        ids += [client.assignment_heartbeat(f"u-{i % 50}", f"hw-{i % 7}", "math")
                for i in range(n, min(n + chunk, first + count))]  # fmt: skip
        due = start + seconds * (n - first + chunk) / count
        time.sleep(max(0.0, due - time.monotonic()))  # the schedule of the load, not a wait
    return ids


def test_api_killed_for_30_s_mid_stream_loses_and_doubles_nothing(
    sdk_stack: SdkStack, tag: str
) -> None:
    client = Client(sdk_stack.api_url, PRODUCER_KEY, source=tag, backoff_max=5.0)
    try:
        ids = send_paced(client, 0, BEFORE, 2.0)
        eventually(lambda: client.stats.delivered, lambda n: n >= 1000, what="first deliveries")
        sdk_stack.api.process.kill()
        killed = time.monotonic()
        delivered_at_kill = client.stats.delivered
        ids += send_paced(client, BEFORE, DURING, OUTAGE_S)
        during = client.stats.snapshot()
        assert time.monotonic() - killed >= OUTAGE_S
        sdk_stack.ensure_api()
        back = time.monotonic()
        ids += send_paced(client, BEFORE + DURING, TOTAL - BEFORE - DURING, 2.0)
        assert client.flush(timeout=180)
        drained = time.monotonic()
    finally:
        client.close()
        sdk_stack.ensure_api()

    stats = client.stats.snapshot()
    assert during["delivered"] == delivered_at_kill and during["retries"] > 0
    assert during["pending"] >= DURING
    assert (stats["delivered"], stats["dropped"], stats["failed"], stats["rejected"]) == (
        TOTAL, 0, 0, 0
    )  # fmt: skip
    assert len(set(ids)) == TOTAL
    sdk_stack.wait_stored(tag, TOTAL, timeout=180)
    assert sdk_stack.stored(tag) == (TOTAL, TOTAL)
    assert sdk_stack.event_ids(tag) == set(ids)
    FIGURES.append(
        f"API killed {OUTAGE_S:.0f} s mid-stream: {TOTAL} sent, {stats['delivered']} delivered, "
        f"stored once each; {stats['requests']} POSTs ({stats['retries']} retries), queue peak "
        f">= {during['pending']} events, drained {drained - back:.1f} s after the API was back"
    )
