"""The app as deployed: ``python -m ingest_api`` on a real port, OpenAPI and docs, JSON logs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.ingest_api.conftest import KEYS, PRODUCER_KEY, viewed
from tests.polling import eventually
from tests.stack import free_port

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def served_api(kafka_bootstrap: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``python -m ingest_api`` on a free port; its base URL and its log file."""
    port = free_port()
    env = os.environ | {
        "PULSE_API_PORT": str(port),
        "PULSE_API_KEYS": KEYS,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PULSE_EVENTS_TOPIC": f"test.served.{port}",
        # An accepted post's access line is DEBUG (ingest_api/middleware.py).
        "PULSE_API_LOG_LEVEL": "DEBUG",
    }
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest_api"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the API did not start within 30 s"
            time.sleep(0.1)
        yield url, log
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_served_api_accepts_events_and_logs_json_lines_with_the_request_id(
    served_api: tuple[str, Path],
) -> None:
    url, log = served_api
    response = httpx.post(
        f"{url}/v1/events",
        content=orjson.dumps(viewed()),
        timeout=15,
        headers={
            "Authorization": f"Bearer {PRODUCER_KEY}",
            "Content-Type": "application/json",
            "X-Request-ID": "served-req-1",
        },
    )
    assert response.status_code == 202

    def logged() -> list[dict[str, Any]]:
        text = log.read_text()
        return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]

    # The request's log line may reach the file just after the answer: poll with a deadline.
    lines = eventually(
        logged,
        lambda found: any(line["request_id"] == "served-req-1" for line in found),
        timeout=15,
        what="a log line carrying the request id",
    )
    ours = [line for line in lines if line["request_id"] == "served-req-1"]
    assert ours, "no log line carries the request id"
    assert {"timestamp", "level", "message", "service"} <= set(ours[0])
    assert all(line["service"] == "ingest_api" for line in lines)
    assert PRODUCER_KEY not in log.read_text()


def test_openapi_documents_the_events_route_and_docs_are_served(
    served_api: tuple[str, Path],
) -> None:
    url, _ = served_api
    spec = httpx.get(f"{url}/openapi.json", timeout=5).json()
    post = spec["paths"]["/v1/events"]["post"]
    assert set(post["responses"]) >= {"202", "400", "401", "403", "413", "415", "429", "503"}
    assert "UUIDv5" in post["description"]
    assert "oneOf" in post["requestBody"]["content"]["application/json"]["schema"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = httpx.get(f"{url}/docs", timeout=5)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
