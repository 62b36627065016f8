"""Access control over every route of the app: each role, no key and a bad key, one request each.

The matrix: producer only writes (POST /v1/events), analyst only reads (/v1/reports/*,
/v1/users/*), admin both; health, metrics and the docs are open to anyone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from loguru import logger

from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from tests.integration.ingest_api.conftest import (
    ADMIN_KEY,
    ANALYST_KEY,
    KEYS,
    PRODUCER_KEY,
    running,
    viewed,
)

pytestmark = pytest.mark.anyio

CALLERS: dict[str, str | None] = {
    "producer": PRODUCER_KEY,
    "analyst": ANALYST_KEY,
    "admin": ADMIN_KEY,
    "no key": None,
    "bad key": "not-a-key-of-this-api",
}
WRITES = ("/v1/events",)
READS = ("/v1/reports/", "/v1/users/")
RANGE = {"from": "2025-01-06", "to": "2025-01-08"}
QUERIES: dict[str, dict[str, str]] = {
    "/v1/reports/dau": RANGE,
    "/v1/reports/subjects/top": RANGE,
    "/v1/reports/heatmap": RANGE,
    "/v1/reports/events": RANGE | {"format": "csv"},
}


def expected_status(path: str, caller: str) -> str:
    """``open``, ``allowed``, ``401`` or ``403`` for ``caller`` on ``path``."""
    needs = "write" if path.startswith(WRITES) else "read" if path.startswith(READS) else None
    if needs is None:
        return "open"
    if caller in ("no key", "bad key"):
        return "401"
    grants = {"producer": {"write"}, "analyst": {"read"}, "admin": {"write", "read"}}[caller]
    return "allowed" if needs in grants else "403"


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route of ``app.routes`` (included routers opened), HEAD aside."""
    found = []
    for route in iter_route_contexts(app.routes):
        assert route.path is not None, f"route without a path: {route!r}"
        for method in sorted(route.methods or ()):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path_format))  # "{user_id}", as OpenAPI names it
    return found


def request_of(method: str, path: str, key: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    kwargs: dict[str, Any] = {
        "method": method,
        "url": path.replace("{user_id}", "student-42"),
        "headers": headers,
        "params": QUERIES.get(path, {}),
    }
    if method == "POST":
        kwargs["json"] = viewed()
    return kwargs


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def api(
    kafka_bootstrap: str, reports_database: tuple[str, str]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url, database = reports_database
    app = create_app(
        ApiSettings(  # type: ignore[call-arg]
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            PULSE_API_KEYS=KEYS,
            CLICKHOUSE_URL=url,
            CLICKHOUSE_DATABASE=database,
            PULSE_EVENTS_TOPIC="test.access.events",
            PULSE_DLQ_TOPIC="test.access.dlq",
            PULSE_EVENTS_PARTITIONS=1,
        )
    )
    async for client in running(app):
        yield app, client


async def test_every_route_admits_exactly_the_roles_the_matrix_grants(
    api: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = api
    routes = endpoints(app)
    assert ("POST", "/v1/events") in routes and ("GET", "/v1/users/{user_id}/summary") in routes
    checked = []
    for method, path in routes:
        for caller, key in CALLERS.items():
            response = await client.request(**request_of(method, path, key))
            expected = expected_status(path, caller)
            status = response.status_code
            if expected in ("open", "allowed"):
                ok = status < 400 or (path.endswith("/summary") and status == 404)
            else:
                ok = status == int(expected)
            assert ok, f"{caller} {method} {path}: {status} {response.text[:200]}, want {expected}"
            checked.append((method, path, caller))
    logger.info("access matrix: {} routes x {} callers checked", len(routes), len(CALLERS))
    assert len(checked) == len(routes) * len(CALLERS) >= 12 * 5


async def test_refusals_say_what_to_change(api: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = api
    missing = await client.get("/v1/reports/dau", params=RANGE)
    assert missing.status_code == 401
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong_role = await client.post(
        "/v1/events", json=viewed(), headers={"Authorization": f"Bearer {ANALYST_KEY}"}
    )
    assert wrong_role.status_code == 403
    assert "role admin or producer" in wrong_role.json()["detail"]


async def test_keys_never_appear_in_the_logs(api: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = api
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message} {extra}")
    try:
        for key in (*CALLERS.values(), "guessed-key-123"):
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            await client.post("/v1/events", json=viewed(), headers=headers)
            await client.get("/v1/reports/dau", params=RANGE, headers=headers)
    finally:
        logger.remove(sink)
    text = "\n".join(lines)
    assert "refused" in text  # the refusals were logged...
    for key in (*CALLERS.values(), "guessed-key-123"):
        assert key is None or key not in text  # ...without any key
