"""The group-commit publisher's lanes, on a stand-in producer: which transactional ids, how many
groups at once, what a failure touches, and what each mode answers.

The stand-in records what aiokafka would have been asked to do; a real broker is in
tests/integration/ingest_api/test_publisher.py.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from pydantic import ValidationError

from ingest_api.config import ApiSettings, PublishMode
from ingest_api.exceptions import KafkaUnavailable
from ingest_api.metrics import ApiMetrics
from ingest_api.publisher import GroupCommitPublisher, Message, transactional_ids

pytestmark = pytest.mark.anyio


def keys_of(batch: BatchBuilder) -> list[bytes]:
    """The keys of a batch as the broker would read them (built, compressed, decoded)."""
    return [record.key for record in DefaultRecordBatch(bytes(batch._build()))]


class _Client:
    def __init__(self) -> None:
        self.cluster = self

    async def _wait_on_metadata(self, topic: str) -> None:
        return None

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2}


class _Sender:
    async def close(self) -> None:
        return None


class FakeProducer:
    """What the publisher uses of AIOKafkaProducer; commits wait for its ``gate``."""

    def __init__(self, kafka: FakeKafka, transactional_id: str | None) -> None:
        self.kafka = kafka
        self.transactional_id = transactional_id
        self.client = _Client()
        self._sender = _Sender()
        self.open: list[bytes] = []
        self.stopped = False
        self.gate = asyncio.Event()  # this producer's commits wait for it
        if kafka.all_released:
            self.gate.set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    async def send_batch(
        self, batch: BatchBuilder, topic: str, partition: int
    ) -> asyncio.Future[None]:
        records = keys_of(batch)
        if self.kafka.fail_writes_of is not None and self.kafka.fail_writes_of in records:
            raise RuntimeError("injected: the broker refused the batch")
        self.open += records
        if self.transactional_id is None:
            self.kafka.visible += records
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def begin_transaction(self) -> None:
        self.kafka.begun.append(self.transactional_id)

    async def commit_transaction(self) -> None:
        self.kafka.in_commit.append(self)
        self.kafka.changed.set()
        await self.gate.wait()
        self.kafka.visible += self.open
        self.kafka.committed.append((self.transactional_id, list(self.open)))
        self.open = []


class FakeKafka:
    """Every stand-in producer made, what they committed, and what is visible."""

    def __init__(self) -> None:
        self.producers: list[FakeProducer] = []
        self.begun: list[str | None] = []
        self.in_commit: list[FakeProducer] = []
        self.committed: list[tuple[str | None, list[bytes]]] = []
        self.visible: list[bytes] = []
        self.all_released = False
        self.changed = asyncio.Event()
        self.fail_writes_of: bytes | None = None

    def release_all(self) -> None:
        """Let every commit through, now and from now on."""
        self.all_released = True
        for producer in self.producers:
            producer.gate.set()

    def make(self, transactional_id: str | None) -> AIOKafkaProducer:
        producer = FakeProducer(self, transactional_id)
        self.producers.append(producer)
        return cast(AIOKafkaProducer, producer)

    async def until_in_commit(self, count: int) -> None:
        """Wait (events, no sleeps) until ``count`` commits are held at the gate."""
        async with asyncio.timeout(5):
            while len(self.in_commit) < count:
                self.changed.clear()
                await self.changed.wait()


def settings(**overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "PULSE_API_TRANSACTIONAL_ID": "api-7",
        "PULSE_API_GROUP_LINGER_MS": 0,
        "PULSE_API_PRODUCE_TIMEOUT_S": 2,
    }
    return ApiSettings(**(values | overrides))


async def started(
    kafka: FakeKafka, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> GroupCommitPublisher:
    publisher = GroupCommitPublisher(settings(**overrides), ApiMetrics())
    monkeypatch.setattr(publisher, "_new_producer", kafka.make)

    async def no_topics() -> None:
        publisher._topics_ready = True

    monkeypatch.setattr(publisher, "_create_topics", no_topics)
    await publisher.start()
    return publisher


def request(*users: str) -> list[Message]:
    return [Message(u.encode(), b"{}") for u in users]


def test_lane_ids_start_with_the_configured_id_so_one_lane_is_the_old_single_producer() -> None:
    assert transactional_ids("api-7", 1) == ["api-7"]
    assert transactional_ids("api-7", 3) == ["api-7", "api-7.1", "api-7.2"]


def test_publish_mode_is_transactional_unless_set_and_refuses_unknown_modes() -> None:
    assert ApiSettings().publish_mode is PublishMode.TRANSACTIONAL
    assert settings(PULSE_API_PUBLISH_MODE="idempotent").publish_mode is PublishMode.IDEMPOTENT
    with pytest.raises(ValidationError):
        settings(PULSE_API_PUBLISH_MODE="fire-and-forget")
    with pytest.raises(ValidationError):
        settings(PULSE_API_GROUPS_IN_FLIGHT=0)


async def test_groups_are_committed_concurrently_each_on_its_own_transactional_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kafka = FakeKafka()
    publisher = await started(kafka, monkeypatch, PULSE_API_GROUPS_IN_FLIGHT=3)
    try:
        assert publisher.transactional_ids == ["api-7", "api-7.1", "api-7.2"]
        first = asyncio.create_task(publisher.publish(request("a1", "a2")))
        await kafka.until_in_commit(1)
        second = asyncio.create_task(publisher.publish(request("b")))
        await kafka.until_in_commit(2)
        third = asyncio.create_task(publisher.publish(request("c")))
        await kafka.until_in_commit(3)
        assert kafka.committed == []  # three transactions open at once, none answered
        assert not (first.done() or second.done() or third.done())
        kafka.release_all()
        await asyncio.gather(first, second, third)
    finally:
        await publisher.close()
    assert sorted(kafka.committed) == [
        ("api-7", [b"a1", b"a2"]),
        ("api-7.1", [b"b"]),
        ("api-7.2", [b"c"]),
    ]


async def test_requests_arriving_while_every_lane_is_busy_share_the_next_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kafka = FakeKafka()
    publisher = await started(kafka, monkeypatch, PULSE_API_GROUPS_IN_FLIGHT=2)
    try:
        held = [asyncio.create_task(publisher.publish(request("a")))]
        await kafka.until_in_commit(1)
        held.append(asyncio.create_task(publisher.publish(request("b"))))
        await kafka.until_in_commit(2)
        waiting = [asyncio.create_task(publisher.publish(request(u))) for u in ("c", "d", "e")]
        kafka.producers[0].gate.set()  # the first lane frees, the second stays busy
        await kafka.until_in_commit(3)
        kafka.release_all()
        await asyncio.gather(*held, *waiting)
    finally:
        await publisher.close()
    assert ("api-7", [b"c", b"d", b"e"]) in kafka.committed
    assert len(kafka.committed) == 3


async def test_a_failed_group_answers_503_alone_and_its_lane_gets_a_new_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kafka = FakeKafka()
    publisher = await started(kafka, monkeypatch, PULSE_API_GROUPS_IN_FLIGHT=2)
    kafka.release_all()
    try:
        await publisher.publish(request("warm"))
        kafka.fail_writes_of = b"doomed"
        with pytest.raises(KafkaUnavailable) as refused:
            await publisher.publish(request("doomed"))
        assert "nothing of this request was stored" in str(refused.value)
        kafka.fail_writes_of = None
        await publisher.publish(request("after-1"))  # on the other lane
        await publisher.publish(request("after-2"))  # on the failed lane, a new producer
    finally:
        await publisher.close()
    assert kafka.visible == [b"warm", b"after-1", b"after-2"]
    # The failed lane's producer was replaced under the same transactional id (which fences it).
    assert [p.transactional_id for p in kafka.producers] == ["api-7", "api-7.1", "api-7.1"]
    assert kafka.producers[1].stopped


async def test_idempotent_mode_writes_without_transactions_and_its_503_says_a_part_may_be_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kafka = FakeKafka()
    publisher = await started(
        kafka, monkeypatch, PULSE_API_PUBLISH_MODE="idempotent", PULSE_API_GROUPS_IN_FLIGHT=3
    )
    try:
        assert publisher.transactional_ids == []
        await asyncio.gather(*(publisher.publish(request(f"u{i}")) for i in range(5)))
        kafka.fail_writes_of = b"doomed"
        with pytest.raises(KafkaUnavailable) as refused:
            await publisher.publish(request("kept", "doomed"))
        kafka.fail_writes_of = None
        await publisher.publish(request("after"))  # on a new producer
    finally:
        await publisher.close()
    assert kafka.begun == [] and kafka.committed == []
    # "kept" may be visible (a partial write): its retry is stored once, by its event id.
    assert set(kafka.visible) - {b"kept"} == {b"u0", b"u1", b"u2", b"u3", b"u4", b"after"}
    assert [p.transactional_id for p in kafka.producers] == [None, None]
    assert kafka.producers[0].stopped
    assert "some of them may be stored" in str(refused.value)
    assert "same ids" in str(refused.value)
