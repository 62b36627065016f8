"""``GET /metrics``: the fixed metric names, with route templates as labels."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.integration.ingest_api.conftest import auth, viewed

pytestmark = pytest.mark.anyio


async def test_metrics_count_requests_events_and_kafka_commits(client: httpx.AsyncClient) -> None:
    bad = viewed(metadata={})
    custom = viewed(event="quiz.opened", metadata={"anything": 1})
    await client.post(
        "/v1/events",
        content=orjson.dumps([viewed(), custom, bad]),
        headers={"Content-Type": "application/json", **auth()},
    )
    await client.get("/no/such/path/123")

    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    posted = 'method="POST",route="/v1/events",service="ingest_api",status="202"'
    assert f"http_requests_total{{{posted}}} 1.0" in text
    assert 'route="unmatched",service="ingest_api",status="404"' in text
    assert "/no/such/path" not in text
    assert 'http_response_time_seconds_bucket{le="0.0005",method="POST",route="/v1/events"' in text
    assert 'pulse_events_accepted_total{event="assignment.viewed"} 1.0' in text
    assert 'pulse_events_accepted_total{event="custom"} 1.0' in text
    assert 'pulse_events_rejected_total{reason="validation"} 1.0' in text
    assert "kafka_produce_latency_seconds_count 1.0" in text
    assert "kafka_produce_errors_total 0.0" in text
    assert "process_cpu_seconds_total" in text
    assert "process_resident_memory_bytes" in text


async def test_any_method_string_counts_as_a_bounded_label(client: httpx.AsyncClient) -> None:
    for method in ("BREW", "X-RANDOM-1", "X-RANDOM-2"):
        await client.request(method, "/v1/events", headers=auth())
    await client.request("PUT", "/v1/events", headers=auth())

    text = (await client.get("/metrics")).text
    assert 'method="other",route="/v1/events",service="ingest_api",status="405"} 3.0' in text
    assert 'method="PUT",route="/v1/events",service="ingest_api",status="405"} 1.0' in text
    assert "BREW" not in text and "X-RANDOM" not in text


async def test_free_form_event_names_share_one_custom_label(client: httpx.AsyncClient) -> None:
    customs = [viewed(event=f"custom.name_{i}", metadata={}) for i in range(50)]
    response = await client.post(
        "/v1/events",
        content=orjson.dumps(customs),
        headers={"Content-Type": "application/json", **auth()},
    )
    assert response.json()["accepted"] == 50

    text = (await client.get("/metrics")).text
    assert 'pulse_events_accepted_total{event="custom"} 50.0' in text
    assert "custom.name_" not in text
