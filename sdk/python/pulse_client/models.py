"""The event as Pulse's ingest API validates it, checked here before it is queued.

These models mirror the server's own (same fields, types, ranges and JSON Schema); the
project's tests compare the two so that what this SDK lets through the server accepts, and what
it refuses the server would have refused, with the same field named.
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
    field_validator,
    model_validator,
)

EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
MAX_EVENT_BYTES = 32 * 1024
MAX_FUTURE = timedelta(hours=24)
MIN_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
TIMESTAMP_RANGE = "must be between 1970-01-01T00:00:00Z and 24 h from now"

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
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"is out of range in UTC: {TIMESTAMP_RANGE}") from None


# As the server: RFC 3339's full-date and separator start every accepted timestamp, so a string
# of digits is refused, not read as Unix seconds.
_RFC3339_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _rfc3339_text(value: Any) -> Any:
    if isinstance(value, int | float) or (
        isinstance(value, str) and _RFC3339_START.match(value) is None
    ):
        raise ValueError("must be RFC 3339 text with an offset, e.g. 2026-11-20T14:03:07.120Z")
    return value


def _representable(value: datetime) -> datetime:
    if _in_utc(value) < MIN_TIMESTAMP:
        raise ValueError(f"is before 1970-01-01T00:00:00Z: {TIMESTAMP_RANGE}")
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


def describe_errors(exc: ValidationError, prefix: str = "") -> str:
    """One line per problem, ``field.path: what is wrong`` (the server's wording)."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        msg = err["msg"].removeprefix("Value error, ")
        if msg[:1].isupper() and not msg[:2].isupper():
            msg = msg[0].lower() + msg[1:]
        parts.append(f"{loc}: {msg}" if loc and not msg.startswith(loc + ":") else msg)
    return "; ".join(parts)


class Event(BaseModel):
    """One event as a producer sends it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_EVENT_BYTES)

    event_id: UUID | None = None
    event: Annotated[StrictStr, Field(pattern=EVENT_NAME_PATTERN, max_length=128)]
    user_id: UserId
    timestamp: Annotated[
        AwareDatetime,
        BeforeValidator(_rfc3339_text),
        AfterValidator(_representable),
        Field(
            description="event time, RFC 3339 with an offset, from 1970-01-01T00:00:00Z to at "
            "most 24 h after the server's clock"
        ),
    ]
    source: Annotated[StrictStr, Field(max_length=64)] | None = None
    session_id: Annotated[StrictStr, Field(max_length=128)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timestamp")
    @classmethod
    def _not_too_far_ahead(cls, value: datetime) -> datetime:
        if _in_utc(value) - datetime.now(UTC) > MAX_FUTURE:
            raise ValueError(f"is more than 24 h in the future: {TIMESTAMP_RANGE}")
        return value

    @model_validator(mode="after")
    def _check(self) -> Event:
        schema = KNOWN_EVENTS.get(self.event)
        if schema is not None:
            try:
                schema.model_validate(self.metadata)
            except ValidationError as exc:
                raise ValueError(describe_errors(exc, prefix="metadata")) from None
        return self
