"""The Kafka topics the worker reads and writes, declared on a given app."""

from __future__ import annotations

from dataclasses import dataclass

import faust
from faust.types import TopicT

from core.settings import SharedSettings


@dataclass(frozen=True)
class Topics:
    """``events``: what the batch loop reads (raw, decoded a batch at a time); ``dlq``: dead
    letters."""

    events: TopicT
    dlq: TopicT


def declare_topics(app: faust.App, shared: SharedSettings) -> Topics:
    """The worker's topics on ``app``, named and sized by the shared settings."""
    events = app.topic(
        shared.events_topic,
        partitions=shared.events_partitions,
        value_serializer="raw",
        key_serializer="raw",
        acks=True,
    )
    dlq = app.topic(
        shared.dlq_topic,
        partitions=shared.dlq_partitions,
        value_serializer="raw",
        key_serializer="raw",
    )
    return Topics(events=events, dlq=dlq)
