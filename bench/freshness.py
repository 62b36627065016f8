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
the last of them being stored. Freshness is measured again at half that rate, in requests of the
same 100 events (half the requests and transactions, not only half the events). A rate's latency is
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
from prometheus_client.parser import text_string_to_metric_families

from bench.loadgen import percentile
from core.settings import SharedSettings

POLL_S = 0.05
WIDTH = 9  # digits of an event's index in its user id: ids sort as their indices
SATURATION_BATCH = 100
SATURATION_POSTERS = 8
IN_FLIGHT_REQUESTS = 64
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
        self.parts: dict[str, Any] = {}
        self.polls: list[float] = []  # seconds each round of polls took (the resolution)

    def run(self) -> None:
        while not self.done.is_set():
            began = time.perf_counter()
            for name, sql in _SEEN.items():
                seen = self.seen[name]
                params = {"p": self.prefix, "low": user_of(self.prefix, seen.low)}
                now = time.perf_counter()
                for (user,) in self.client.query(sql, parameters=params).result_rows:
                    seen.at.setdefault(user, now)
                while user_of(self.prefix, seen.low) in seen.at:
                    seen.low += 1
            self.polls.append(time.perf_counter() - began)
            self.done.wait(POLL_S)

    def count(self, name: str) -> int:
        return len(self.seen[name].at)


async def post(
    url: str, key: str, prefix: str, rate: float | None, seconds: float, batch: int, posters: int
) -> dict[str, float]:
    """Post ``batch``-event requests for ``seconds``; each accepted user's send time.

    With a ``rate``, open loop: a request is sent every ``batch / rate`` seconds whatever the
    answers of the earlier ones (at most ``IN_FLIGHT_REQUESTS`` unanswered), so a slow answer
    never lowers the rate posted. Without one, ``posters`` tasks post as fast as they are
    answered."""
    sent: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    counter = iter(range(10**WIDTH))

    async def one(client: httpx.AsyncClient) -> None:
        users = [user_of(prefix, next(counter)) for _ in range(batch)]
        sent_at = time.perf_counter()
        response = await client.post(url, content=orjson.dumps([llm_event(u) for u in users]))
        if response.status_code == 202:
            sent.update(dict.fromkeys(users, sent_at))

    limits = httpx.Limits(max_connections=IN_FLIGHT_REQUESTS, max_keepalive_connections=64)
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
        start = time.perf_counter()
        if rate is None:

            async def poster() -> None:
                while time.perf_counter() - start < seconds:
                    await one(client)

            await asyncio.gather(*(poster() for _ in range(posters)))
            return sent
        room = asyncio.Semaphore(IN_FLIGHT_REQUESTS)
        tasks: list[asyncio.Task[None]] = []

        async def bounded() -> None:
            async with room:
                await one(client)

        interval = batch / rate
        for tick in range(int(seconds / interval)):
            # Pacing to the rate, not synchronisation: the next request's send time.
            await asyncio.sleep(max(0.0, start + tick * interval - time.perf_counter()))
            tasks.append(asyncio.create_task(bounded()))
        await asyncio.gather(*tasks)
    return sent


@dataclass(frozen=True)
class Target:
    """Where the stack answers: the API, its key, and the ClickHouse endpoint and database."""

    api: str
    key: str
    ch_host: str
    ch_port: int
    database: str
    worker: str | None = None  # the worker's web address, for its /metrics


# Each part of an event's way, as the API and the worker measure it (histograms): (component,
# metric, labels). Their change over a run gives each part's mean and p95 at that rate.
PARTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "api_request": ("api", "http_response_time_seconds", {"route": "/v1/events"}),
    "api_transaction": ("api", "kafka_produce_latency_seconds", {}),
    "send_to_batch_newest": ("worker", "worker_batch_wait_seconds", {"message": "newest"}),
    "send_to_batch_oldest": ("worker", "worker_batch_wait_seconds", {"message": "oldest"}),
    "batch_facts_stored": ("worker", "worker_batch_write_seconds", {}),
    "insert_events_store": ("worker", "sink_batch_latency_seconds", {"table": "events_store"}),
    "insert_llm_calls": ("worker", "sink_batch_latency_seconds", {"table": "llm_calls"}),
    "rollup_refresh": ("worker", "rollup_refresh_latency_seconds", {}),
    "batch_events": ("worker", "worker_batch_events", {}),
}

