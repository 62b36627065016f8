"""The SDK against the real API, Kafka and ClickHouse: what it sends lands in ``events``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from pulse_client import AsyncClient, Client, InvalidEvent, Rejection

from tests.integration.sdk_python.conftest import PRODUCER_KEY, SdkStack


def test_typed_helpers_and_track_land_in_pulse_events(sdk_stack: SdkStack, tag: str) -> None:
    with Client(sdk_stack.api_url, PRODUCER_KEY, source=tag) as client:
        client.login("student-1", role="student", session_id="s-1")
        client.assignment_viewed("student-1", "hw-7", "math", course_id="c-1")
        client.assignment_started("student-1", "hw-7", "math")
        client.assignment_heartbeat("student-1", "hw-7", "math")
        client.assignment_submitted("student-1", "hw-7", "math", score=87.5)
        client.chat_message("student-1", "conv-1", role="user", chars=42)
        llm_id = client.llm_call(
            "student-1", model="gpt-x", prompt_tokens=120, completion_tokens=30,
            cost_usd=0.0021, provider="acme", latency_ms=812.0, feature="hint",
        )  # fmt: skip
        client.logout("student-1", role="student")
        client.track("tutor.hint_shown", "student-1", hint_level=2, topic="fractions")
        assert client.flush(timeout=60)
        assert client.stats.delivered == 9 and client.stats.pending == 0

    assert sdk_stack.wait_stored(tag, 9) == (9, 9)
    rows = (
        sdk_stack.sql()
        .query(
            "SELECT event_id, event, user_id, session_id, subject, assignment_id, metadata "
            "FROM events WHERE source = {s:String}",
            parameters={"s": tag},
        )
        .named_results()
    )
    by_event = {r["event"]: r for r in rows}
    assert set(by_event) == {
        "user.login", "user.logout", "assignment.viewed", "assignment.started",
        "assignment.heartbeat", "assignment.submitted", "chat.message", "llm.call",
        "tutor.hint_shown",
    }  # fmt: skip
    assert by_event["assignment.viewed"]["subject"] == "math"
    assert by_event["assignment.viewed"]["assignment_id"] == "hw-7"
    assert by_event["user.login"]["session_id"] == "s-1"
    llm = by_event["llm.call"]
    assert str(llm["event_id"]) == llm_id
    assert json.loads(llm["metadata"])["prompt_tokens"] == 120
    assert json.loads(by_event["tutor.hint_shown"]["metadata"]) == {
        "hint_level": 2,
        "topic": "fractions",
    }


def test_a_bad_event_raises_at_the_call_naming_the_field_the_server_would(
    sdk_stack: SdkStack, tag: str
) -> None:
    rejected: list[Rejection] = []
    with Client(sdk_stack.api_url, PRODUCER_KEY, source=tag) as client:
        with pytest.raises(InvalidEvent) as caught:
            client.track("assignment.viewed", "student-1", subject="math")
        with pytest.raises(InvalidEvent, match="metadata.cost_usd"):
            client.llm_call("u", model="m", prompt_tokens=1, completion_tokens=1, cost_usd=-1.0)
        assert client.stats.queued == 0
    assert caught.value.fields == ("metadata.assignment_id",)
    assert str(caught.value) == "metadata.assignment_id: field required"

    # The same event, sent without the SDK's check, gets the server's verdict: the same words.
    with Client(
        sdk_stack.api_url, PRODUCER_KEY, source=tag, validate=False, on_rejected=rejected.append
    ) as unchecked:
        unchecked.track("assignment.viewed", "student-1", subject="math")
        assert unchecked.flush(timeout=60)
    assert [r.error for r in rejected] == [str(caught.value)]


def test_events_the_server_rejects_reach_on_rejected_and_the_log(
    sdk_stack: SdkStack, tag: str, caplog: pytest.LogCaptureFixture
) -> None:
    rejected: list[Rejection] = []
    shared_id = str(uuid.uuid4())
    with Client(sdk_stack.api_url, PRODUCER_KEY, source=tag, on_rejected=rejected.append) as c:
        kept = c.assignment_viewed("student-1", "hw-1", "math", event_id=shared_id)
        c.assignment_viewed("student-2", "hw-2", "art", event_id=shared_id)  # same id, new content
        fine = c.chat_message("student-3", "conv-9")
        assert c.flush(timeout=60)
        assert (c.stats.delivered, c.stats.rejected) == (2, 1)

    assert [(r.event_id, r.event, r.status) for r in rejected] == [
        (shared_id, "assignment.viewed", "rejected")
    ]
    assert rejected[0].error.startswith("event_id: duplicates item 0 of this request")
    assert any(shared_id in m and "duplicates item 0" in m for m in caplog.messages)
    sdk_stack.wait_stored(tag, 2)
    assert sdk_stack.event_ids(tag) == {kept, fine}


def test_async_client_delivers_every_event_once(sdk_stack: SdkStack, tag: str) -> None:
    async def produce() -> tuple[set[str], dict[str, int]]:
        async with AsyncClient(sdk_stack.api_url, PRODUCER_KEY, source=tag, linger=0.05) as c:
            ids = set()
            for n in range(1500):
                ids.add(c.llm_call(f"user-{n % 17}", "gpt-x", n, 1, 0.001) or "")
                if n % 100 == 0:
                    await asyncio.sleep(0)  # yield to the sender as a real service would
            assert await c.flush(timeout=60)
            return ids, c.stats.snapshot()

    ids, stats = asyncio.run(produce())
    assert stats["delivered"] == 1500 and stats["requests"] >= 2 and stats["pending"] == 0
    assert sdk_stack.wait_stored(tag, 1500) == (1500, 1500)
    assert sdk_stack.event_ids(tag) == ids


def test_async_client_sends_what_is_left_when_the_loop_ends_without_aclose(
    sdk_stack: SdkStack, tag: str
) -> None:
    async def produce() -> AsyncClient:
        client = AsyncClient(sdk_stack.api_url, PRODUCER_KEY, source=tag, linger=30)
        for n in range(10):
            client.assignment_heartbeat(f"user-{n}", "hw-1", "math")
        return client  # asyncio.run ends the loop; nothing was sent (linger)

    client = asyncio.run(produce())
    assert client.stats.delivered == 0
    client._send_leftovers()  # what atexit runs
    assert client.stats.delivered == 10
    assert sdk_stack.wait_stored(tag, 10) == (10, 10)


def test_events_from_many_threads_are_each_delivered_once(sdk_stack: SdkStack, tag: str) -> None:
    with Client(sdk_stack.api_url, PRODUCER_KEY, source=tag, max_batch_events=250) as client:

        def produce(thread: int) -> set[str | None]:
            return {client.chat_message(f"u-{thread}", f"c-{n}", chars=n) for n in range(500)}

        with ThreadPoolExecutor(8) as pool:
            ids = set().union(*pool.map(produce, range(8)))
        assert client.flush(timeout=60)
        assert (client.stats.delivered, client.stats.pending) == (4000, 0)
    assert sdk_stack.wait_stored(tag, 4000) == (4000, 4000)
    assert sdk_stack.event_ids(tag) == ids


PROGRAM = """
import sys
from pulse_client import Client
client = Client(sys.argv[1], sys.argv[2], source=sys.argv[3], linger=60)
for n in range(25):
    client.assignment_heartbeat(f"u-{n}", "hw-1", "math")
print(client.stats.delivered)
"""  # exits without flush or close, with every event still queued (linger 60 s)


def test_a_program_that_exits_without_close_still_delivers_its_queue(
    sdk_stack: SdkStack, tag: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, sdk_stack.api_url, PRODUCER_KEY, tag],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "0"  # nothing had been sent before exit
    assert sdk_stack.wait_stored(tag, 25) == (25, 25)
