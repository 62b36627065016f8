"""Events the ingest API must reject: missing required metadata, bad names, future timestamps."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse.workload.catalog import BAD_EVENT_NAMES
from pulse.workload.clock import format_timestamp, to_ms
from pulse.workload.ids import random_uuid4

_REQUIRED = {
    "assignment.viewed": ("assignment_id", "subject"),
    "assignment.started": ("assignment_id", "subject"),
    "assignment.heartbeat": ("assignment_id", "subject"),
    "assignment.submitted": ("assignment_id", "subject"),
    "chat.message": ("conversation_id",),
    "llm.call": ("model", "prompt_tokens", "completion_tokens", "cost_usd"),
}


def _missing_metadata(event: dict[str, Any], rng: random.Random, now: datetime) -> None:
    required = _REQUIRED.get(event["event"])
    if required is None:
        event["event"], required = "assignment.viewed", _REQUIRED["assignment.viewed"]
    event["metadata"].pop(rng.choice(required), None)


def _bad_name(event: dict[str, Any], rng: random.Random, now: datetime) -> None:
    event["event"] = rng.choice(BAD_EVENT_NAMES)


def _future_timestamp(event: dict[str, Any], rng: random.Random, now: datetime) -> None:
    ahead = timedelta(hours=rng.uniform(25, 24 * 30))
    event["timestamp"] = format_timestamp(to_ms(now.astimezone(UTC) + ahead), 0, True)


def _bad_values(event: dict[str, Any], rng: random.Random, now: datetime) -> None:
    broken: dict[str, Any] = rng.choice(
        [
            {
                "event": "llm.call",
                "metadata": {
                    "model": "gpt-4o",
                    "prompt_tokens": -5,
                    "completion_tokens": 10,
                    "cost_usd": 0.001,
                },
            },
            {
                "event": "llm.call",
                "metadata": {
                    "model": "gpt-4o",
                    "prompt_tokens": "12",
                    "completion_tokens": 3,
                    "cost_usd": 0.001,
                },
            },
            {
                "event": "assignment.submitted",
                "metadata": {"assignment_id": "hw-1-1", "subject": "math", "score": 140},
            },
            {"event": "user.login", "metadata": {"role": "janitor"}},
            {"user_id": ""},
            {"timestamp": "2026-11-20 14:03:07"},
        ]
    )
    event.update(broken)


Mutation = Callable[[dict[str, Any], random.Random, datetime], None]
MUTATIONS: tuple[Mutation, ...] = (_missing_metadata, _bad_name, _future_timestamp, _bad_values)


def make_invalid(event: dict[str, Any], rng: random.Random, now: datetime) -> dict[str, Any]:
    """A broken copy of ``event`` with a fresh ``event_id``; ``now`` anchors future timestamps."""
    broken = {**event, "metadata": dict(event["metadata"])}
    broken["event_id"] = random_uuid4(rng)
    rng.choice(MUTATIONS)(broken, rng, now)
    return broken
