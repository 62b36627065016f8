"""The ingest API as a real ``python -m ingest_api`` process (uvicorn) on a free port."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pulse.local.process import ManagedProcess, wait_until
from tests.stack import free_port

PRODUCER_KEY = "security-producer-key"
ApiLauncher = Callable[..., tuple[str, ManagedProcess]]


def _ready(url: str, verify: object) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2, verify=verify).status_code == 200  # type: ignore[arg-type]
    except httpx.HTTPError:
        return False


@pytest.fixture
def launch_api(kafka_bootstrap: str, tmp_path: Path) -> Iterator[ApiLauncher]:
    """Start the API with extra environment; returns (base URL, process); stopped after."""
    started: list[ManagedProcess] = []

    def launch(
        scheme: str = "http", verify: object = True, **env: str
    ) -> tuple[str, ManagedProcess]:
        port = free_port()
        proc = ManagedProcess(
            name="ingest_api",
            pid_file=tmp_path / f"api-{port}.pid",
            log_file=tmp_path / f"api-{port}.log",
        )
        proc.spawn(
            [sys.executable, "-m", "ingest_api"],
            env={
                "PULSE_API_HOST": "127.0.0.1",
                "PULSE_API_PORT": str(port),
                "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                "PULSE_API_KEYS": f"{PRODUCER_KEY}:producer",
                "PULSE_EVENTS_TOPIC": f"test.security.{port}",
                "PULSE_EVENTS_PARTITIONS": "1",
                "PULSE_API_LOG_LEVEL": "WARNING",
            }
            | env,
            cwd=tmp_path,  # no stray .env
        )
        started.append(proc)
        url = f"{scheme}://127.0.0.1:{port}"
        wait_until(lambda: _ready(url, verify), 30, f"ingest API at {url}", alive=proc.is_running)
        return url, proc

    yield launch
    for proc in started:
        proc.stop(grace=10)
