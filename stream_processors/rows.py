"""Pure mapping of one EventRecord to the rows it contributes to each ClickHouse table (and of a
whole batch to every table's columns, :func:`batch_columns`, what the worker writes).

Every row carries the keys its ReplacingMergeTree collapses on (``event_id``, or ``(day,
user_id)``), so writing a row twice - redelivery, a client resending - changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    elif moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    micros = moment.microsecond
    return moment if micros % 1000 == 0 else moment.replace(microsecond=micros - micros % 1000)


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


Columns = list[list[Any]]


@dataclass(frozen=True)
class TableColumns:
    """One table's rows of a batch, column by column (``COLUMNS[table]`` order), and for each
    row the position of the record it came from (every record gives a table at most one row)."""

    columns: Columns
    index: Sequence[int]

    def __len__(self) -> int:
        return len(self.index)


def _pick(values: list[Any], index: list[int]) -> list[Any]:
    return [values[i] for i in index]


def batch_columns(
    records: Sequence[EventRecord], partitions: Sequence[int], offsets: Sequence[int]
) -> dict[str, TableColumns]:
    """Every table's rows of a whole batch, built a column at a time: row ``j`` of a table
    equals what its per-record function (``events_store_row``, ``dau_row``, ``llm_call_row``,
    ``subject_row``, ``assignment_row``) gives ``records[index[j]]``, and records for which it
    gives None have no row. ``partitions`` and ``offsets`` are each record's Kafka position."""
    every = range(len(records))
    ts = [to_utc_millis(r.timestamp) for r in records]
    days = [t.date() for t in ts]
    ids = [r.event_id for r in records]
    events = [r.event for r in records]
    users = [r.user_id for r in records]
    metas = [r.metadata for r in records]
    subjects = [s if isinstance(s := m.get("subject"), str) else "" for m in metas]
    assignments = [a if isinstance(a := m.get("assignment_id"), str) else "" for m in metas]
    store: Columns = [
        ids,
        events,
        users,
        ts,
        [to_utc_millis(r.received_at) for r in records],
        [r.source or "" for r in records],
        [r.session_id or "" for r in records],
        subjects,
        assignments,
        [orjson.dumps(m).decode() for m in metas],
        [r.request_id or "" for r in records],
        list(partitions),
        list(offsets),
    ]
    llm = [i for i in every if events[i] == "llm.call"]
    llm_metas = _pick(metas, llm)
    with_subject = [i for i in every if subjects[i]]
    on_assignment = [i for i in every if assignments[i] and events[i].startswith("assignment.")]
    return {
        "events_store": TableColumns(store, every),
        "dau_users": TableColumns([days, users], every),
        "llm_calls": TableColumns(
            [
                _pick(days, llm),
                _pick(users, llm),
                [str(m["model"]) for m in llm_metas],
                _pick(ids, llm),
                [int(m["prompt_tokens"]) for m in llm_metas],
                [int(m["completion_tokens"]) for m in llm_metas],
                [float(m["cost_usd"]) for m in llm_metas],
            ],
            llm,
        ),
        "subject_events": TableColumns(
            [
                _pick(days, with_subject),
                _pick(subjects, with_subject),
                _pick(users, with_subject),
                _pick(ids, with_subject),
            ],
            with_subject,
        ),
        "assignment_events": TableColumns(
            [
                _pick(users, on_assignment),
                _pick(assignments, on_assignment),
                _pick(ts, on_assignment),
                _pick(ids, on_assignment),
                _pick(subjects, on_assignment),
                [int(events[i] == "assignment.submitted") for i in on_assignment],
            ],
            on_assignment,
        ),
    }
