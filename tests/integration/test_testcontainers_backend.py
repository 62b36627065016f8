"""The same schema and round trip on testcontainers' Kafka and a ClickHouse server container.

Runs where a Docker engine exists; elsewhere it is skipped with the reason. It also proves the
migrations run unchanged on a ClickHouse server image, not only on the embedded endpoint.
"""

from __future__ import annotations

import asyncio
import secrets

import clickhouse_connect
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from clickhouse.migrate import apply_migrations
from core.kafka_admin import ensure_topics
from tests.containers import (
    NO_ENGINE,
    clickhouse_container,
    docker_engine_available,
    kafka_container,
)

pytestmark = pytest.mark.skipif(not docker_engine_available(), reason=NO_ENGINE)


def test_migrations_run_unchanged_on_a_clickhouse_server_container() -> None:
    with clickhouse_container() as (host, port):
        client = clickhouse_connect.get_client(host=host, port=port)
        database = f"pulse_tc_{secrets.token_hex(4)}"
        assert apply_migrations(client, database)
        assert apply_migrations(client, database) == []
        assert int(client.command(f"SELECT count() FROM {database}.dau")) == 0


def test_kafka_container_round_trip() -> None:
    async def round_trip(bootstrap: str) -> list[bytes]:
        await ensure_topics(bootstrap, {"tc.check": 1})
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        await producer.send_and_wait("tc.check", b"hello")
        await producer.stop()
        consumer = AIOKafkaConsumer(
            "tc.check", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        batch = await consumer.getmany(timeout_ms=10_000)
        await consumer.stop()
        return [m.value for msgs in batch.values() for m in msgs]

    with kafka_container() as bootstrap:
        assert asyncio.run(round_trip(bootstrap)) == [b"hello"]
