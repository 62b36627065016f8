"""Create Pulse's own Kafka topics (the broker does not auto-create topics)."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from pulse.settings import SharedSettings


async def create_topics(bootstrap: str, topics: dict[str, int]) -> list[str]:
    """Create each missing ``name -> partitions`` topic with one replica; return those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, n, 1) for name, n in topics.items() if name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        return [t.name for t in missing]
    finally:
        await admin.close()


def ensure_topics(shared: SharedSettings) -> list[str]:
    """Create the events topic and the dead-letter topic if missing; return those created."""
    topics = {shared.events_topic: shared.events_partitions, shared.dlq_topic: 1}
    return asyncio.run(create_topics(shared.kafka_bootstrap_servers, topics))
