"""Hostile bodies on ``POST /v1/events`` against a real broker: every one gets a clear 4xx (never
a 500), memory stays bounded, and the good events of a mixed batch are still stored."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import httpx
import orjson
import pytest

from ingest_api.config import ApiSettings
from tests.integration.ingest_api.conftest import auth, consume, viewed

pytestmark = pytest.mark.anyio

JSON = {"Content-Type": "application/json"} | auth()
NESTED_100K = b"[" * 100_000 + b"]" * 100_000


def custom(**metadata: Any) -> dict[str, Any]:
    return {
        "event": "custom.probe",
        "user_id": "u-1",
        "timestamp": "2026-11-20T14:00:00Z",
        "metadata": metadata,
    }


def llm(**metadata: Any) -> dict[str, Any]:
    fields = {"model": "m", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.1}
    return {
        "event": "llm.call",
        "user_id": "u-2",
        "timestamp": "2026-11-20T14:00:00Z",
        "metadata": fields | metadata,
    }


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


WHOLE_BODY_REFUSALS: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("malformed json", b'{"event": "a.b",', JSON, 400, "not valid UTF-8 JSON"),
    ("invalid utf-8", b'{"event": "\xff\xfe"}', JSON, 400, "not valid UTF-8 JSON"),
    ("lone surrogate", b'{"user_id": "\xed\xa0\x80"}', JSON, 400, "UTF-8"),
    ("100k nested arrays", NESTED_100K, JSON, 400, "depth limit"),
    ("100k nested objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON, 400, "depth"),
    ("number 1e400", orjson.dumps(custom()).replace(b"{}", b'{"x":1e400}'), JSON, 400, "infinity"),
    ("NaN literal", b'{"event": NaN}', JSON, 400, "not valid UTF-8 JSON"),
    ("empty body", b"", JSON, 400, "not valid UTF-8 JSON"),
    ("json scalar", b"42", JSON, 400, "one event"),
    ("1001 events", orjson.dumps([{}] * 1001), JSON, 413, "at most 1000"),
    ("200k array items", b"[" + b"0," * 200_000 + b"0]", JSON, 413, "at most 1000"),
    ("1.2 MB array", b"[" + b"0," * 600_000 + b"0]", JSON, 413, "larger than"),
    (
        "text/plain",
        orjson.dumps(viewed()),
        auth() | {"Content-Type": "text/plain"},
        415,
        "application/json",
    ),
    (
        "form",
        b"a=1",
        auth() | {"Content-Type": "application/x-www-form-urlencoded"},
        415,
        "application/json",
    ),
    ("brotli", orjson.dumps(viewed()), JSON | {"Content-Encoding": "br"}, 415, "gzip"),
    ("lying gzip", orjson.dumps(viewed()), JSON | {"Content-Encoding": "gzip"}, 400, "gzip"),
]


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [case[1:] for case in WHOLE_BODY_REFUSALS],
    ids=[case[0] for case in WHOLE_BODY_REFUSALS],
)
async def test_hostile_body_is_a_clear_4xx_with_bounded_memory(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str], status: int, says: str
) -> None:
    tracemalloc.start()
    try:
        response = await client.post("/v1/events", content=body, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert peak < 16 * 1024 * 1024, f"{peak} bytes allocated for a refused body"


async def test_declared_length_over_the_limit_is_413_before_the_body_is_read(
    client: httpx.AsyncClient,
) -> None:
    async def endless() -> Any:
        for _ in range(3):
            yield b"[" * 1024
        raise AssertionError("the body was read past its declared size")

    headers = JSON | {"Content-Length": str(50 * 1024 * 1024)}
    response = await client.post("/v1/events", content=endless(), headers=headers)
    assert response.status_code == 413


ITEM_REFUSALS: list[tuple[str, Any, str]] = [
    ("nested 600 deep", custom(deep=nested(600)), "250 levels"),
    ("huge int tokens", llm(prompt_tokens=10**30), "integers within 64 bits"),
    ("negative tokens", llm(completion_tokens=-1), "metadata.completion_tokens"),
    ("float tokens", llm(prompt_tokens=1.5), "metadata.prompt_tokens"),
    ("bool tokens", llm(prompt_tokens=True), "metadata.prompt_tokens"),
    ("negative cost", llm(cost_usd=-1), "metadata.cost_usd"),
    ("bad name", viewed(event="Assignment.Viewed"), "event"),
    ("naive timestamp", viewed(timestamp="2026-11-20T14:00:00"), "timestamp"),
    ("far future", viewed(timestamp="2999-01-01T00:00:00Z"), "timestamp"),
    ("bad event_id", viewed(event_id="not-a-uuid"), "event_id"),
    ("control chars", viewed(user="a\x00b"), "user_id"),
    ("tokens past the bound", llm(prompt_tokens=10**12 + 1), "metadata.prompt_tokens"),
    ("unknown field", viewed(admin=True), "admin"),
    ("array item", [1, 2], "JSON object"),
    ("string item", "event", "JSON object"),
]


async def test_mixed_batch_stores_the_good_events_and_refuses_each_bad_one_by_name(
    client: httpx.AsyncClient, settings: ApiSettings, kafka_bootstrap: str
) -> None:
    good = [viewed("good-1"), llm(prompt_tokens=10**12, cost_usd=-0.0), custom(n=-0, big=10**18)]
    bad = [item for _, item, _ in ITEM_REFUSALS]
    body = json.dumps(good + bad).encode()  # orjson refuses to write the 600-deep item
    response = await client.post("/v1/events", content=body, headers=JSON)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (len(good), len(bad))
    for result, (label, _, says) in zip(body["results"][len(good) :], ITEM_REFUSALS, strict=True):
        assert result["status"] == "rejected"
        assert says in result["error"], f"{label}: {result['error']}"
    stored = await consume(kafka_bootstrap, settings.events_topic, expected=len(good), settle=1)
    assert sorted(orjson.loads(m.value)["user_id"] for m in stored) == ["good-1", "u-1", "u-2"]
