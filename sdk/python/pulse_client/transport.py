"""One POST of a batch and what its answer means: delivered, retry later, split, or give up."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from pulse_client.encoding import Encoded

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_AFTER_CEILING = 300.0  # a hostile or broken Retry-After never parks the sender longer
Kind = Literal["delivered", "retry", "too_large", "fatal"]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to; ``results`` are the server's per-event verdicts on a 202."""

    kind: Kind
    status: int | None = None
    retry_after: float | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def body_of(batch: list[Encoded], compress: bool) -> bytes:
    """The JSON array of the batch's encoded events, gzipped when ``compress``."""
    raw = b"[" + b",".join(item.body for item in batch) + b"]"
    return gzip.compress(raw, compresslevel=5) if compress else raw


def headers(key: str, compress: bool) -> dict[str, str]:
    values = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if compress:
        values["Content-Encoding"] = "gzip"
    return values


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def classify(response: httpx.Response) -> Outcome:
    """The outcome of an answered POST."""
    status = response.status_code
    if status in (200, 202):
        try:
            results = json.loads(response.content)["results"]
        except (ValueError, KeyError, TypeError):
            return Outcome("fatal", status, error="202 without per-event results")
        return Outcome("delivered", status, results=results)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    error = f"HTTP {status}: {response.text[:500]}"
    if status in RETRYABLE or status >= 500:
        return Outcome("retry", status, retry_after, error=error)
    if status == 413:
        return Outcome("too_large", status, error=error)
    return Outcome("fatal", status, error=error)


def failure(exc: httpx.HTTPError) -> Outcome:
    """The outcome of a POST that got no answer: always worth retrying with the same ids."""
    return Outcome("retry", error=f"{type(exc).__name__}: {exc}")


@dataclass
class Backoff:
    """Exponential delays with jitter, never shorter than the server's ``Retry-After``.

    ``max_elapsed`` (seconds from the first attempt) bounds the retries of one batch; None
    retries for as long as the client is open, so an API down for minutes loses nothing.
    """

    initial: float = 0.5
    maximum: float = 30.0
    max_elapsed: float | None = None
    attempt: int = 0

    def delay(self, outcome: Outcome) -> float:
        base = min(self.maximum, self.initial * 2.0**self.attempt)
        self.attempt += 1
        wait = base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not secrecy
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, RETRY_AFTER_CEILING))
        return wait
