"""The local broker launcher against the real broker it starts."""

import asyncio
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from core.kafka_admin import ensure_topics
from pulse.local.kafka import KafkaNode, is_ready
from pulse.local.ports import free_port


async def produce_and_read_back(bootstrap: str, topic: str, value: bytes) -> list[bytes]:
    await ensure_topics(bootstrap, {topic: 1})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
        return [m.value for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()


def test_broker_keeps_its_data_across_a_clean_restart(tmp_path: Path) -> None:
    node = KafkaNode(data_dir=tmp_path / "kafka", port=free_port(), controller_port=free_port())
    proc = node.start(tmp_path / "kafka.log")
    try:
        assert asyncio.run(produce_and_read_back(node.bootstrap, "t.restart", b"kept")) == [b"kept"]
    finally:
        proc.stop()
    assert not proc.is_running()
    assert not is_ready(node.bootstrap, timeout=1.0)

    proc = node.start(tmp_path / "kafka.log")
    try:
        consumer_sees = asyncio.run(produce_and_read_back(node.bootstrap, "t.restart", b"more"))
        assert consumer_sees == [b"kept", b"more"]
    finally:
        proc.stop()


def test_readiness_is_false_where_no_broker_listens() -> None:
    assert not is_ready(f"127.0.0.1:{free_port()}", timeout=1.0)
