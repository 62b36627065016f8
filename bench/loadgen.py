"""A load generator, run as its own process: POST batches to a URL for a fixed time.

`python -m bench.loadgen --url URL --key KEY --batch 100 --concurrency 8 --seconds 10` prints one
JSON object: requests, events, errors, seconds, events_per_s, requests_per_s, latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
import orjson


def event(i: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "event": "assignment.heartbeat",
        "user_id": f"bench-user-{i % 5000}",
        "timestamp": datetime.now(UTC).isoformat(),
        "source": "bench",
        "metadata": {"assignment_id": f"hw-{i % 50}", "subject": "math", "course_id": "c-1"},
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(url: str, key: str, batch: int, concurrency: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    events = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        stop_at = time.perf_counter() + seconds
        counter = 0

        async def worker() -> None:
            nonlocal errors, events, counter
            while time.perf_counter() < stop_at:
                counter += batch
                payload = [event(counter + j) for j in range(batch)]
                body = orjson.dumps(payload[0] if batch == 1 else payload)
                start = time.perf_counter()
                try:
                    resp = await client.post(url, content=body)
                    ok = resp.status_code in (200, 202)
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                if ok:
                    events += batch
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {
        "batch": batch,
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", default="")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.key, args.batch, args.concurrency, args.seconds))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
