"""Retries resend the same event ids, so nothing is stored twice; a full queue is counted."""

from __future__ import annotations

from collections import deque

from pulse_client import Client

from tests.integration.sdk_python.conftest import PRODUCER_KEY, SdkStack
from tests.integration.sdk_python.proxy import FaultProxy
from tests.polling import eventually


def test_a_stored_batch_answered_503_or_hung_up_is_retried_without_doubling(
    sdk_stack: SdkStack, tag: str
) -> None:
    plan = deque(["stored_then_503", "stored_then_hang_up", "503"])
    with FaultProxy(sdk_stack.api_url, plan) as proxy:
        with Client(proxy.url, PRODUCER_KEY, source=tag, backoff_initial=0.1) as client:
            ids = {client.assignment_heartbeat(f"u-{n}", "hw-3", "math") for n in range(300)}
            assert client.flush(timeout=60)
            stats = client.stats.snapshot()

    steps = [(s.step, s.api_status) for s in proxy.seen]
    assert steps == [
        ("stored_then_503", 202), ("stored_then_hang_up", 202), ("503", None), ("forward", 202)
    ]  # fmt: skip
    assert (stats["delivered"], stats["retries"], stats["failed"]) == (300, 3, 0)
    # Retry-After: 1 was honoured after each 503
    for answered, retried in zip(proxy.seen, proxy.seen[1:], strict=False):
        if answered.step in ("stored_then_503", "503"):
            assert retried.arrived - answered.answered >= 1.0
    # The API stored the batch three times over; ClickHouse holds each event once.
    sdk_stack.wait_stored(tag, 300)
    assert sdk_stack.stored(tag) == (300, 300)
    assert sdk_stack.event_ids(tag) == ids


def test_a_full_queue_drops_the_newest_counts_them_and_keeps_the_rest(
    sdk_stack: SdkStack, tag: str
) -> None:
    with FaultProxy(sdk_stack.api_url, default="503") as proxy:
        client = Client(proxy.url, PRODUCER_KEY, source=tag, max_queue_events=100, linger=0)
        first = client.assignment_viewed("u-0", "hw-1", "math")
        # the sender holds that one event, retrying; now the queue itself fills
        eventually(lambda: len(proxy.seen), lambda n: n >= 1, timeout=30, what="first POST")
        results = [client.assignment_viewed(f"u-{n}", "hw-1", "math") for n in range(1, 151)]
        assert results[100:] == [None] * 50 and None not in results[:100]
        assert (client.stats.dropped, client.stats.pending) == (50, 101)
        proxy.default = "forward"  # the API is back
        assert client.flush(timeout=60)
        client.close()
    assert client.stats.snapshot() | {"requests": 0, "retries": 0} == {
        "queued": 101, "delivered": 101, "rejected": 0, "dropped": 50, "failed": 0,
        "requests": 0, "retries": 0, "pending": 0,
    }  # fmt: skip
    sdk_stack.wait_stored(tag, 101)
    assert sdk_stack.event_ids(tag) == {first, *results[:100]}
