"""`pulse forget` with pseudonymisation on: events sent through the API are stored under the HMAC
pseudonym, and forgetting the raw id removes them from ClickHouse."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import orjson
import pytest

from clickhouse.client import writer_client
from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from pulse.commands.admin import forget
from schemas import EventRecord
from tests.integration.ingest_api.conftest import ADMIN_KEY, auth, consume, running, viewed
from tests.integration.ingest_api.test_pseudonyms import SECRET, STORE_COLUMNS

pytestmark = pytest.mark.anyio


def _store(settings: ApiSettings, records: list[EventRecord]) -> None:
    """Write the records as the worker would (events_store rows)."""
    rows = [
        [r.event_id, r.event, r.user_id, r.timestamp, r.received_at, r.source or "",
         r.session_id or "", r.metadata.get("subject", ""), r.metadata.get("assignment_id", ""),
         orjson.dumps(r.metadata).decode(), r.request_id or "", 0, i]
        for i, r in enumerate(records)
    ]  # fmt: skip
    writer_client(settings=settings).insert("events_store", rows, column_names=STORE_COLUMNS)


def _count(settings: ApiSettings, user_id: str) -> int:
    query = "SELECT count() FROM events WHERE user_id = {u:String}"
    return int(writer_client(settings=settings).command(query, parameters={"u": user_id}))


async def test_forget_removes_a_pseudonymised_user_sent_through_the_api(
    reports_database: tuple[str, str],
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, database = reports_database
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CLICKHOUSE_URL": url,
        "CLICKHOUSE_DATABASE": database, "PULSE_API_KEYS": f"{ADMIN_KEY}:admin",
        "PULSE_PSEUDONYMISE_KEY": SECRET, "PULSE_EVENTS_TOPIC": f"test.forget.{uuid4().hex[:8]}",
    }  # fmt: skip
    settings = ApiSettings(**env)  # type: ignore[arg-type]
    batch = [viewed("forget-me", session_id=f"s-{i}") for i in range(3)] + [viewed("keep-me")]
    async for client in running(create_app(settings)):
        response = await client.post("/v1/events", json=batch, headers=auth(ADMIN_KEY))
        assert response.json()["accepted"] == 4, response.text
    messages = await consume(kafka_bootstrap, settings.events_topic, expected=4)
    records = [EventRecord.model_validate_json(m.value) for m in messages]
    _store(settings, records)
    pseudonym = next(r.user_id for r in records if r.session_id == "s-0")
    assert pseudonym != "forget-me" and _count(settings, pseudonym) == 3

    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    forget("forget-me")  # the `pulse forget` command, without the CLI's logging set-up

    output = " ".join(capsys.readouterr().out.split())
    assert "forget-me (and its pseudonym)" in output and "events_store" in output
    assert _count(settings, pseudonym) == 0
    assert _count(settings, next(r.user_id for r in records if r.session_id == "s-9")) == 1
