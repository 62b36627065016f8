"""Ingest throughput: the load generator as a separate process against the API and a bare app."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from pulse.local.process import ManagedProcess, wait_until
from pulse.local.stack import http_ok


def load(url: str, key: str, batch: int, concurrency: int, seconds: float) -> dict[str, float]:
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--url",
        url,
        "--key",
        key,
        "--batch",
        str(batch),
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 120)
    return dict(orjson.loads(out.stdout.strip().splitlines()[-1]))


@contextmanager
def empty_app(port: int, work: Path) -> Iterator[str]:
    """uvicorn serving bench.empty_app the way `python -m ingest_api` serves the API."""
    proc = ManagedProcess("empty_app", work / "empty_app.pid", work / "empty_app.log")
    proc.spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.empty_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/docs"), 30, "empty FastAPI app", alive=proc.is_running)
        yield url
    finally:
        proc.stop()
