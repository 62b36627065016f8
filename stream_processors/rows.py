"""Pure mapping of one EventRecord to the rows it contributes to each ClickHouse table.

Every row carries the keys its ReplacingMergeTree collapses on (``event_id``, or ``(day,
user_id)``), so writing a row twice - redelivery, a client resending - changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson

from schemas.events import EventRecord

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "events_store": (
        "event_id",
        "event",
        "user_id",
        "ts",
        "received_at",
        "source",
        "session_id",
        "subject",
        "assignment_id",
        "metadata",
        "request_id",
        "kafka_partition",
        "kafka_offset",
    ),
    "dau_users": ("day", "user_id"),
    "llm_calls": (
        "day",
        "user_id",
        "model",
        "event_id",
        "prompt_token_count",
        "completion_token_count",
        "call_cost_usd",
    ),
    "subject_events": ("day", "subject", "user_id", "event_id"),
    "assignment_events": ("user_id", "assignment_id", "ts", "event_id", "subject", "submitted"),
}


def to_utc_millis(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to milliseconds (ClickHouse DateTime64(3)); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class _LastRecord:
    """The UTC timestamp and day of the record seen last: every projection of one record asks
    for them in turn, and the conversion is most of a row's cost."""

    record: EventRecord | None = None
    ts: datetime = datetime.min
    day: date = date.min


_last = _LastRecord()


def event_ts(record: EventRecord) -> datetime:
    """The event's own timestamp in UTC, cut to milliseconds."""
    if _last.record is not record:
        ts = to_utc_millis(record.timestamp)
        _last.record, _last.ts, _last.day = record, ts, ts.date()
    return _last.ts


def event_day(record: EventRecord) -> date:
    """The UTC day of the event's own timestamp."""
    if _last.record is not record:
        event_ts(record)
    return _last.day


def _text(metadata: dict[str, Any], key: str) -> str:
    value = metadata.get(key)
    return value if isinstance(value, str) else ""


def events_store_row(record: EventRecord, partition: int, offset: int) -> Row:
    """The record as stored in ``events_store``."""
    return (
        record.event_id,
        record.event,
        record.user_id,
        event_ts(record),
        to_utc_millis(record.received_at),
        record.source or "",
        record.session_id or "",
        _text(record.metadata, "subject"),
        _text(record.metadata, "assignment_id"),
        orjson.dumps(record.metadata).decode(),
        record.request_id or "",
        partition,
        offset,
    )


def dau_row(record: EventRecord) -> Row:
    """Every accepted event makes its user active on its UTC day."""
    return (event_day(record), record.user_id)


def llm_call_row(record: EventRecord) -> Row | None:
    """An ``llm.call`` event's usage; None for other events."""
    if record.event != "llm.call":
        return None
    meta = record.metadata
    return (
        event_day(record),
        record.user_id,
        str(meta["model"]),
        record.event_id,
        int(meta["prompt_tokens"]),
        int(meta["completion_tokens"]),
        float(meta["cost_usd"]),
    )


def subject_row(record: EventRecord) -> Row | None:
    """An event whose metadata names a subject (a non-empty string); None otherwise."""
    subject = _text(record.metadata, "subject")
    if not subject:
        return None
    return (event_day(record), subject, record.user_id, record.event_id)


def assignment_row(record: EventRecord) -> Row | None:
    """An ``assignment.*`` event naming its assignment; None otherwise."""
    assignment_id = _text(record.metadata, "assignment_id")
    if not record.event.startswith("assignment.") or not assignment_id:
        return None
    return (
        record.user_id,
        assignment_id,
        event_ts(record),
        record.event_id,
        _text(record.metadata, "subject"),
        int(record.event == "assignment.submitted"),
    )
