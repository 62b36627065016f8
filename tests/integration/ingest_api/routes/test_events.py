"""``POST /v1/events`` against a real Kafka broker, one contract behaviour per test."""

from __future__ import annotations

import gzip
import zlib

import httpx
import orjson
import pytest

from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from schemas import EventRecord
from tests.integration.ingest_api.conftest import (
    ADMIN_KEY,
    ANALYST_KEY,
    SettingsFactory,
    auth,
    consume,
    running,
    viewed,
)

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, body: object, **headers: str) -> httpx.Response:
    return await client.post(
        "/v1/events",
        content=orjson.dumps(body),
        headers={"Content-Type": "application/json", **auth(), **headers},
    )


async def test_single_event_is_accepted_and_lands_keyed_by_user_with_request_id(
    client: httpx.AsyncClient, settings: ApiSettings
) -> None:
    response = await post(client, viewed("student-7"), **{"X-Request-ID": "req-abc"})
    assert response.status_code == 202
    assert response.headers["X-Request-ID"] == "req-abc"
    body = response.json()
    assert body["accepted"] == 1 and body["rejected"] == 0
    event_id = body["results"][0]["event_id"]

    [message] = await consume(settings.kafka_bootstrap_servers, settings.events_topic, 1)
    assert message.key == b"student-7"
    assert (("request_id", b"req-abc")) in list(message.headers)
    record = EventRecord.model_validate_json(message.value)
    assert str(record.event_id) == event_id
    assert record.request_id == "req-abc"
    assert record.metadata == {"assignment_id": "hw-7", "subject": "math"}


async def test_batch_with_an_invalid_event_gets_per_event_verdicts(
    client: httpx.AsyncClient, settings: ApiSettings
) -> None:
    bad = viewed(metadata={"subject": "math"})
    response = await post(client, [viewed("a"), viewed("b"), bad])
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2 and body["rejected"] == 1
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted", "rejected"]
    assert body["results"][2] == {
        "index": 2,
        "status": "rejected",
        "error": "metadata.assignment_id: field required",
    }
    landed = await consume(settings.kafka_bootstrap_servers, settings.events_topic, 2)
    assert sorted(m.key for m in landed) == [b"a", b"b"]


async def test_event_over_32_kb_is_rejected_alone(client: httpx.AsyncClient) -> None:
    big = viewed(metadata={"assignment_id": "hw-7", "subject": "math", "notes": "x" * 33_000})
    body = (await post(client, [big, viewed("b")])).json()
    assert body["accepted"] == 1
    assert body["results"][0]["status"] == "rejected"
    assert "32768" in body["results"][0]["error"]


async def test_batch_over_1000_events_is_413(client: httpx.AsyncClient) -> None:
    batch = [viewed(f"u{i}") for i in range(1001)]
    assert (await post(client, batch)).status_code == 413


async def test_body_over_1_mib_is_413(client: httpx.AsyncClient) -> None:
    padding = "x" * 30_000
    batch = [viewed(f"u{i}", metadata={"pad": padding}) for i in range(40)]
    assert len(orjson.dumps(batch)) > 1024 * 1024
    assert (await post(client, batch)).status_code == 413


async def test_gzip_body_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/events",
        content=gzip.compress(orjson.dumps([viewed("a"), viewed("b")])),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip", **auth()},
    )
    assert response.status_code == 202
    assert response.json()["accepted"] == 2


async def test_gzip_bomb_is_413(client: httpx.AsyncClient) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1024 * 1024)
    bomb = b"".join(compressor.compress(zeros) for _ in range(64)) + compressor.flush()
    response = await client.post(
        "/v1/events",
        content=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip", **auth()},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("raw", [b"{not json", b'["\xff"]', b"42", b'"an event"'])
async def test_body_that_is_not_an_object_or_array_of_json_is_400(
    client: httpx.AsyncClient, raw: bytes
) -> None:
    response = await client.post(
        "/v1/events", content=raw, headers={"Content-Type": "application/json", **auth()}
    )
    assert response.status_code == 400
    assert response.json()["detail"]


async def test_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/events",
        content=orjson.dumps(viewed()),
        headers={"Content-Type": "text/plain", **auth()},
    )
    assert response.status_code == 415


async def test_missing_key_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/events", json=viewed())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await post(client, viewed(), Authorization="Bearer not-a-key")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


async def test_analyst_key_posting_events_is_403(client: httpx.AsyncClient) -> None:
    assert (await post(client, viewed(), **auth(ANALYST_KEY))).status_code == 403


async def test_admin_key_may_post_events(client: httpx.AsyncClient) -> None:
    assert (await post(client, viewed(), **auth(ADMIN_KEY))).status_code == 202


async def test_assigned_event_ids_are_stable_across_retries(client: httpx.AsyncClient) -> None:
    batch = [viewed("a"), viewed("b")]
    first = (await post(client, batch)).json()["results"]
    retry = (await post(client, batch)).json()["results"]
    assert [r["event_id"] for r in first] == [r["event_id"] for r in retry]
    assert first[0]["event_id"] != first[1]["event_id"]


async def test_client_event_id_is_kept(client: httpx.AsyncClient) -> None:
    own = "0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11"
    body = (await post(client, viewed(event_id=own))).json()
    assert body["results"][0]["event_id"] == own


async def test_same_event_twice_in_one_batch_is_accepted_once_with_one_id(
    client: httpx.AsyncClient,
) -> None:
    body = (await post(client, [viewed(), viewed()])).json()
    assert body["accepted"] == 2 and body["rejected"] == 0
    assert body["results"][0]["event_id"] == body["results"][1]["event_id"]


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    response = await post(client, viewed())
    assert len(response.headers["X-Request-ID"]) == 32


async def test_key_over_its_rate_gets_429_with_retry_after(make_settings: SettingsFactory) -> None:
    settings = make_settings(PULSE_API_RATE_LIMIT_PER_SECOND=0.01, PULSE_API_RATE_LIMIT_BURST=2)
    async for client in running(create_app(settings)):
        statuses = [(await post(client, viewed(f"u{i}"))).status_code for i in range(2)]
        assert statuses == [202, 202]
        limited = await post(client, viewed("u3"))
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
