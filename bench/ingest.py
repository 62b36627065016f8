"""Ingest throughput: wrk against the API and against an empty endpoint served the same way."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from bench.loadgen import event
from bench.wrk import post
from pulse.local.process import ManagedProcess, wait_until
from pulse.local.stack import REPO_ROOT, http_ok

EVENTS_PER_SIZE = 4000  # distinct events prepared for each batch size (at least 4 bodies)
# Seconds of the same load, not counted, before each measured run. The stack's broker starts
# seconds before the first ingest run and its JVM is still compiling the transactional paths:
# measured from cold, single events ran at ~900 requests/s, then ~1,600 and ~2,300 in the next
# runs of the same load on the same broker (8 s each), so the first row measured the JIT.
WARM_UP_S = 10.0


def bodies(batch: int) -> list[bytes]:
    """Request bodies of ``batch`` events each (one object for 1), distinct events throughout."""
    count = max(4, EVENTS_PER_SIZE // batch)
    out = []
    for b in range(count):
        items = [event(b * batch + j) for j in range(batch)]
        out.append(orjson.dumps(items[0] if batch == 1 else items))
    return out


def load(
    url: str, key: str, batch: int, connections: int, seconds: float, work: Path
) -> dict[str, Any]:
    """wrk POSTing batches of ``batch`` events to ``url`` for ``seconds``, after
    :data:`WARM_UP_S` of the same load (ceilings too, so both sides are warm); its figures."""
    prepared = bodies(batch)
    post(url, key, prepared, batch, connections, min(seconds, WARM_UP_S), work / "wrk")
    return post(url, key, prepared, batch, connections, seconds, work / "wrk")


@contextmanager
def empty_app(port: int, work: Path) -> Iterator[str]:
    """``python -m bench.empty_app``: the API's uvicorn settings, an endpoint that does nothing."""
    proc = ManagedProcess("empty_app", work / "empty_app.pid", work / "empty_app.log")
    env = {"PULSE_API_HOST": "127.0.0.1", "PULSE_API_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    proc.spawn([sys.executable, "-m", "bench.empty_app"], env=env, cwd=REPO_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/healthz"), 30, "empty endpoint", alive=proc.is_running)
        yield url
    finally:
        proc.stop()
