"""The event a learning platform sends to Pulse, and the record Pulse puts on Kafka.

Known event names validate their metadata strictly (required fields, exact types, ranges);
any other well-formed name is a custom event whose metadata is free-form.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
MAX_EVENT_BYTES = 32 * 1024
MAX_FUTURE = timedelta(hours=24)
MIN_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
TIMESTAMP_RANGE = "must be between 1970-01-01T00:00:00Z and 24 h from now"
SCHEMA_VERSION: Final = 1

NonNegativeFloat = Annotated[StrictFloat, Field(ge=0, allow_inf_nan=False)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
# A call's token counts are summed per (day, user, model) and per (day, model) in UInt64 columns;
# at most 10^12 a call, a key's sum stays exact for 1.8e7 calls of the maximum. An unbounded
# count would let two events wrap the sum.
MAX_TOKENS: Final = 10**12
TokenCount = Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS)]
Identifier = Annotated[StrictStr, Field(min_length=1, max_length=256)]


# Refused in a user id: control characters, line and paragraph separators, lone surrogates and
# format characters (bidi overrides, zero-width space, BOM), except the two joiners that real
# text needs: ZWNJ in Persian and Indic names, ZWJ in emoji sequences (woman, ZWJ, mortarboard).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset("\u200c\u200d")


def _printable(value: str) -> str:
    if value.isprintable():  # nearly every id; the slower check only for the rest
        return value
    for char in value:
        if char not in _JOINERS and unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError("must contain printable characters only")
    return value


def _in_utc(value: datetime) -> datetime:
    """``value`` in UTC (naive counts as UTC); ValueError when UTC cannot hold it (year 0/10000)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"is out of range in UTC: {TIMESTAMP_RANGE}") from None


# RFC 3339's full-date and separator: what every accepted timestamp starts with. Pydantic would
# also read a string of digits ("1700000000", "0.") as Unix seconds.
_RFC3339_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _rfc3339_text(value: Any) -> Any:
    """A JSON timestamp is RFC 3339 text; a number (Unix seconds?), as a number or as a string
    of digits, is refused, not guessed at."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and _RFC3339_START.match(value) is None
    ):
        raise ValueError("must be RFC 3339 text with an offset, e.g. 2026-11-20T14:03:07.120Z")
    return value


def _instant(value: datetime) -> datetime:
    """``value`` as a comparable instant: itself when aware and UTC surely holds it (aware
    datetimes compare and subtract as instants whatever their offsets), else :func:`_in_utc`."""
    return value if value.tzinfo is not None and 1 < value.year < 9999 else _in_utc(value)


def _representable(value: datetime) -> datetime:
    """Refuse what UTC or the store cannot hold: before the Unix epoch, or off the calendar."""
    if _instant(value) < MIN_TIMESTAMP:
        raise ValueError(f"is before 1970-01-01T00:00:00Z: {TIMESTAMP_RANGE}")
    return value


def _event_time(value: datetime, info: ValidationInfo) -> datetime:
    """An event's time: representable (see :func:`_representable`, checked first) and at most
    24 h after "now" (the ``now`` of the validation context, else the clock).

    One validator, converting nothing in the usual case: it runs for every event of every batch.
    Aware datetimes compare and subtract as instants whatever their offsets, so only a time in
    year 1 or 9999, which UTC may not hold (:func:`_in_utc` says so), is converted first.
    """
    utc = _instant(value)
    if utc < MIN_TIMESTAMP:
        raise ValueError(f"is before 1970-01-01T00:00:00Z: {TIMESTAMP_RANGE}")
    context = info.context
    now = (context.get("now") if isinstance(context, dict) else None) or datetime.now(UTC)
    if utc - now > MAX_FUTURE:
        raise ValueError(f"is more than 24 h in the future: {TIMESTAMP_RANGE}")
    return value


UserId = Annotated[StrictStr, Field(min_length=1, max_length=128), AfterValidator(_printable)]


class _Metadata(BaseModel):
    """Metadata of a known event: listed fields are typed strictly, extra keys are kept."""

    model_config = ConfigDict(extra="allow", frozen=True)


class LoginMetadata(_Metadata):
    role: Literal["student", "teacher", "admin"] | None = None


class AssignmentMetadata(_Metadata):
    assignment_id: Identifier
    subject: Identifier
    course_id: Identifier | None = None


class SubmissionMetadata(AssignmentMetadata):
    score: Annotated[StrictFloat, Field(ge=0, le=100, allow_inf_nan=False)] | None = None


class ChatMetadata(_Metadata):
    conversation_id: Identifier
    role: Literal["user", "assistant"] | None = None
    chars: NonNegativeInt | None = None


class LlmCallMetadata(_Metadata):
    model: Identifier
    prompt_tokens: TokenCount
    completion_tokens: TokenCount
    cost_usd: NonNegativeFloat
    provider: StrictStr | None = None
    latency_ms: NonNegativeFloat | None = None
    feature: StrictStr | None = None


class LlmCallRecordMetadata(LlmCallMetadata):
    """``llm.call`` metadata as a record on Kafka may carry it: any count of at least 0.

    Records written before the 10^12 bound (the API accepted any 64-bit count) must still decode
    in the worker and in ``pulse replay``: an accepted event is never set aside by a later rule.
    """

    prompt_tokens: NonNegativeInt
    completion_tokens: NonNegativeInt


KNOWN_EVENTS: dict[str, type[_Metadata]] = {
    "user.login": LoginMetadata,
    "user.logout": LoginMetadata,
    "assignment.viewed": AssignmentMetadata,
    "assignment.started": AssignmentMetadata,
    "assignment.heartbeat": AssignmentMetadata,
    "assignment.submitted": SubmissionMetadata,
    "chat.message": ChatMetadata,
    "llm.call": LlmCallMetadata,
}
# The rules a record already accepted is decoded by (worker, replay): the API's, or looser where
# a rule was tightened after events were accepted under the older one.
RECORD_METADATA: dict[str, type[_Metadata]] = KNOWN_EVENTS | {"llm.call": LlmCallRecordMetadata}


def describe_errors(exc: ValidationError, prefix: str = "") -> str:
    """One line per problem, ``field.path: what is wrong``, for people who must fix their input."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        msg = err["msg"].removeprefix("Value error, ")
        if msg[:1].isupper() and not msg[:2].isupper():
            msg = msg[0].lower() + msg[1:]
        parts.append(f"{loc}: {msg}" if loc and not msg.startswith(loc + ":") else msg)
    return "; ".join(parts)


