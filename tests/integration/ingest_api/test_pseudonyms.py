"""Pseudonymisation end to end through the API: the record on Kafka carries the HMAC pseudonym,
and the per-user summary finds the user by the raw id."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import httpx
import orjson
import pytest
from pydantic import SecretStr

from clickhouse.client import writer_client
from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from ingest_api.pseudonyms import Pseudonymiser
from stream_processors.rows import COLUMNS
from tests.integration.ingest_api.conftest import (
    ADMIN_KEY,
    SettingsFactory,
    auth,
    consume,
    running,
    viewed,
)

pytestmark = pytest.mark.anyio

SECRET = "pseudonymise-test-secret-0123456789abcdef"
STORE_COLUMNS = list(COLUMNS["events_store"])


async def _post_one(settings: ApiSettings, user: str) -> httpx.Response:
    async for client in running(create_app(settings)):
        return await client.post("/v1/events", json=viewed(user), headers=auth())
    raise AssertionError("the app did not start")


async def test_record_on_kafka_carries_the_pseudonym_not_the_raw_id(
    make_settings: SettingsFactory, kafka_bootstrap: str
) -> None:
    settings = make_settings(PULSE_PSEUDONYMISE_KEY=SECRET)
    response = await _post_one(settings, "student-raw-42")
    assert response.status_code == 202, response.text
    (message,) = await consume(kafka_bootstrap, settings.events_topic, expected=1)
    pseudonym = Pseudonymiser(SecretStr(SECRET))("student-raw-42")
    assert message.key == pseudonym.encode()
    assert orjson.loads(message.value)["user_id"] == pseudonym
    assert b"student-raw-42" not in message.value


async def test_without_a_key_the_record_carries_the_raw_id(
    make_settings: SettingsFactory, kafka_bootstrap: str
) -> None:
    settings = make_settings()
    assert (await _post_one(settings, "student-plain-7")).status_code == 202
    (message,) = await consume(kafka_bootstrap, settings.events_topic, expected=1)
    assert orjson.loads(message.value)["user_id"] == "student-plain-7"


async def test_summary_looks_the_raw_id_up_by_its_pseudonym(
    reports_database: tuple[str, str], kafka_bootstrap: str
) -> None:
    url, database = reports_database
    settings = ApiSettings(  # type: ignore[call-arg]
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        CLICKHOUSE_URL=url,
        CLICKHOUSE_DATABASE=database,
        PULSE_API_KEYS=f"{ADMIN_KEY}:admin",
        PULSE_PSEUDONYMISE_KEY=SECRET,
        PULSE_EVENTS_TOPIC=f"test.pseudo.{uuid4().hex[:8]}",
    )
    stored_as = Pseudonymiser(SecretStr(SECRET))("alice-raw")
    ts = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    writer_client(settings=settings).insert(
        "events_store",
        [[uuid4(), "user.login", stored_as, ts, ts, "web", "s-1", "", "", "{}", "r-1", 0, 1]],
        column_names=STORE_COLUMNS,
    )
    async for client in running(create_app(settings)):
        found = await client.get("/v1/users/alice-raw/summary", headers=auth(ADMIN_KEY))
        by_pseudonym = await client.get(f"/v1/users/{stored_as}/summary", headers=auth(ADMIN_KEY))
    assert found.status_code == 200, found.text
    assert found.json()["user_id"] == "alice-raw"
    assert found.json()["events"] == 1
    assert by_pseudonym.status_code == 404  # the pseudonym is not itself a user id
