"""End-to-end freshness: time from an event's POST to its row being visible in ClickHouse."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import clickhouse_connect
import httpx
import orjson

from bench.loadgen import event, percentile
from core.settings import SharedSettings


class Watcher(threading.Thread):
    """Polls ClickHouse for the bench's event_ids and records when each first became visible."""

    def __init__(self, host: str, port: int, database: str, source: str) -> None:
        super().__init__(daemon=True)
        shared = SharedSettings()  # type: ignore[call-arg]
        self.client = clickhouse_connect.get_client(
            host=host,
            port=port,
            database=database,
            username=shared.clickhouse_user,
            password=shared.clickhouse_password.get_secret_value(),
        )
        self.source = source
        self.seen: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        sql = "SELECT toString(event_id) FROM events_store WHERE source = {s:String}"
        while not self.done.is_set():
            for (event_id,) in self.client.query(sql, parameters={"s": self.source}).result_rows:
                self.seen.setdefault(event_id, time.perf_counter())
            self.done.wait(0.05)


async def post_steadily(
    url: str,
    key: str,
    rate: int,
    seconds: float,
    source: str,
) -> dict[str, float]:
    """Post batches of 10 events at ``rate`` events/s; return each event's post-completion time."""
    sent: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        start = time.perf_counter()
        i = 0
        while time.perf_counter() - start < seconds:
            batch = []
            for _ in range(10):
                ev = event(i)
                ev["event_id"] = str(uuid.uuid4())
                ev["source"] = source
                batch.append(ev)
                i += 1
            t0 = time.perf_counter()
            resp = await client.post(url, content=orjson.dumps(batch))
            if resp.status_code == 202:
                for ev in batch:
                    sent[str(ev["event_id"])] = t0
            next_at = start + i / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))  # pacing, not sync
    return sent


def measure(
    api: str, key: str, ch_host: str, ch_port: int, database: str, rate: int, seconds: float
) -> dict[str, float]:
    source = f"fresh-{uuid.uuid4().hex[:8]}"
    watcher = Watcher(ch_host, ch_port, database, source)
    watcher.start()
    sent = asyncio.run(post_steadily(f"{api}/v1/events", key, rate, seconds, source))
    deadline = time.perf_counter() + 60
    while len(watcher.seen) < len(sent) and time.perf_counter() < deadline:
        watcher.done.wait(0.1)
    watcher.done.set()
    watcher.join()
    lags = [watcher.seen[i] - t for i, t in sent.items() if i in watcher.seen]
    return {
        "rate_events_per_s": rate,
        "events": len(sent),
        "visible": len(lags),
        "p50_ms": round(percentile(lags, 0.50) * 1000, 1),
        "p95_ms": round(percentile(lags, 0.95) * 1000, 1),
        "p99_ms": round(percentile(lags, 0.99) * 1000, 1),
    }
