"""Replay dead letters whose payload is now valid back into the events topic, once each.

The payload is re-validated by the rule the worker decodes with (``schemas.records``): a JSON
object, schema version 1, an :class:`EventRecord`, strict metadata for known event names. Valid
ones are re-published unchanged (same ``event_id``, original key) in Kafka transactions that
also write a marker per dead letter to ``<dlq topic>.replayed`` (compacted, key
``partition@offset``): a later replay skips what is marked, and since ``events`` keeps one row
per ``event_id``, even a re-sent event is never stored twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from core.kafka_admin import admin_client
from pulse.dlq.reader import DeadLetter, Position, partition_ids, scan
from schemas.events import EventRecord
from schemas.records import InvalidRecord, parse_record

BATCH = 500


def marker_topic(dlq_topic: str) -> str:
    """Where replayed dead letters are marked."""
    return f"{dlq_topic}.replayed"


def revalidate(value: bytes) -> EventRecord | str:
    """The record the worker would accept from ``value``, or why it still would not."""
    try:
        return parse_record(value)
    except InvalidRecord as exc:
        return str(exc)


@dataclass
class ReplayReport:
    """What a replay did with each selected dead letter."""

    replayed: list[DeadLetter] = field(default_factory=list)
    already: list[DeadLetter] = field(default_factory=list)
    invalid: list[tuple[DeadLetter, str]] = field(default_factory=list)


async def replayed_markers(bootstrap: str, dlq_topic: str) -> dict[str, str]:
    """``{"partition@offset": event_id}`` of every dead letter replayed so far."""
    markers: dict[str, str] = {}
    if await partition_ids(bootstrap, marker_topic(dlq_topic)) is None:
        return markers
    async for record in scan(bootstrap, marker_topic(dlq_topic)):
        if record.key is not None and record.value is not None:
            markers[record.key.decode()] = record.value.decode()
    return markers


async def _ensure_marker_topic(bootstrap: str, dlq_topic: str, timeout: float = 10.0) -> None:
    """Create the marker topic if missing: compacted, so markers never expire, and with as
    many replicas as the dead-letter topic."""
    topic = marker_topic(dlq_topic)
    async with admin_client(bootstrap, timeout) as admin:
        described = await asyncio.wait_for(admin.describe_topics([topic, dlq_topic]), timeout)
        found = {t["topic"]: t for t in described if not t["error_code"] and t["partitions"]}
        if topic in found:
            return
        replicas = len(found[dlq_topic]["partitions"][0]["replicas"]) if dlq_topic in found else 1
        new = NewTopic(topic, 1, replicas, topic_configs={"cleanup.policy": "compact"})
        response = await asyncio.wait_for(admin.create_topics([new]), timeout)
    for name, code, *_ in response.topic_errors:
        if code and for_code(code) is not TopicAlreadyExistsError:
            raise for_code(code)(f"could not create topic {name}")


async def read_selected(
    bootstrap: str,
    dlq_topic: str,
    select: Callable[[DeadLetter], bool],
    positions: Iterable[Position] = (),
) -> list[DeadLetter]:
    """The dead letters at ``positions`` (all when empty) for which ``select`` is true."""
    letters = []
    async for record in scan(bootstrap, dlq_topic, positions):
        letter = DeadLetter.from_record(record)
        if select(letter):
            letters.append(letter)
    return letters


async def replay(
    bootstrap: str,
    dlq_topic: str,
    events_topic: str,
    letters: list[DeadLetter],
    dry_run: bool = False,
    on_done: Callable[[int], None] = lambda n: None,
) -> ReplayReport:
    """Re-validate ``letters``; publish the valid, unmarked ones to ``events_topic`` once."""
    markers = await replayed_markers(bootstrap, dlq_topic)
    sent_ids = set(markers.values())
    report = ReplayReport()
    producer = None
    if not dry_run:
        await _ensure_marker_topic(bootstrap, dlq_topic)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            transactional_id=f"pulse-dlq-replay.{dlq_topic}",
        )
        await producer.start()
    try:
        for start in range(0, len(letters), BATCH):
            batch = letters[start : start + BATCH]
            todo = _sort(batch, markers, sent_ids, report)
            if producer is not None and todo:
                await _publish(producer, dlq_topic, events_topic, todo)
            on_done(len(batch))
    finally:
        if producer is not None:
            await producer.stop()
    return report


def _sort(
    batch: list[DeadLetter], markers: dict[str, str], sent_ids: set[str], report: ReplayReport
) -> list[tuple[DeadLetter, EventRecord]]:
    """Put each dead letter of ``batch`` in ``report``; return those to publish."""
    todo = []
    for letter in batch:
        verdict = revalidate(letter.value)
        if str(letter.position) in markers:
            report.already.append(letter)
        elif isinstance(verdict, str):
            report.invalid.append((letter, verdict))
        elif str(verdict.event_id) in sent_ids:
            report.already.append(letter)
        else:
            sent_ids.add(str(verdict.event_id))
            todo.append((letter, verdict))
            report.replayed.append(letter)
    return todo


async def _publish(
    producer: AIOKafkaProducer,
    dlq_topic: str,
    events_topic: str,
    todo: list[tuple[DeadLetter, EventRecord]],
) -> None:
    """One transaction: the events, unchanged, and a marker for each of their dead letters."""
    async with producer.transaction():
        for letter, record in todo:
            headers = [("dlq_replay_of", f"{dlq_topic}:{letter.position}".encode())]
            if request_id := letter.headers.get("request_id"):
                headers.append(("request_id", request_id.encode()))
            key = letter.key or record.user_id.encode()
            await producer.send(events_topic, letter.value, key=key, headers=headers)
            await producer.send(
                marker_topic(dlq_topic),
                str(record.event_id).encode(),
                key=str(letter.position).encode(),
            )