Histogram = dict[str, float]  # "count", "sum", and each bucket's upper bound as text


def scrape(urls: dict[str, str]) -> dict[str, Histogram]:
    """Every part's histogram (summed over other labels) from the components' /metrics."""
    texts: dict[str, str] = {}
    for component, url in urls.items():
        try:
            texts[component] = httpx.get(f"{url}/metrics", timeout=5).text
        except httpx.HTTPError:
            texts[component] = ""
    out: dict[str, Histogram] = {}
    for part, (component, metric, labels) in PARTS.items():
        hist: Histogram = {}
        for family in text_string_to_metric_families(texts[component]):
            if family.name != metric:
                continue
            for sample in family.samples:
                if any(sample.labels.get(k) != v for k, v in labels.items()):
                    continue
                if sample.name.endswith("_bucket"):
                    slot = sample.labels["le"]
                elif sample.name.endswith(("_count", "_sum")):
                    slot = sample.name.rsplit("_", 1)[1]
                else:
                    continue
                hist[slot] = hist.get(slot, 0.0) + sample.value
        out[part] = hist
    return out


def parts(before: dict[str, Histogram], after: dict[str, Histogram]) -> dict[str, Any]:
    """Each part's observations during a run: how many, the mean and the p95 (the upper
    bound of the bucket holding it), in ms (events, for the batch size)."""
    out: dict[str, Any] = {}
    for part, hist in after.items():
        delta = {k: v - before.get(part, {}).get(k, 0.0) for k, v in hist.items()}
        count = delta.get("count", 0.0)
        if count <= 0:
            continue
        scale = 1.0 if part == "batch_events" else 1000.0
        bounds = sorted((float(k), v) for k, v in delta.items() if k not in ("count", "sum"))
        p95 = next((bound for bound, below in bounds if below >= 0.95 * count), float("inf"))
        out[part] = {
            "n": int(count),
            "mean": round(delta.get("sum", 0.0) / count * scale, 1),
            "p95_at_most": p95 * scale if p95 != float("inf") else None,
        }
    return out


def _watched(
    target: Target, rate: float | None, seconds: float, batch: int, posters: int
) -> tuple[dict[str, float], Watcher]:
    urls = {"api": target.api} | ({"worker": target.worker} if target.worker else {})
    before = scrape(urls)
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
    watcher.parts = parts(before, scrape(urls))
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


def steady(target: Target, rate: int, seconds: float, batch: int | None = None) -> dict[str, Any]:
    """Freshness of the raw row and of the rollup row at ``rate`` events/s in requests of
    ``batch`` events, and each part's share as the API and the worker measured it meanwhile."""
    if batch is None:
        batch = max(1, rate // 100)  # 20/s: one event per request; 10,000/s: batches of 100
    started = time.perf_counter()
    sent, watcher = _watched(target, rate, seconds, batch, 1)
    return {
        "rate_events_per_s": rate,
        "events": len(sent),
        "posted_events_per_s": round(len(sent) / seconds, 1),
        "events_per_request": batch,
        "raw_row": _lags(sent, watcher.seen["raw"]),
        "rollup_row": _lags(sent, watcher.seen["rollup"]),
        "parts": watcher.parts,
        "poll_ms": {
            "mean": round(sum(watcher.polls) / max(1, len(watcher.polls)) * 1000, 1),
            "max": round(max(watcher.polls, default=0.0) * 1000, 1),
        },
        "elapsed_s": round(time.perf_counter() - started, 1),
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
    # Half the maximum in the maximum's own shape (requests of SATURATION_BATCH events), so that
    # it is half the requests and transactions too: requests of rate // 100 events made it 2.3
    # times the maximum's request rate, which the stack could not keep up with.
    runs.append(
        steady(target, half, seconds, SATURATION_BATCH) | {"half_of_sustained_maximum": True}
    )
    return {"warm_up": warm_up, "steady": runs, "sustained_maximum": maximum}
