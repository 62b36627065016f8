"""Dead letters: messages the worker cannot process, or whose rows ClickHouse refused for good,
go to ``pulse.events.dlq`` unchanged, with the error and its reason in headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from faust.types import Message, TopicT
from loguru import logger

from stream_processors import metrics

MAX_ERROR_BYTES = 4096
CLICKHOUSE_REJECTED = "clickhouse_rejected"


class Failed(Protocol):
    """Why a message is dead-lettered: a short ``reason`` label, the ``error`` and the value."""

    @property
    def reason(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def raw(self) -> bytes: ...


@dataclass(frozen=True)
class Refused:
    """A decoded message whose rows ClickHouse refused for good (the data, not the moment)."""

    error: str
    raw: bytes
    reason: str = CLICKHOUSE_REJECTED


def header(message: Message, name: str) -> str | None:
    """The value of header ``name`` of ``message``, decoded, if present."""
    headers: Any = message.headers or []
    items = headers.items() if isinstance(headers, dict) else headers
    for key, value in items:
        if key == name and value is not None:
            return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return None


def dead_letter_headers(message: Message, failure: Failed) -> list[tuple[str, bytes]]:
    """Headers of the dead letter: the error, its class, and where the message came from."""
    return [
        ("error", failure.error.encode()[:MAX_ERROR_BYTES]),
        ("reason", failure.reason.encode()),
        ("source_topic", message.topic.encode()),
        ("source_partition", str(message.partition).encode()),
        ("source_offset", str(message.offset).encode()),
        ("request_id", (header(message, "request_id") or "").encode()),
    ]


class DeadLetters:
    """Publishes dead letters to ``topic`` (``pulse.events.dlq``); call it with a message."""

    def __init__(self, topic: TopicT) -> None:
        self._topic = topic

    async def __call__(self, message: Message, failure: Failed) -> None:
        """Publish ``message`` to the dead-letter topic and wait until Kafka has it."""
        request_id = header(message, "request_id")
        logger.bind(request_id=request_id, reason=failure.reason).warning(
            "dead-lettered {}[{}]@{}: {}",
            message.topic,
            message.partition,
            message.offset,
            failure.error,
        )
        pending = await self._topic.send(
            key=message.key, value=failure.raw, headers=dead_letter_headers(message, failure)
        )
        await pending
        metrics.DEAD_LETTERS.labels(failure.reason).inc()
