"""An event made, validated and encoded once, at the call: the bytes retries resend unchanged."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from pulse_client.exceptions import InvalidEvent
from pulse_client.models import MAX_EVENT_BYTES, Event, describe_errors


@dataclass(frozen=True, slots=True)
class Encoded:
    """One queued event: its id (client-made, so every retry carries it) and its JSON bytes."""

    event_id: str
    event: str
    body: bytes


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"metadata value of type {type(value).__name__} is not JSON")


def timestamp_text(value: datetime | str | None) -> str:
    """RFC 3339 text for ``value``; now, in UTC, when None; naive datetimes are refused."""
    if value is None:
        return datetime.now(UTC).isoformat(timespec="milliseconds")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidEvent(
                "timestamp: a naive datetime has no offset; use datetime.now(UTC) or give tzinfo",
                ("timestamp",),
            )
        return value.isoformat()
    return value


def _fields(exc: ValidationError) -> tuple[str, ...]:
    """The fields ``exc`` is about, with ``metadata.x`` for a known event's metadata."""
    names = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        if not loc:  # the model validator: "metadata.x: ..." (one or several, ';'-separated)
            msg = err["msg"].removeprefix("Value error, ")
            names += [part.split(":", 1)[0].strip() for part in msg.split(";")]
        else:
            names.append(loc)
    return tuple(names)


def encode(item: dict[str, Any], validate: bool = True) -> Encoded:
    """Validate ``item`` as the server will and encode it; InvalidEvent names what is wrong."""
    item.setdefault("event_id", str(uuid.uuid4()))
    item = {k: v for k, v in item.items() if v is not None}
    if validate:
        try:
            Event.model_validate(item)
        except ValidationError as exc:
            raise InvalidEvent(describe_errors(exc), _fields(exc)) from None
    try:
        body = json.dumps(
            item, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_jsonable
        ).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidEvent(f"metadata: {exc}", ("metadata",)) from None
    if validate and len(body) > MAX_EVENT_BYTES:
        raise InvalidEvent(
            f"event is {len(body)} bytes, at most {MAX_EVENT_BYTES} are allowed: shrink metadata",
            ("metadata",),
        )
    return Encoded(str(item["event_id"]), str(item.get("event")), body)
