"""close() keeps its deadline when nothing answers, and counts and reports what it gave up."""

from __future__ import annotations

import time

import pytest
from pulse_client import Client, ClientClosed, Rejection

from tests.stack import free_port


def test_close_gives_up_at_its_deadline_counting_and_reporting_each_unsent_event() -> None:
    failed: list[Rejection] = []
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: connections are refused
    client = Client(url, "k", on_failed=failed.append, flush_at_exit=False, backoff_max=0.2)
    ids = [client.track("a.b", f"u-{n}") for n in range(30)]
    started = time.monotonic()
    client.close(timeout=1.0)
    assert time.monotonic() - started < 5
    stats = client.stats.snapshot()
    assert (stats["failed"], stats["pending"], stats["delivered"]) == (30, 0, 0)
    assert stats["retries"] >= 1
    assert sorted(r.event_id for r in failed) == sorted(ids)
    assert all(r.status == "failed" and "ConnectError" in r.error for r in failed)


def test_a_closed_client_refuses_new_events() -> None:
    client = Client("http://127.0.0.1:9", "k", flush_at_exit=False)
    client.close()
    with pytest.raises(ClientClosed, match="create a new one"):
        client.track("a.b", "u")
