"""Liveness and readiness, against a real broker and against a closed port."""

from __future__ import annotations

import httpx
import pytest

from ingest_api.main import create_app
from tests.integration.ingest_api.conftest import SettingsFactory, running
from tests.stack import free_port

pytestmark = pytest.mark.anyio


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_kafka_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "kafka": True}


async def test_readyz_is_503_when_kafka_is_unreachable(make_settings: SettingsFactory) -> None:
    settings = make_settings(KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    async for client in running(create_app(settings)):
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "not ready", "kafka": False}
