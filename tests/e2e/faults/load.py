"""Sustained load for fault scenarios: batches of unique events posted at a steady rate.

The generator runs its own event loop in a background thread, so the test's thread is free to
kill and restart processes. It never retries: every request's outcome is recorded as it came
(status, ``Retry-After``, or the transport error), which makes the accepted set exact.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from tests.polling import eventually


@dataclass(frozen=True)
class Outcome:
    """One request of the load: when it ran, what it carried and what came back."""

    started: float
    ended: float
    event_ids: tuple[str, ...]
    status: int | None
    retry_after: str | None = None
    error: str | None = None
    accepted_ids: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status == 202

    def within(self, after: float, before: float = float("inf")) -> bool:
        """True if the request started after ``after`` and was answered before ``before``."""
        return self.started > after and self.ended < before


def make_events(tag: str, first: int, n: int) -> list[dict[str, Any]]:
    """``n`` valid events with fresh uuid4 ids; ``source`` carries the scenario's tag."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return [
        {
            "event_id": str(uuid.uuid4()),
            "event": "assignment.heartbeat",
            "user_id": f"{tag}-user-{(first + i) % 40}",
            "timestamp": now,
            "source": tag,
            "session_id": f"{tag}-s-{(first + i) % 7}",
            "metadata": {"assignment_id": f"hw-{(first + i) % 9}", "subject": "math"},
        }
        for i in range(n)
    ]


def _accepted_ids(resp: httpx.Response) -> tuple[str, ...]:
    results = resp.json()["results"]
    return tuple(r["event_id"] for r in results if r["status"] == "accepted")


class LoadGenerator:
    """Posts ``batch``-event requests from ``concurrency`` clients at about ``rate`` events/s."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        tag: str,
        rate: float = 300.0,
        batch: int = 50,
        concurrency: int = 2,
        timeout: float = 20.0,
    ) -> None:
        self.api_url, self.tag = api_url, tag
        self.rate, self.batch, self.concurrency, self.timeout = rate, batch, concurrency, timeout
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"load-{tag}", daemon=True)
        self._failure: BaseException | None = None
        self._counter = 0

    def __enter__(self) -> LoadGenerator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> list[Outcome]:
        """Stop posting, wait for the requests in flight, return every outcome."""
        self._stopping.set()
        self._thread.join(timeout=self.timeout + 10)
        assert not self._thread.is_alive(), "the load generator did not stop"
        return self.outcomes()

    def outcomes(self) -> list[Outcome]:
        """A snapshot of the outcomes so far (fails the test if the generator itself broke)."""
        assert self._failure is None, f"the load generator failed: {self._failure!r}"
        with self._lock:
            return list(self._outcomes)

    def wait_for(
        self,
        what: str,
        predicate: Callable[[Outcome], bool],
        count: int = 1,
        timeout: float = 60.0,
    ) -> list[Outcome]:
        """Keep loading until ``count`` outcomes match ``predicate``; return those."""
        return eventually(
            lambda: [o for o in self.outcomes() if predicate(o)],
            lambda found: len(found) >= count,
            timeout=timeout,
            interval=0.1,
            what=f"{count} requests {what}",
        )

    def keep_loading(self, seconds: float) -> None:
        """Let the load run for ``seconds`` (a phase of the scenario), watching the generator."""
        deadline = time.monotonic() + seconds
        while not self._stopping.wait(min(0.5, max(0.0, deadline - time.monotonic()))):
            self.outcomes()
            if time.monotonic() >= deadline:
                return

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # noqa: BLE001 - reported by outcomes() in the test thread
            self._failure = exc

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(
            base_url=self.api_url, headers=self._headers, timeout=self.timeout, limits=limits
        ) as client:
            await asyncio.gather(*(self._client_loop(client) for _ in range(self.concurrency)))

    def _next_batch(self) -> list[dict[str, Any]]:
        first, self._counter = self._counter, self._counter + self.batch
        return make_events(self.tag, first, self.batch)

    async def _client_loop(self, client: httpx.AsyncClient) -> None:
        interval = self.concurrency * self.batch / self.rate
        for slot in _slots(interval):
            if self._stopping.is_set():
                return
            await asyncio.sleep(max(0.0, slot - time.monotonic()))  # pacing, not synchronisation
            outcome = await self._post(client, self._next_batch())
            with self._lock:
                self._outcomes.append(outcome)

    async def _post(self, client: httpx.AsyncClient, batch: list[dict[str, Any]]) -> Outcome:
        ids = tuple(e["event_id"] for e in batch)
        started = time.monotonic()
        try:
            resp = await client.post("/v1/events", content=orjson.dumps(batch))
        except httpx.TransportError as exc:
            return Outcome(started, time.monotonic(), ids, None, error=type(exc).__name__)
        accepted = _accepted_ids(resp) if resp.status_code == 202 else ()
        return Outcome(
            started,
            time.monotonic(),
            ids,
            resp.status_code,
            retry_after=resp.headers.get("Retry-After"),
            accepted_ids=accepted,
        )


def _slots(interval: float) -> Iterator[float]:
    """Send times ``interval`` apart; a late client starts again from now instead of bursting."""
    slot = time.monotonic()
    while True:
        yield slot
        slot = max(slot + interval, time.monotonic())
