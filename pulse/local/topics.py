"""Create the local stack's topics (the broker does not auto-create topics)."""

from __future__ import annotations

import asyncio

from core.kafka_admin import ensure_topics
from core.settings import SharedSettings


def ensure_stack_topics(shared: SharedSettings) -> None:
    """Create the events topic and the dead-letter topic if missing."""
    asyncio.run(ensure_topics(shared.kafka_bootstrap_servers, shared.topic_partitions()))
