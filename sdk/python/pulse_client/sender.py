"""The background thread that batches, gzips, posts and retries, for the sync client."""

from __future__ import annotations

import logging
import threading
import time

import httpx

from pulse_client.buffer import Buffer
from pulse_client.encoding import Encoded
from pulse_client.options import Options
from pulse_client.stats import Stats
from pulse_client.transport import Backoff, Outcome, body_of, classify, failure, headers
from pulse_client.verdicts import Reporter

log = logging.getLogger("pulse_client")


def halves(batch: list[Encoded]) -> tuple[list[Encoded], list[Encoded]]:
    middle = len(batch) // 2
    return batch[:middle], batch[middle:]


class Sender(threading.Thread):
    """Takes batches from the buffer, one at a time, in order, until the buffer is closed.

    A batch is retried (the very same bytes, so the same event ids) until it is answered with
    verdicts, found permanently bad, out of its retry budget, or the client's close deadline
    passes (``abort``); it never holds more than one batch, so the queue bounds memory.
    """

    def __init__(
        self, url: str, key: str, buffer: Buffer, options: Options, stats: Stats, report: Reporter
    ) -> None:
        super().__init__(name="pulse-client-sender", daemon=True)
        self.buffer, self.options, self.stats, self.report = buffer, options, stats, report
        self.abort = threading.Event()
        self.http = httpx.Client(
            base_url=url.rstrip("/"),
            headers=headers(key, options.gzip),
            timeout=options.request_timeout,
        )

    def run(self) -> None:
        o = self.options
        try:
            while self.buffer.wait_ready(o.max_batch_events, o.max_batch_bytes, o.linger):
                batch = self.buffer.take(o.max_batch_events, o.max_batch_bytes)
                try:
                    self.deliver(batch)
                except Exception as exc:  # a bug must not stop delivery of later batches
                    log.exception("pulse_client: unexpected error sending a batch")
                    self.report.failed(batch, f"unexpected error: {exc!r}")
                finally:
                    self.buffer.settle()
                if self.abort.is_set():
                    self.report.failed(self.buffer.drain(), "still queued at close's deadline")
        finally:
            self.http.close()

    def post(self, body: bytes) -> Outcome:
        try:
            return classify(self.http.post("/v1/events", content=body))
        except httpx.HTTPError as exc:
            return failure(exc)

    def deliver(self, batch: list[Encoded]) -> None:
        body = body_of(batch, self.options.gzip)
        backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)
        started = time.monotonic()
        while True:
            outcome = self.post(body)
            self.stats.add(requests=1, retries=int(backoff.attempt > 0))
            if outcome.kind == "delivered":
                return self.report.delivered(batch, outcome.results)
            if outcome.kind == "too_large" and len(batch) > 1:
                for half in halves(batch):
                    self.deliver(half)
                return None
            if outcome.kind != "retry":
                return self.report.failed(batch, outcome.error)
            delay = backoff.delay(outcome)
            budget = self.options.max_retry_seconds
            if budget is not None and time.monotonic() - started + delay > budget:
                return self.report.failed(batch, f"retries spent ({budget} s): {outcome.error}")
            log.log(
                logging.WARNING if backoff.attempt == 1 else logging.DEBUG,
                "pulse_client: %d event(s) not sent (%s); retrying in %.1f s with the same ids",
                len(batch),
                outcome.error,
                delay,
            )
            if self.abort.wait(delay):
                return self.report.failed(batch, f"unsent at close's deadline: {outcome.error}")
