"""The reports' response bodies, as they appear in ``/openapi.json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field


def _as_utc(value: dt.datetime) -> dt.datetime:
    # ClickHouse columns are UTC; the driver may hand them over without a time zone.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


UtcDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class DauDay(BaseModel):
    date: dt.date = Field(description="UTC day.")
    dau: int = Field(ge=0, description="Distinct users with at least one event that day.")


class DauReport(BaseModel):
    """Daily active users, one entry per day of the range (0 on days without activity)."""

    days: list[DauDay]


class RollingDau(BaseModel):
    """Distinct users with an event in the window ending now."""

    last_24h: int = Field(alias="24h", ge=0)
    last_7d: int = Field(alias="7d", ge=0)
    last_30d: int = Field(alias="30d", ge=0)

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class AssignmentTime(BaseModel):
    assignment_id: str
    subject: str | None = Field(description="Subject of the pair's first event, if it names one.")
    first_ts: UtcDatetime
    last_ts: UtcDatetime
    active_seconds: float = Field(ge=0, description="Sum of gaps between events, each <= 300 s.")
    submitted: bool


class ModelUsage(BaseModel):
    calls: int = Field(ge=0)
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    cost_usd: float = Field(ge=0)


class LlmUsage(BaseModel):
    by_model: dict[str, ModelUsage] = Field(description="Usage per model name.")
    total: ModelUsage


class UserSummary(BaseModel):
    """Everything Pulse knows about one user's activity."""

    user_id: str
    events: int = Field(ge=0, description="Accepted events.")
    active_days: int = Field(ge=0, description="Distinct UTC days with an event.")
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    assignments: list[AssignmentTime]
    llm: LlmUsage


class SubjectRank(BaseModel):
    subject: str
    events: int = Field(ge=0)
    users: int = Field(ge=0, description="Distinct users over the whole range.")


class TopSubjects(BaseModel):
    """Subjects ordered by event count (ties by name)."""

    subjects: list[SubjectRank]


class HeatmapCell(BaseModel):
    weekday: int = Field(ge=1, le=7, description="ISO weekday of the event (UTC): 1 = Monday.")
    hour: int = Field(ge=0, le=23, description="Hour of the event (UTC).")
    events: int = Field(ge=0)


class Heatmap(BaseModel):
    """All 7 x 24 cells, weekday-major, zeros included."""

    cells: list[HeatmapCell]
    total: int = Field(ge=0)
