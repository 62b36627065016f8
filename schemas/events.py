"""The event a learning platform sends to Pulse, and the record Pulse puts on Kafka.

Known event names validate their metadata strictly (required fields, exact types, ranges);
any other well-formed name is a custom event whose metadata is free-form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
MAX_EVENT_BYTES = 32 * 1024
MAX_FUTURE = timedelta(hours=24)
SCHEMA_VERSION = 1

NonNegativeFloat = Annotated[StrictFloat, Field(ge=0, allow_inf_nan=False)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
Identifier = Annotated[StrictStr, Field(min_length=1, max_length=256)]


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must contain printable characters only")
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
    prompt_tokens: NonNegativeInt
    completion_tokens: NonNegativeInt
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
    """One event as a producer sends it (see the contract's "Event" section)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=MAX_EVENT_BYTES)

    event_id: UUID | None = None
    event: Annotated[StrictStr, Field(pattern=EVENT_NAME_PATTERN, max_length=128)]
    user_id: UserId
    timestamp: AwareDatetime
    source: Annotated[StrictStr, Field(max_length=64)] | None = None
    session_id: Annotated[StrictStr, Field(max_length=128)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Event:
        if self.timestamp - datetime.now(UTC) > MAX_FUTURE:
            raise ValueError("timestamp: more than 24 h in the future")
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
    timestamp: datetime
    received_at: datetime
    source: str | None = None
    session_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None

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