class Event(BaseModel):
    """One event as a producer sends it (described in docs/events.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_EVENT_BYTES)

    event_id: UUID | None = None
    event: Annotated[StrictStr, Field(pattern=EVENT_NAME_PATTERN, max_length=128)]
    user_id: UserId
    timestamp: Annotated[
        AwareDatetime,
        BeforeValidator(_rfc3339_text),
        AfterValidator(_event_time),
        Field(
            description="event time, RFC 3339 with an offset, from 1970-01-01T00:00:00Z to at "
            "most 24 h after the server's clock"
        ),
    ]
    source: Annotated[StrictStr, Field(max_length=64)] | None = None
    session_id: Annotated[StrictStr, Field(max_length=128)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Event:
        schema = KNOWN_EVENTS.get(self.event)
        if schema is not None:
            try:
                schema.model_validate(self.metadata)
            except ValidationError as exc:
                raise ValueError(describe_errors(exc, prefix="metadata")) from None
        return self


class EventRecord(BaseModel):
    """An accepted event as it travels on Kafka (`pulse.events.v1`, key ``user_id``)."""

    model_config = ConfigDict(frozen=True)

    v: Literal[1] = SCHEMA_VERSION
    event_id: UUID
    event: str
    user_id: str
    timestamp: Annotated[datetime, AfterValidator(_representable)]
    received_at: Annotated[datetime, AfterValidator(_in_utc)]
    source: str | None = None
    session_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None

    @model_validator(mode="after")
    def _not_too_far_after_receipt(self) -> EventRecord:
        # Relative to receipt, not to the clock: a replay of old records must still decode.
        if _instant(self.timestamp) - _instant(self.received_at) > MAX_FUTURE:
            raise ValueError("timestamp: must be at most 24 h after received_at")
        return self

    @classmethod
    def from_event(
        cls, event: Event, event_id: UUID, received_at: datetime, request_id: str | None
    ) -> EventRecord:
        return cls(
            event_id=event_id,
            event=event.event,
            user_id=event.user_id,
            timestamp=event.timestamp.astimezone(UTC),
            received_at=received_at,
            source=event.source,
            session_id=event.session_id,
            metadata=event.metadata,
            request_id=request_id,
        )
