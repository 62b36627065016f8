"""Known traffic for the observability test, and the figures it must produce."""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

MODELS = {"obs-model-small": (0.000125, 0.0375), "obs-model-large": (0.0125, 1.25)}
BATCH_SIZE = 40


@dataclass
class Traffic:
    """What is sent, and what the metrics must say about it once it is processed."""

    events: list[dict[str, Any]]
    accepted: int
    rejected: int
    llm_calls: Counter[str] = field(default_factory=Counter)
    llm_cost: dict[str, float] = field(default_factory=dict)
    user_ids: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)
    custom_names: set[str] = field(default_factory=set)

    @property
    def requests(self) -> int:
        """POST /v1/events requests the sender makes for :attr:`events`."""
        return math.ceil(len(self.events) / BATCH_SIZE)


def stamp(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def base_event(name: str, user: str, ts: datetime, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event": name,
        "user_id": user,
        "timestamp": stamp(ts),
        "source": "observability-e2e",
        "metadata": metadata,
    }


def llm_call(user: str, ts: datetime, model: str, rng: random.Random) -> dict[str, Any]:
    low, high = MODELS[model]
    cost = round(rng.uniform(low, high), 6)
    return base_event(
        "llm.call",
        user,
        ts,
        {
            "model": model,
            "prompt_tokens": rng.randint(10, 900),
            "completion_tokens": rng.randint(1, 400),
            "cost_usd": cost,
        },
    )


def invalid(ts: datetime, i: int) -> dict[str, Any]:
    """An event the API refuses (metadata of a known event incomplete, or a bad name)."""
    if i % 2:
        return {"event": "assignment.viewed", "user_id": "obs-bad", "timestamp": stamp(ts)}
    return {"event": "Not An Event", "user_id": "obs-bad", "timestamp": stamp(ts)}


def make_traffic(valid: int, llm: int, bad: int, seed: int = 7) -> Traffic:
    """``valid`` accepted events of which ``llm`` are llm.call, then ``bad`` refused ones."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    events: list[dict[str, Any]] = []
    traffic = Traffic(events, accepted=valid, rejected=bad)
    for i in range(valid):
        user = f"obs-student-{uuid.uuid4().hex[:10]}"
        ts = now - timedelta(seconds=rng.uniform(0, 3600))
        if i < llm:
            event = llm_call(user, ts, sorted(MODELS)[i % len(MODELS)], rng)
            model, cost = event["metadata"]["model"], event["metadata"]["cost_usd"]
            traffic.llm_calls[model] += 1
            traffic.llm_cost[model] = traffic.llm_cost.get(model, 0.0) + cost
        elif i % 5 == 0:
            event = base_event(f"custom.obs_{uuid.uuid4().hex[:8]}", user, ts, {"n": i})
            traffic.custom_names.add(event["event"])
        else:
            event = base_event(
                "assignment.viewed",
                user,
                ts,
                {
                    "assignment_id": f"hw-{i % 7}",
                    "subject": rng.choice(["math", "cs"]),
                },
            )
        traffic.user_ids.add(user)
        traffic.event_ids.add(event["event_id"])
        events.append(event)
    events.extend(invalid(now, i) for i in range(bad))
    rng.shuffle(events)
    return traffic
