"""``AsyncClient``: the same client for asyncio services, sending from a task on their loop."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
from types import TracebackType
from typing import Any

import httpx

from pulse_client.buffer import Buffer
from pulse_client.encoding import Encoded
from pulse_client.helpers import EventMethods
from pulse_client.options import Options
from pulse_client.sender import Sender, halves
from pulse_client.stats import Stats
from pulse_client.transport import Backoff, Outcome, body_of, classify, failure, headers
from pulse_client.verdicts import Callback, Reporter

log = logging.getLogger("pulse_client")


class AsyncClient(EventMethods):
    """Like :class:`Client`, on an event loop: ``async with AsyncClient(url, key) as c: ...``.

    ``track`` and the typed methods queue without I/O, so they are plain calls (from the
    loop's thread); ``await flush()`` and ``await aclose()`` wait for delivery. The overflow
    policy ``block`` would stall the loop and is refused. If the loop ends before ``aclose``,
    what is left is sent at interpreter exit, synchronously, with the same event ids.
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        source: str | None = None,
        on_rejected: Callback | None = None,
        on_failed: Callback | None = None,
        options: Options | None = None,
        **option_overrides: Any,
    ) -> None:
        self.options = o = options or Options.of(**option_overrides)
        if o.overflow == "block":
            raise ValueError("AsyncClient cannot block the event loop: use drop_newest/oldest")
        self.url, self._key = url, key
        self.stats = Stats()
        self._source, self._validate = source, o.validate
        self._report = Reporter(self.stats, on_rejected, on_failed)
        self._buffer = Buffer(
            o.max_queue_events, o.max_queue_bytes, o.overflow, self.stats, self._report.dropped
        )
        self._buffer.max_batch_hint = o.max_batch_events
        self._task: asyncio.Task[None] | None = None
        self._inflight: list[Encoded] = []
        if o.flush_at_exit:
            atexit.register(self._send_leftovers)

    def _start(self) -> None:
        loop = asyncio.get_running_loop()  # RuntimeError outside a loop, which says so
        self._loop = loop
        self._wake, self._progress, self._abort = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._buffer.wakeup = self._nudge
        self._http = httpx.AsyncClient(
            base_url=self.url.rstrip("/"),
            headers=headers(self._key, self.options.gzip),
            timeout=self.options.request_timeout,
        )
        self._task = loop.create_task(self._run(), name="pulse-client-sender")

    def _nudge(self) -> None:
        """Wake the sender task, from any thread; nothing to wake once the loop is closed."""
        if not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake.set)

    def _put(self, item: Encoded) -> bool:
        if self._task is None:
            self._start()
        return self._buffer.put(item)

    async def _wait_ready(self) -> bool:
        o, buffer = self.options, self._buffer
        while not len(buffer) and not buffer.closed:
            self._wake.clear()
            if not len(buffer) and not buffer.closed:
                await self._wake.wait()
        if not len(buffer):
            return False
        deadline = time.monotonic() + o.linger
        while not buffer.ready(o.max_batch_events, o.max_batch_bytes):
            self._wake.clear()
            left = deadline - time.monotonic()
            if left <= 0 or buffer.ready(o.max_batch_events, o.max_batch_bytes):
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)
        return True

    async def _run(self) -> None:
        o = self.options
        while await self._wait_ready():
            self._inflight = batch = self._buffer.take(o.max_batch_events, o.max_batch_bytes)
            cancelled = False
            try:
                await self._deliver(batch)
            except asyncio.CancelledError:  # the loop is ending: the batch is sent at exit
                cancelled = True
                raise
            except Exception as exc:
                log.exception("pulse_client: unexpected error sending a batch")
                self._report.failed(batch, f"unexpected error: {exc!r}")
            finally:
                if not cancelled:
                    self._inflight = []
                self._buffer.settle()
                self._progress.set()
            if self._abort.is_set():
                self._report.failed(self._buffer.drain(), "still queued at close's deadline")

    async def _post(self, body: bytes) -> Outcome:
        try:
            return classify(await self._http.post("/v1/events", content=body))
        except httpx.HTTPError as exc:
            return failure(exc)

    async def _deliver(self, batch: list[Encoded]) -> None:
        body = body_of(batch, self.options.gzip)
        backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)
        started = time.monotonic()
        while True:
            outcome = await self._post(body)
            self.stats.add(requests=1, retries=int(backoff.attempt > 0))
            if outcome.kind == "delivered":
                return self._report.delivered(batch, outcome.results)
            if outcome.kind == "too_large" and len(batch) > 1:
                for half in halves(batch):
                    await self._deliver(half)
                return None
            if outcome.kind != "retry":
                return self._report.failed(batch, outcome.error)
            delay = backoff.delay(outcome)
            budget = self.options.max_retry_seconds
            if budget is not None and time.monotonic() - started + delay > budget:
                return self._report.failed(batch, f"retries spent ({budget} s): {outcome.error}")
            log.warning(
                "pulse_client: %s; retrying in %.1f s with the same ids", outcome.error, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._abort.wait(), delay)
            if self._abort.is_set():
                return self._report.failed(batch, f"unsent at close's deadline: {outcome.error}")

    async def flush(self, timeout: float | None = None) -> bool:
        """Send what is queued now; wait until each event is delivered, rejected or given up."""
        if self._task is None:
            return True
        target = self._buffer.request_flush()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._buffer.flushed(target):
            self._progress.clear()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), left)
        return True

    async def aclose(self, timeout: float | None = None) -> None:
        """Deliver what is queued, for at most ``timeout`` s; count the rest as failed."""
        atexit.unregister(self._send_leftovers)
        self._buffer.close()
        if self._task is None:
            return
        timeout = self.options.shutdown_timeout if timeout is None else timeout
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._abort.set()
            await asyncio.wait_for(self._task, self.options.request_timeout + 1)
        finally:
            await self._http.aclose()

    def _send_leftovers(self) -> None:
        """At exit without ``aclose``: send what is left from this thread, same ids, bounded."""
        atexit.unregister(self._send_leftovers)
        leftovers = self._inflight + self._buffer.drain()
        self._buffer.close()
        if not leftovers:
            return
        log.warning("pulse_client: sending %d event(s) left at exit", len(leftovers))
        sender = Sender(self.url, self._key, self._buffer, self.options, self.stats, self._report)
        timer = threading.Timer(self.options.shutdown_timeout, sender.abort.set)
        timer.start()
        try:
            for start in range(0, len(leftovers), self.options.max_batch_events):
                batch = leftovers[start : start + self.options.max_batch_events]
                if sender.abort.is_set():
                    self._report.failed(batch, "still queued at close's deadline")
                else:
                    sender.deliver(batch)
        finally:
            timer.cancel()
            sender.http.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
