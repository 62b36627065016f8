"""CORS for browser producers: allowed origins get allow headers, others none, off by default."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ingest_api.main import create_app
from tests.integration.ingest_api.conftest import SettingsFactory, auth, running, viewed

pytestmark = pytest.mark.anyio

ALLOWED = "https://app.example.test"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


@pytest.fixture
async def cors_client(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(PULSE_API_CORS_ORIGINS=f"{ALLOWED},http://localhost:5173")
    async for c in running(create_app(settings)):
        yield c


async def test_preflight_from_an_allowed_origin_is_allowed(cors_client: httpx.AsyncClient) -> None:
    r = await cors_client.options("/v1/events", headers={"Origin": ALLOWED} | PREFLIGHT)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed_headers = r.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "access-control-allow-credentials" not in r.headers


async def test_post_from_an_allowed_origin_exposes_retry_after(
    cors_client: httpx.AsyncClient,
) -> None:
    r = await cors_client.post("/v1/events", json=viewed(), headers=auth() | {"Origin": ALLOWED})
    assert r.status_code == 202
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()


async def test_preflight_from_another_origin_gets_no_allow_header(
    cors_client: httpx.AsyncClient,
) -> None:
    other = {"Origin": "https://evil.example.test"}
    r = await cors_client.options("/v1/events", headers=other | PREFLIGHT)
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers
    posted = await cors_client.post("/v1/events", json=viewed(), headers=auth() | other)
    assert "access-control-allow-origin" not in posted.headers


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    r = await client.options("/v1/events", headers={"Origin": ALLOWED} | PREFLIGHT)
    assert r.status_code == 405
    assert "access-control-allow-origin" not in r.headers
    posted = await client.post("/v1/events", json=viewed(), headers=auth() | {"Origin": ALLOWED})
    assert posted.status_code == 202
    assert "access-control-allow-origin" not in posted.headers
