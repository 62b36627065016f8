"""End-to-end freshness: from an event's POST to its raw row, and to its recomputed rollup row.

Each event is an ``llm.call`` of a user of its own (``<run>-<index>``, zero-padded), so two
things can be watched per event: its row in ``events_store`` (the raw table behind ``events``)
and its (day, user, model) row in ``llm_usage_rollup``, which the worker writes only after the
batch's facts are stored and its keys recomputed (the slowest rollup path; the pair and user
rollups are written inside the facts' insert). A watcher thread polls both through the
endpoint every 50 ms, asking only for users at or after the oldest one not yet seen, so a poll
costs the events in flight, not the run.

A short warm-up comes first and is reported apart (``warm_up``, its slowest event): the first
events after start-up wait for the topic's metadata, the consumer's first assignment and fetch,
the first transaction and the first parts, up to ~2 s, which is start-up, not freshness.
Steady rates (``freshness_rates``, 20 events/s by default) are posted next. Then the pipeline's
sustained maximum is measured in the same stack: posters send batches of 100 flat out for
``freshness_seconds``, and the figure is the events accepted over the time from the first post to
the last of them being stored. Freshness is measured again at half that rate. A rate's latency is
from the moment its request was sent (the event exists for the producer) to the first poll that
sees the row; the poll interval adds up to 50 ms.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import clickhouse_connect
import httpx
import orjson

from bench.loadgen import percentile
from core.settings import SharedSettings

POLL_S = 0.05
WIDTH = 9  # digits of an event's index in its user id: ids sort as their indices
SATURATION_BATCH = 100
SATURATION_POSTERS = 8
WARM_UP_RATE, WARM_UP_S = 20, 3.0

_SEEN = {
    "raw": "SELECT user_id FROM events_store "
    "WHERE startsWith(user_id, {p:String}) AND user_id >= {low:String}",
    "rollup": "SELECT user_id FROM llm_usage_rollup "
    "WHERE startsWith(user_id, {p:String}) AND user_id >= {low:String} AND calls > 0",
}


def user_of(prefix: str, index: int) -> str:
    return f"{prefix}{index:0{WIDTH}d}"


def llm_event(user: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event": "llm.call",
        "user_id": user,
        "timestamp": datetime.now(UTC).isoformat(),
        "source": "bench-freshness",
        "metadata": {
            "model": "tutor-1",
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "cost_usd": 0.0004,
        },
    }


@dataclass
class Seen:
    """When each user's row was first seen, and the oldest index not seen yet."""

    at: dict[str, float] = field(default_factory=dict)
    low: int = 0


class Watcher(threading.Thread):
    """Polls ClickHouse for the run's users and records when each row first became visible."""

    def __init__(self, host: str, port: int, database: str, prefix: str) -> None:
        super().__init__(daemon=True)
        shared = SharedSettings()
        self.client = clickhouse_connect.get_client(
            host=host,
            port=port,
            database=database,
            username=shared.clickhouse_user,
            password=shared.clickhouse_password.get_secret_value(),
        )
        self.prefix = prefix
        self.seen = {name: Seen() for name in _SEEN}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for name, sql in _SEEN.items():
                seen = self.seen[name]
                params = {"p": self.prefix, "low": user_of(self.prefix, seen.low)}
                now = time.perf_counter()
                for (user,) in self.client.query(sql, parameters=params).result_rows:
                    seen.at.setdefault(user, now)
                while user_of(self.prefix, seen.low) in seen.at:
                    seen.low += 1
            self.done.wait(POLL_S)

    def count(self, name: str) -> int:
        return len(self.seen[name].at)


