"""Kafka trouble: unreachable at start, a broker restarting mid-test, a failed transaction.

Whatever happens, a request answered 503 left nothing in the topic (consumers read committed).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from ingest_api.config import ApiSettings
from ingest_api.exceptions import KafkaUnavailable
from ingest_api.main import create_app
from ingest_api.metrics import ApiMetrics
from ingest_api.publisher import GroupCommitPublisher, Message
from pulse.local.kafka import KafkaNode
from pulse.local.process import ManagedProcess
from tests.integration.ingest_api.conftest import SettingsFactory, auth, consume, running, viewed
from tests.stack import free_port

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, user: str) -> httpx.Response:
    return await client.post(
        "/v1/events",
        content=orjson.dumps(viewed(user)),
        headers={"Content-Type": "application/json", **auth()},
    )


async def test_kafka_unreachable_is_503_with_retry_after(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}", PULSE_API_PRODUCE_TIMEOUT_S=2
    )
    async for client in running(create_app(settings)):
        started = time.monotonic()
        response = await post(client, "a")
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) >= 1
        assert "nothing of this request was stored" in response.json()["detail"]
        assert time.monotonic() - started < 2 * settings.produce_timeout_s + 1
        metrics = (await client.get("/metrics")).text
        assert "kafka_produce_errors_total 1.0" in metrics
        # Kafka is known to be away: the next request is refused at once, without a write.
        again = await post(client, "b")
        assert again.status_code == 503 and "Retry-After" in again.headers
        assert "could not be reached by the last write" in again.json()["detail"]
        assert "kafka_produce_errors_total 1.0" in (await client.get("/metrics")).text


async def test_failed_transaction_leaves_nothing_visible(
    settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = GroupCommitPublisher(settings, ApiMetrics())
    await publisher.start()
    try:
        real_commit = AIOKafkaProducer.commit_transaction

        async def flush_then_fail(producer: AIOKafkaProducer) -> None:
            await producer.flush()  # the events reach the broker, uncommitted
            raise RuntimeError("injected: the commit never happened")

        monkeypatch.setattr(AIOKafkaProducer, "commit_transaction", flush_then_fail)
        with pytest.raises(KafkaUnavailable):
            await publisher.publish([Message(b"u1", b'{"lost": 1}'), Message(b"u2", b"{}")])
        monkeypatch.setattr(AIOKafkaProducer, "commit_transaction", real_commit)
        await publisher.publish([Message(b"u3", b'{"kept": 1}')])
    finally:
        await publisher.close()
    landed = await consume(
        settings.kafka_bootstrap_servers, settings.events_topic, expected=1, settle=1.0
    )
    assert [m.key for m in landed] == [b"u3"]


async def post_until_accepted(client: httpx.AsyncClient, user: str, within: float) -> None:
    deadline = time.monotonic() + within
    while (await post(client, user)).status_code != 202:
        assert time.monotonic() < deadline, f"the API did not recover within {within:.0f} s"


@pytest.mark.slow
async def test_api_started_before_kafka_recovers_and_a_broker_restart_stores_no_refused_request(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    node = KafkaNode(data_dir=tmp_path / "kafka", port=free_port(), controller_port=free_port())
    settings = make_settings(KAFKA_BOOTSTRAP_SERVERS=node.bootstrap, PULSE_API_PRODUCE_TIMEOUT_S=3)
    proc: ManagedProcess | None = None
    try:
        async for client in running(create_app(settings)):
            assert (await client.get("/readyz")).status_code == 503
            assert (await post(client, "too-early")).status_code == 503
            proc = await asyncio.to_thread(node.start, tmp_path / "kafka-1.log")
            await post_until_accepted(client, "before", within=30)
            await asyncio.to_thread(proc.stop)
            response = await post(client, "during")
            assert response.status_code == 503
            assert "Retry-After" in response.headers
            proc = await asyncio.to_thread(node.start, tmp_path / "kafka-2.log")
            await post_until_accepted(client, "after", within=60)
            assert (await client.get("/readyz")).status_code == 200
        landed = await consume(node.bootstrap, settings.events_topic, expected=2, settle=1.0)
        keys = sorted(m.key for m in landed)
        assert keys == [b"after", b"before"]
    finally:
        if proc is not None:
            proc.kill()


class HeldCommits:
    """Holds every transaction's commit until released, noting which transactional ids waited:
    several transactions are then provably open at once (no sleeps, no timing)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = asyncio.Event()
        self.waiting: list[str] = []
        self._changed = asyncio.Event()
        real = AIOKafkaProducer.commit_transaction

        async def held(producer: AIOKafkaProducer) -> None:
            self.waiting.append(producer._txn_manager.transactional_id)
            self._changed.set()
            await self.release.wait()
            await real(producer)

        monkeypatch.setattr(AIOKafkaProducer, "commit_transaction", held)

    async def until(self, count: int, within: float = 20.0) -> None:
        async with asyncio.timeout(within):
            while len(self.waiting) < count:
                self._changed.clear()
                await self._changed.wait()


