"""Post events to the ingest API in batches, concurrently, retrying what may be retried.

Used by `pulse send`, `pulse gen --send`, the benchmarks and the end-to-end tests. A retry resends
the same events with the same event_ids, which the pipeline stores once.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

RETRYABLE = {429, 502, 503, 504}


@dataclass
class SendReport:
    """What the API said about everything that was sent."""

    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    accepted_ids: list[str] = field(default_factory=list)
    accepted_events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def batched(events: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(events)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


async def post_batch(
    client: httpx.AsyncClient, batch: list[dict[str, Any]], attempts: int = 8
) -> dict[str, Any]:
    """POST one batch; retry 429/5xx and connection errors with backoff; return the verdicts."""
    body = orjson.dumps(batch)
    delay = 0.2
    for attempt in range(attempts):
        try:
            resp = await client.post(
                "/v1/events", content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
        else:
            if resp.status_code == 202:
                return dict(resp.json())
            if resp.status_code not in RETRYABLE or attempt == attempts - 1:
                resp.raise_for_status()
            delay = float(resp.headers.get("Retry-After", delay))
        await asyncio.sleep(min(delay, 5.0))  # backoff between retries, not synchronisation
        delay *= 2
    raise RuntimeError("unreachable")


async def send_events(
    api_url: str,
    api_key: str,
    events: Iterable[dict[str, Any]],
    batch_size: int = 500,
    concurrency: int = 4,
    on_batch: Callable[[int], None] = lambda n: None,
    keep_accepted: bool = False,
) -> SendReport:
    """Send ``events`` in batches with up to ``concurrency`` requests in flight.

    With ``keep_accepted`` the report also holds every accepted event, carrying the event_id the
    server confirmed (assigned where the event had none).
    """
    report = SendReport()
    queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(maxsize=concurrency * 2)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            while (batch := await queue.get()) is not None:
                verdicts = await post_batch(client, batch)
                report.sent += len(batch)
                report.accepted += verdicts["accepted"]
                report.rejected += verdicts["rejected"]
                for result in verdicts["results"]:
                    if result["status"] == "accepted":
                        report.accepted_ids.append(result["event_id"])
                        if keep_accepted:
                            accepted = dict(batch[result["index"]])
                            accepted["event_id"] = result["event_id"]
                            report.accepted_events.append(accepted)
                    elif len(report.errors) < 20:
                        report.errors.append(result.get("error", ""))
                on_batch(len(batch))

        workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
        for batch in batched(events, batch_size):
            await queue.put(batch)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    return report
