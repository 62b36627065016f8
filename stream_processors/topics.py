"""The Kafka topics the worker reads and writes."""

from __future__ import annotations

from stream_processors.app import app, shared
from stream_processors.decoding import CODEC_NAME

events_topic = app.topic(
    shared.events_topic,
    partitions=shared.events_partitions,
    value_serializer=CODEC_NAME,
    key_serializer="raw",
    acks=True,
)
dlq_topic = app.topic(
    shared.dlq_topic,
    partitions=1,
    value_serializer="raw",
    key_serializer="raw",
)
