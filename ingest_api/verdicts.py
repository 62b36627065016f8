"""Per-event verdicts: each item is validated on its own, so one bad event sinks no other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, ValidationError

from ingest_api.event_ids import canonical_json, event_id_of
from schemas import MAX_EVENT_BYTES, Event, EventRecord, describe_errors

RejectReason = Literal["validation", "too_large", "not_an_object", "duplicate_conflict"]


class EventResult(BaseModel):
    """The verdict on one item of the request, by its position in the body."""

    index: int
    status: Literal["accepted", "rejected"]
    event_id: UUID | None = None
    error: str | None = None


class IngestResponse(BaseModel):
    """The answer to ``POST /v1/events``: counts and one verdict per item, in order."""

    accepted: int
    rejected: int
    results: list[EventResult]


@dataclass
class Verdicts:
    """What became of a batch: accepted records to publish, and the reasons items were refused."""

    records: list[EventRecord] = field(default_factory=list)
    results: list[EventResult] = field(default_factory=list)
    rejected_reasons: list[RejectReason] = field(default_factory=list)

    def response(self) -> IngestResponse:
        return IngestResponse(
            accepted=len(self.results) - len(self.rejected_reasons),
            rejected=len(self.rejected_reasons),
            results=self.results,
        )

    def reject(self, index: int, reason: RejectReason, error: str) -> None:
        self.results.append(EventResult(index=index, status="rejected", error=error))
        self.rejected_reasons.append(reason)


def _size_error(item: Any) -> str | None:
    try:
        size = len(orjson.dumps(item))
    except orjson.JSONEncodeError as exc:
        return (
            f"event cannot be stored as JSON ({exc}): keep metadata under 250 levels of "
            "objects and arrays, and integers within 64 bits"
        )
    if size > MAX_EVENT_BYTES:
        return f"event is {size} bytes, at most {MAX_EVENT_BYTES} are allowed"
    return None


def _conflict(first: int) -> str:
    return (
        f"event_id: duplicates item {first} of this request with different content; give this "
        "event its own event_id, or send the same content"
    )


def judge(
    items: list[Any],
    received_at: datetime,
    request_id: str | None,
    pseudonymise: Callable[[str], str] | None = None,
) -> Verdicts:
    """Validate every item with :class:`schemas.Event`; accepted ones become records.

    ``pseudonymise`` replaces each valid event's ``user_id`` before its id is derived and its
    record is made, so no record carries the raw id. An ``event_id`` seen earlier in the batch
    is accepted again (published once) when the content is the same, rejected when it differs.
    """
    verdicts = Verdicts()
    seen: dict[UUID, tuple[int, bytes]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            verdicts.reject(index, "not_an_object", "event must be a JSON object")
            continue
        if (error := _size_error(item)) is not None:
            verdicts.reject(index, "too_large", error)
            continue
        try:
            event = Event.model_validate(item, context={"now": received_at})
        except ValidationError as exc:
            verdicts.reject(index, "validation", describe_errors(exc))
            continue
        if pseudonymise is not None:
            event = event.model_copy(update={"user_id": pseudonymise(event.user_id)})
        event_id, content = event_id_of(event), canonical_json(event)
        if event_id in seen:
            first, first_content = seen[event_id]
            if content != first_content:
                verdicts.reject(index, "duplicate_conflict", _conflict(first))
                continue
            # a copy within the batch: accepted (idempotent), published once
            verdicts.results.append(EventResult(index=index, status="accepted", event_id=event_id))
            continue
        seen[event_id] = (index, content)
        verdicts.results.append(EventResult(index=index, status="accepted", event_id=event_id))
        verdicts.records.append(EventRecord.from_event(event, event_id, received_at, request_id))
    return verdicts
