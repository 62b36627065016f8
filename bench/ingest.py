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
    """wrk POSTing batches of ``batch`` events to ``url`` for ``seconds``; its figures."""
    return post(url, key, bodies(batch), batch, connections, seconds, work / "wrk")


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
