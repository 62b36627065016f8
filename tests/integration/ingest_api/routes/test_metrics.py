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
