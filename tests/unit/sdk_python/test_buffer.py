"""The bounded queue: each overflow policy keeps its promise and counts what it drops."""

from __future__ import annotations

import threading

import pytest
from pulse_client.buffer import Buffer
from pulse_client.encoding import Encoded
from pulse_client.stats import Stats


def item(n: int, size: int = 10) -> Encoded:
    return Encoded(f"id-{n}", "a.b", b"x" * size)


def buffer(
    overflow: str, max_events: int = 3, max_bytes: int = 1 << 20
) -> tuple[Buffer, list[int]]:
    drops: list[int] = []
    return Buffer(max_events, max_bytes, overflow, Stats(), drops.append, 0.05), drops  # type: ignore[arg-type]


def test_drop_newest_refuses_the_new_event_and_counts_it() -> None:
    buf, drops = buffer("drop_newest")
    assert [buf.put(item(n)) for n in range(5)] == [True, True, True, False, False]
    assert buf.stats.dropped == 2 and drops == [1, 1]
    assert [i.event_id for i in buf.take(10, 1 << 20)] == ["id-0", "id-1", "id-2"]
    assert buf.stats.pending == 3  # taken, not yet settled by the sender


def test_drop_oldest_evicts_the_oldest_and_counts_it() -> None:
    buf, _ = buffer("drop_oldest")
    assert all(buf.put(item(n)) for n in range(5))
    assert buf.stats.dropped == 2 and buf.stats.pending == 3
    assert [i.event_id for i in buf.take(10, 1 << 20)] == ["id-2", "id-3", "id-4"]


def test_block_waits_for_room_then_refuses_at_its_timeout() -> None:
    buf, _ = buffer("block", max_events=1)
    assert buf.put(item(0))
    assert not buf.put(item(1))  # no one takes: refused after block_timeout
    assert buf.stats.dropped == 1
    taker = threading.Timer(0.01, lambda: buf.take(1, 1 << 20))
    buf.block_timeout = 5.0
    taker.start()
    assert buf.put(item(2))  # room made by the taker while waiting
    taker.join()


def test_the_byte_bound_counts_like_the_event_bound() -> None:
    buf, _ = buffer("drop_newest", max_events=100, max_bytes=25)
    assert [buf.put(item(n)) for n in range(3)] == [True, True, False]


def test_take_fits_the_byte_limit_of_the_json_array() -> None:
    buf, _ = buffer("drop_newest", max_events=100)
    for n in range(5):
        buf.put(item(n, size=10))
    # "[" + 10 + "," + 10 + "]" = 23 bytes; a third would make 34
    assert len(buf.take(100, 33)) == 2
    assert len(buf.take(1, 33)) == 1
    assert len(buf.take(100, 5)) == 1  # always at least one event


def test_flush_waits_for_taken_events_to_be_settled() -> None:
    buf, _ = buffer("drop_newest")
    buf.put(item(0))
    target = buf.request_flush()
    assert buf.ready(100, 1 << 20)  # a flush does not linger
    assert not buf.flushed(target)
    buf.take(10, 1 << 20)
    assert not buf.flushed(target)  # in flight
    buf.settle()
    assert buf.flushed(target)


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="overflow must be one of"):
        buffer("drop_everything")
