"""The OpenAPI text of ``POST /v1/events`` states what the code enforces."""

from typing import Any

import pytest

from ingest_api.config import ApiSettings
from ingest_api.main import create_app


@pytest.fixture(scope="module")
def operation() -> dict[str, Any]:
    app = create_app(ApiSettings(PULSE_API_KEYS="k:producer"))  # type: ignore[call-arg]
    return app.openapi()["paths"]["/v1/events"]["post"]


def test_every_status_the_route_answers_is_documented(operation: dict[str, Any]) -> None:
    assert {"202", "400", "401", "403", "408", "413", "415", "429", "503"} <= set(
        operation["responses"]
    )
    assert "Successful Response" not in operation["responses"]["202"]["description"]


def test_the_description_states_limits_time_range_and_duplicate_rule(
    operation: dict[str, Any],
) -> None:
    text = " ".join(operation["description"].split())
    for promise in (
        "at most 1000 events", "1 MiB", "several members", "32 KiB",
        "from `1970-01-01T00:00:00Z` to at most 24 h after",
        "with the same content, both are accepted and the event is stored once",
        "with different content, the later item is rejected",
    ):  # fmt: skip
        assert promise in text, promise


def test_the_event_schema_states_the_timestamp_range(operation: dict[str, Any]) -> None:
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    stamp = body["oneOf"][0]["properties"]["timestamp"]
    assert "1970-01-01T00:00:00Z" in stamp["description"]


def test_the_limits_in_the_text_and_schema_come_from_the_settings() -> None:
    settings = ApiSettings(  # type: ignore[call-arg]
        PULSE_API_KEYS="k:producer",
        PULSE_API_MAX_BATCH_EVENTS=50,
        PULSE_API_MAX_BODY_BYTES=64 * 1024,
        PULSE_API_BODY_TIMEOUT_S=7.5,
    )
    post = create_app(settings).openapi()["paths"]["/v1/events"]["post"]
    text = " ".join(post["description"].split())
    assert "at most 50 events" in text and "at most 64 KiB" in text
    assert "1000" not in text and "1 MiB" not in text
    assert "64 KiB" in post["responses"]["413"]["description"]
    assert "50 events" in post["responses"]["413"]["description"]
    assert "(7.5 s)" in post["responses"]["408"]["description"]
    batch = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"][1]
    assert batch["maxItems"] == 50


@pytest.mark.parametrize(
    ("mode", "promise"),
    [
        ("transactional", "a 503 means none of this request's events was stored"),
        ("idempotent", "some of which may be stored: retry it"),
    ],
)
def test_the_503_promise_follows_the_publish_mode(mode: str, promise: str) -> None:
    settings = ApiSettings(PULSE_API_KEYS="k:producer", PULSE_API_PUBLISH_MODE=mode)  # type: ignore[call-arg]
    text = " ".join(
        create_app(settings).openapi()["paths"]["/v1/events"]["post"]["description"].split()
    )
    assert promise in text