async def waves(
    client: httpx.AsyncClient, held: HeldCommits, names: list[str], per_wave: int
) -> list[asyncio.Task[httpx.Response]]:
    """``per_wave`` concurrent POSTs per name, each wave sent once the previous one's
    transaction waits for its commit (so each wave is a transaction of its own, open at once)."""
    tasks: list[asyncio.Task[httpx.Response]] = []
    for n, name in enumerate(names, start=1):
        tasks += [asyncio.create_task(post(client, f"{name}-{i}")) for i in range(per_wave)]
        await held.until(n)
    return tasks


async def test_concurrent_requests_across_transactions_in_flight_all_land_exactly_once(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(PULSE_API_GROUPS_IN_FLIGHT=3, PULSE_API_GROUP_LINGER_MS=0)
    held = HeldCommits(monkeypatch)
    async for client in running(create_app(settings)):
        tasks = await waves(client, held, ["a", "b", "c"], per_wave=20)
        assert len(set(held.waiting)) == 3  # three transactional ids, each open at once
        assert not any(t.done() for t in tasks)  # no 202 before its commit
        held.release.set()
        answers = await asyncio.gather(*tasks)
        assert {r.status_code for r in answers} == {202}
        ids = [r.json()["results"][0]["event_id"] for r in answers]
    landed = await consume(
        settings.kafka_bootstrap_servers, settings.events_topic, expected=60, settle=1.0
    )
    assert len(landed) == 60
    assert sorted(orjson.loads(m.value)["event_id"] for m in landed) == sorted(ids)
    assert len(set(ids)) == 60


@pytest.mark.slow
async def test_kafka_stopped_with_transactions_open_answers_503_and_none_becomes_visible(
    make_settings: SettingsFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = KafkaNode(data_dir=tmp_path / "kafka", port=free_port(), controller_port=free_port())
    settings = make_settings(
        KAFKA_BOOTSTRAP_SERVERS=node.bootstrap,
        PULSE_API_PRODUCE_TIMEOUT_S=3,
        PULSE_API_GROUPS_IN_FLIGHT=3,
        PULSE_API_GROUP_LINGER_MS=0,
    )
    proc = await asyncio.to_thread(node.start, tmp_path / "kafka-1.log")
    try:
        async for client in running(create_app(settings)):
            await post_until_accepted(client, "before", within=30)
            held = HeldCommits(monkeypatch)
            tasks = await waves(client, held, ["x", "y", "z"], per_wave=5)
            # Every event of the three transactions is on the broker (acks=all), uncommitted.
            await asyncio.to_thread(proc.stop)
            held.release.set()
            answers = await asyncio.gather(*tasks)
            assert {r.status_code for r in answers} == {503}
            assert all("Retry-After" in r.headers for r in answers)
            assert all("retry it" in r.json()["detail"] for r in answers)
            monkeypatch.undo()
            proc = await asyncio.to_thread(node.start, tmp_path / "kafka-2.log")
            # Each lane is used in turn: its new producer fences the old transaction (aborted).
            for name in ("after-1", "after-2", "after-3"):
                await post_until_accepted(client, name, within=60)
        landed = await consume(node.bootstrap, settings.events_topic, expected=4, settle=1.0)
        assert sorted(m.key for m in landed) == [b"after-1", b"after-2", b"after-3", b"before"]
    finally:
        proc.kill()
