"""Kafka administration shared by the ingest API and the local tooling: make sure topics exist,
and check that Kafka answers (a real metadata round trip)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from loguru import logger


@asynccontextmanager
async def admin_client(bootstrap: str, timeout: float) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed on exit; start-up bounded by ``timeout`` seconds."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(timeout * 1000),
        client_id="pulse-admin",
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
        yield admin
    finally:
        await asyncio.wait_for(admin.close(), timeout)


async def kafka_reachable(bootstrap: str, timeout: float) -> bool:
    """True when a broker answers a metadata request within ``timeout`` seconds."""
    try:
        async with admin_client(bootstrap, timeout) as admin:
            cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
            return bool(cluster.get("brokers"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        logger.debug("Kafka at {} not reachable: {!r}", bootstrap, exc)
        return False


async def ensure_topics(
    bootstrap: str, topics: dict[str, int], timeout: float = 10.0, replication: int = 1
) -> None:
    """Create each topic of ``{name: partitions}`` that does not exist yet."""
    async with admin_client(bootstrap, timeout) as admin:
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout))
        missing = [
            NewTopic(name, partitions, replication)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if not missing:
            return
        response = await asyncio.wait_for(admin.create_topics(missing), timeout)
        for name, code, *_ in response.topic_errors:
            error = for_code(code)
            if code and error is not TopicAlreadyExistsError:
                raise error(f"could not create topic {name}")
            logger.info("created Kafka topic {}", name)