async def post(
    url: str, key: str, prefix: str, rate: float | None, seconds: float, batch: int, posters: int
) -> dict[str, float]:
    """Post ``batch``-event requests from ``posters`` tasks for ``seconds``, at ``rate`` events/s
    in all (None: as fast as they are answered); each accepted user's send time."""
    sent: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    counter = iter(range(10**WIDTH))
    start = time.perf_counter()

    async def poster(client: httpx.AsyncClient) -> None:
        done = 0
        while time.perf_counter() - start < seconds:
            users = [user_of(prefix, next(counter)) for _ in range(batch)]
            sent_at = time.perf_counter()
            response = await client.post(url, content=orjson.dumps([llm_event(u) for u in users]))
            if response.status_code == 202:
                sent.update(dict.fromkeys(users, sent_at))
            done += batch
            if rate is not None:  # pacing to the rate, not synchronisation
                await asyncio.sleep(max(0.0, start + done * posters / rate - time.perf_counter()))

    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        await asyncio.gather(*(poster(client) for _ in range(posters)))
    return sent


@dataclass(frozen=True)
class Target:
    """Where the stack answers: the API, its key, and the ClickHouse endpoint and database."""

    api: str
    key: str
    ch_host: str
    ch_port: int
    database: str


def _watched(
    target: Target, rate: float | None, seconds: float, batch: int, posters: int
) -> tuple[dict[str, float], Watcher]:
    prefix = f"fresh-{uuid.uuid4().hex[:8]}-"
    watcher = Watcher(target.ch_host, target.ch_port, target.database, prefix)
    watcher.start()
    url = f"{target.api}/v1/events"
    sent = asyncio.run(post(url, target.key, prefix, rate, seconds, batch, posters))
    deadline = time.perf_counter() + 120
    while min(watcher.count(name) for name in _SEEN) < len(sent) and time.perf_counter() < deadline:
        watcher.done.wait(0.1)
    watcher.done.set()
    watcher.join()
    return sent, watcher


def _lags(sent: dict[str, float], seen: Seen) -> dict[str, Any]:
    lags = [seen.at[user] - at for user, at in sent.items() if user in seen.at]
    return {
        "visible": len(lags),
        "p50_ms": round(percentile(lags, 0.50) * 1000, 1),
        "p95_ms": round(percentile(lags, 0.95) * 1000, 1),
        "p99_ms": round(percentile(lags, 0.99) * 1000, 1),
        "max_ms": round(max(lags, default=0.0) * 1000, 1),
    }


def steady(target: Target, rate: int, seconds: float) -> dict[str, Any]:
    """Freshness of the raw row and of the rollup row at ``rate`` events/s."""
    batch = max(1, rate // 100)  # 20/s: one event per request; 10,000/s: batches of 100
    posters = max(1, min(8, rate // 500))
    sent, watcher = _watched(target, rate, seconds, batch, posters)
    return {
        "rate_events_per_s": rate,
        "events": len(sent),
        "events_per_request": batch,
        "raw_row": _lags(sent, watcher.seen["raw"]),
        "rollup_row": _lags(sent, watcher.seen["rollup"]),
    }


def sustained_maximum(target: Target, seconds: float) -> dict[str, Any]:
    """Events/s the whole pipeline absorbs: accepted events over first post to last stored."""
    started = time.perf_counter()
    sent, watcher = _watched(target, None, seconds, SATURATION_BATCH, SATURATION_POSTERS)
    raw = watcher.seen["raw"].at
    last = max((raw[user] for user in sent if user in raw), default=started)
    return {
        "events": len(sent),
        "stored": sum(1 for user in sent if user in raw),
        "accepted_events_per_s": round(len(sent) / seconds),
        "events_per_s": round(len(sent) / (last - started)) if last > started else 0,
    }


def measure(target: Target, rates: Sequence[int], seconds: float) -> dict[str, Any]:
    """The warm-up, freshness at each steady rate, the sustained maximum, and freshness at half
    of it."""
    warm_up = steady(target, WARM_UP_RATE, WARM_UP_S)
    runs = [steady(target, rate, seconds) for rate in rates]
    maximum = sustained_maximum(target, seconds)
    half = max(1, maximum["events_per_s"] // 2)
    # The saturation run leaves no backlog behind: _watched waited until every row was stored.
    runs.append(steady(target, half, seconds) | {"half_of_sustained_maximum": True})
    return {"warm_up": warm_up, "steady": runs, "sustained_maximum": maximum}
