"""``POST /v1/events`` at the edges of the contract: event time range, conflicting ids in one
request, multi-member gzip bodies; against a real Kafka broker."""

from __future__ import annotations

import gzip
import zlib

import httpx
import orjson
import pytest

from ingest_api.config import ApiSettings
from schemas import EventRecord
from tests.integration.ingest_api.conftest import auth, consume, viewed

pytestmark = pytest.mark.anyio

EVENT_ID = "0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11"


async def post(client: httpx.AsyncClient, content: bytes, gzipped: bool = False) -> httpx.Response:
    headers = {"Content-Type": "application/json", **auth()}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return await client.post("/v1/events", content=content, headers=headers)


async def test_an_unrepresentable_timestamp_in_1000_events_is_202_rejecting_only_that_item(
    client: httpx.AsyncClient, settings: ApiSettings
) -> None:
    batch = [viewed(f"user-{i}") for i in range(1000)]
    batch[421]["timestamp"] = "0001-01-01T00:30:00+01:00"
    response = await post(client, orjson.dumps(batch))

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (999, 1)
    assert body["results"][421]["status"] == "rejected"
    assert body["results"][421]["error"].startswith("timestamp: is out of range in UTC")
    messages = await consume(settings.kafka_bootstrap_servers, settings.events_topic, 999)
    assert len(messages) == 999


async def test_a_1969_timestamp_is_rejected_with_the_range(client: httpx.AsyncClient) -> None:
    response = await post(client, orjson.dumps([viewed(timestamp="1969-12-31T23:59:59Z")]))
    assert response.status_code == 202
    assert response.json()["results"][0] == {
        "index": 0,
        "status": "rejected",
        "error": "timestamp: is before 1970-01-01T00:00:00Z: must be between "
        "1970-01-01T00:00:00Z and 24 h from now",
    }


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59-01:00", "2026-11-20T14:03:07." + "9" * 5000 + "Z"]
)
async def test_other_extreme_timestamps_are_verdicts_never_5xx(
    client: httpx.AsyncClient, stamp: str
) -> None:
    response = await post(client, orjson.dumps([viewed(timestamp=stamp), viewed("b")]))
    assert response.status_code == 202
    assert response.json()["accepted"] >= 1


async def test_one_event_id_with_two_contents_rejects_the_second_copy(
    client: httpx.AsyncClient, settings: ApiSettings
) -> None:
    first = viewed("a", event_id=EVENT_ID)
    batch = [viewed("z"), first, first, viewed("b", event_id=EVENT_ID)]
    response = await post(client, orjson.dumps(batch))

    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted"] * 3 + ["rejected"]
    assert body["results"][3]["error"].startswith(
        "event_id: duplicates item 1 of this request with different content"
    )
    messages = await consume(settings.kafka_bootstrap_servers, settings.events_topic, 2, settle=1)
    users = sorted(EventRecord.model_validate_json(m.value).user_id for m in messages)
    assert users == ["a", "z"]


async def test_a_two_member_gzip_body_delivers_the_events_of_both_members(
    client: httpx.AsyncClient, settings: ApiSettings
) -> None:
    text = orjson.dumps([viewed(f"user-{i}") for i in range(20)])
    cut = text.index(b"},{", len(text) // 2) + 2
    body = gzip.compress(text[:cut]) + gzip.compress(text[cut:])
    response = await post(client, body, gzipped=True)

    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 20
    messages = await consume(settings.kafka_bootstrap_servers, settings.events_topic, 20)
    assert len(messages) == 20


async def test_gzip_members_that_together_pass_1_mib_are_413(client: httpx.AsyncClient) -> None:
    padding = b" " * (700 * 1024)
    body = gzip.compress(b"[" + padding) + gzip.compress(padding + b"]")
    response = await post(client, body, gzipped=True)
    assert response.status_code == 413


async def test_a_bomb_hidden_in_the_second_gzip_member_is_413(client: httpx.AsyncClient) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(compressor.compress(b" " * 1024 * 1024) for _ in range(32))
    body = gzip.compress(b"[") + bomb + compressor.flush()
    response = await post(client, body, gzipped=True)
    assert response.status_code == 413
