"""The generator's knobs: who, when, how much, and how the traffic is mangled on the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pulse.workload.exceptions import WorkloadError

MAX_FUTURE = timedelta(hours=24)
Fraction = float


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class WorkloadConfig(BaseSettings):
    """Every knob of the synthetic workload; one config (``seed``, ``now``) gives one event stream.

    The window is ``[start, end)``. Without ``end`` it ends at ``now``; without ``start`` it lasts
    ``days``. Traffic shaping (duplicates, lateness, disorder, invalid events) changes how events
    are sent, never which valid events exist; the historical import adds a second, older window
    (``historical_age`` earlier, ``historical_fraction`` of the rate) sent after everything else.
    Durations accept ``timedelta``, seconds or ISO 8601 (``PT1H``); env vars ``PULSE_WORKLOAD_*``.
    """

    model_config = SettingsConfigDict(env_prefix="PULSE_WORKLOAD_", frozen=True, extra="forbid")

    seed: int = Field(default=1, description="seed of every random choice")
    users: int = Field(default=1000, ge=1, description="number of users (students and teachers)")
    teacher_fraction: Fraction = Field(
        default=0.05, ge=0, le=1, description="share of users who teach"
    )
    now: AwareDatetime = Field(default_factory=_now, description="wall-clock 'now' of the run")
    start: AwareDatetime | None = Field(
        default=None, description="first event time (default end - days)"
    )
    end: AwareDatetime | None = Field(default=None, description="end of event time (default now)")
    days: float = Field(default=1.0, gt=0, description="window length when start is not given")
    rate: float = Field(default=2.0, gt=0, description="mean valid events per second of event time")
    events: int | None = Field(
        default=None, ge=1, description="about this many valid events; sets rate"
    )
    limit: int | None = Field(
        default=None, ge=0, description="stop after sending exactly this many"
    )
    duplicate_fraction: Fraction = Field(default=0.0, ge=0, le=1, description="events sent twice")
    duplicate_delay: timedelta = Field(
        default=timedelta(minutes=10), description="resend within this"
    )
    late_fraction: Fraction = Field(default=0.0, ge=0, le=1, description="events held back")
    max_lateness: timedelta = Field(
        default=timedelta(hours=6), description="held back by up to this"
    )
    disorder_window: timedelta = Field(
        default=timedelta(0), description="shuffle within this event time"
    )
    historical_fraction: Fraction = Field(
        default=0.0, ge=0, le=1, description="old events sent last"
    )
    historical_age: timedelta = Field(
        default=timedelta(days=14), description="how old the import is"
    )
    invalid_fraction: Fraction = Field(
        default=0.0, ge=0, le=0.9, description="events to be rejected"
    )
    missing_event_id_fraction: Fraction = Field(
        default=0.0, ge=0, le=1, description="events w/o id"
    )
    utc_z_fraction: Fraction = Field(
        default=0.3, ge=0, le=1, description="timestamps written with Z"
    )
    cross_midnight: bool = Field(default=False, description="centre the window on a UTC midnight")

    @model_validator(mode="after")
    def _check_window(self) -> WorkloadConfig:
        start, end = self.window()
        if end - self.now > MAX_FUTURE:
            raise WorkloadError(
                f"end {end.isoformat()} is more than 24 h after now; move end back or now forward"
            )
        if start >= end:
            raise WorkloadError(f"start {start.isoformat()} is not before end {end.isoformat()}")
        for name in ("duplicate_delay", "max_lateness", "disorder_window", "historical_age"):
            if getattr(self, name) < timedelta(0):
                raise WorkloadError(f"{name} must not be negative")
        return self

    def window(self) -> tuple[datetime, datetime]:
        """The UTC event-time window ``[start, end)`` after defaults and ``cross_midnight``."""
        end = (self.end or self.now).astimezone(UTC)
        start = self.start.astimezone(UTC) if self.start else end - timedelta(days=self.days)
        if not self.cross_midnight:
            return start, end
        half = (end - start) / 2
        midnight = (end - half).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - half, midnight + half

    def events_per_second(self) -> float:
        """Mean valid events per second of event time (``events`` spread over the window wins)."""
        if self.events is None:
            return self.rate
        start, end = self.window()
        return self.events / (end - start).total_seconds()
