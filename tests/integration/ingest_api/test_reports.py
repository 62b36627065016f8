"""The analysts' report routes on real ClickHouse (the embedded endpoint): known facts in a fresh
database, exact figures out; exports parsed back; a large export streamed in several chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from stream_processors.rows import COLUMNS
from tests.stack import ClickHouseEndpoint, free_port

pytestmark = pytest.mark.anyio

ANALYST_KEY = "reports-analyst-key"
ADMIN_KEY = "reports-admin-key"
PRODUCER_KEY = "reports-producer-key"
KEYS = f"{ANALYST_KEY}:analyst,{ADMIN_KEY}:admin,{PRODUCER_KEY}:producer"
BULK_ROWS = 200_000
NOW = datetime.now(UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def eid(n: int) -> UUID:
    return UUID(int=n)


# (n, event, user, ts, subject, assignment_id). 2025-01-06 is a Monday.
EVENTS: list[tuple[int, str, str, datetime, str, str]] = [
    (1, "assignment.viewed", "alice", at("2025-01-06 09:15:00"), "math", "hw-1"),
    (2, "assignment.heartbeat", "alice", at("2025-01-06 09:17:00"), "math", "hw-1"),
    (3, "assignment.submitted", "alice", at("2025-01-06 09:30:00"), "math", "hw-1"),
    (4, "llm.call", "alice", at("2025-01-08 14:00:00"), "", ""),
    (5, "llm.call", "alice", at("2025-01-08 14:05:00"), "", ""),
    (6, "llm.call", "alice", at("2025-01-08 14:10:00"), "", ""),
    (7, "assignment.viewed", "bob", at("2025-01-06 10:00:00"), "physics", "hw-2"),
    (8, "user.login", "bob", at("2025-01-07 10:00:00"), "", ""),
    (9, "assignment.viewed", "carol", at("2025-01-08 14:30:00"), "math", "hw-1"),
    (10, "user.login", "dan/x?#%", at("2025-03-03 10:00:00"), "", ""),
    # Rolling windows, relative to now: 1 h, 3 d, 20 d, 40 d ago and 2 h ahead.
    (20, "user.login", "roll-a", NOW - timedelta(hours=1), "", ""),
    (21, "user.login", "roll-b", NOW - timedelta(days=3), "", ""),
    (22, "user.login", "roll-c", NOW - timedelta(days=20), "", ""),
    (23, "user.login", "roll-d", NOW - timedelta(days=40), "", ""),
    (24, "user.login", "roll-e", NOW + timedelta(hours=2), "", ""),
]
LLM_CALLS = [
    (4, "tutor-small", 100, 50, 0.125),
    (5, "tutor-small", 10, 5, 0.25),
    (6, "tutor-large", 1000, 400, 1.5),
]

STORE_COLUMNS = list(COLUMNS["events_store"])

BULK_SQL = f"""
INSERT INTO events_store ({", ".join(STORE_COLUMNS)})
SELECT generateUUIDv4(number), 'chat.message', concat('bulk-', toString(number % 1000)),
       toDateTime64('2025-02-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * 100),
       toDateTime64('2025-02-01 00:00:00', 3, 'UTC'), 'web', 's-bulk', '', '',
       '{{"conversation_id": "c-1"}}', 'r-bulk', 0, number
FROM numbers({BULK_ROWS})
"""


def _store_row(
    n: int, event: str, user: str, ts: datetime, subject: str, assignment: str
) -> list[Any]:
    metadata = f'{{"subject": "{subject}"}}' if subject else "{}"
    return [
        eid(n),
        event,
        user,
        ts,
        ts + timedelta(seconds=1),
        "web",
        f"s-{user}",
        subject,
        assignment,
        metadata,
        f"r-{n}",
        0,
        n,
    ]


def _seed(client: Any) -> None:
    store = [_store_row(*e) for e in EVENTS]
    client.insert("events_store", store + store[:1], column_names=STORE_COLUMNS)  # e1 twice
    days = sorted({(ts.date(), user) for _, _, user, ts, _, _ in EVENTS})
    client.insert("dau_users", days + days[:1], column_names=["day", "user_id"])
    client.insert(
        "subject_events",
        [[ts.date(), s, u, eid(n)] for n, _, u, ts, s, _ in EVENTS if s],
        column_names=["day", "subject", "user_id", "event_id"],
    )
    client.insert(
        "assignment_events",
        [
            [u, a, ts, eid(n), s, int(e == "assignment.submitted")]
            for n, e, u, ts, s, a in EVENTS
            if a
        ],
        column_names=["user_id", "assignment_id", "ts", "event_id", "subject", "submitted"],
    )
    client.insert(
        "llm_calls",
        [
            [at("2025-01-08 00:00:00").date(), "alice", model, eid(n), p, c, cost]
            for n, model, p, c, cost in LLM_CALLS
        ],
        column_names=[
            "day",
            "user_id",
            "model",
            "event_id",
            "prompt_token_count",
            "completion_token_count",
            "call_cost_usd",
        ],
    )
    client.command(BULK_SQL)
    # The contract views read rollups the worker keeps; facts written directly need a rebuild.
    from clickhouse.rollups import rebuild_statements

    for statement in rebuild_statements(client.database, user_slices=1):
        client.command(statement)


@pytest.fixture(scope="module")
def report_settings(request: pytest.FixtureRequest) -> Iterator[ApiSettings]:
    """API settings on a fresh, migrated, seeded database of the embedded endpoint."""
    from clickhouse.client import writer_client
    from clickhouse.migrate import apply_migrations

    endpoint: ClickHouseEndpoint = request.getfixturevalue("clickhouse_endpoint")
    database = f"reports_{uuid4().hex[:8]}"
    settings = ApiSettings(  # type: ignore[call-arg]
        CLICKHOUSE_URL=endpoint.url, CLICKHOUSE_DATABASE=database, PULSE_API_KEYS=KEYS
    )
    admin = writer_client(database="", settings=settings)
    apply_migrations(admin, database, retention_days=3650)  # fixed 2025 dates must not expire
    _seed(writer_client(settings=settings))
    yield settings
    admin.command(f"DROP DATABASE IF EXISTS `{database}`")


@pytest.fixture(scope="module")
def app(report_settings: ApiSettings) -> FastAPI:
    return create_app(report_settings)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {ANALYST_KEY}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://pulse.test", headers=headers, timeout=120
    ) as client:
        yield client


WEEK = {"from": "2025-01-06", "to": "2025-01-08"}
ALICE = "2025-01-06T09:15:00Z"


async def test_dau_lists_every_day_of_the_range_with_zero_on_idle_days(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/v1/reports/dau", params={"from": "2025-01-05", "to": "2025-01-09"})
    assert response.status_code == 200
    assert response.json() == {
        "days": [
            {"date": "2025-01-05", "dau": 0},
            {"date": "2025-01-06", "dau": 2},
            {"date": "2025-01-07", "dau": 1},
            {"date": "2025-01-08", "dau": 2},
            {"date": "2025-01-09", "dau": 0},
        ]
    }


async def test_dau_with_from_after_to_is_422_naming_the_fix(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/dau", params={"from": "2025-01-09", "to": "2025-01-05"})
    assert response.status_code == 422
    assert "is after to" in response.json()["detail"][0]["msg"]


async def test_dau_over_366_days_is_422(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/dau", params={"from": "2024-01-01", "to": "2025-01-01"})
    assert response.status_code == 422
    assert "at most 366" in response.json()["detail"][0]["msg"]
    ok = await api.get("/v1/reports/dau", params={"from": "2024-01-01", "to": "2024-12-31"})
    assert ok.status_code == 200
    assert len(ok.json()["days"]) == 366


async def test_rolling_dau_counts_users_in_windows_ending_now(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/dau/rolling")
    assert response.status_code == 200
    assert response.json() == {"24h": 1, "7d": 2, "30d": 3}


async def test_user_summary_gives_activity_assignment_time_and_llm_cost(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/v1/users/alice/summary")
    assert response.status_code == 200
    body = response.json()
    assert (body["events"], body["active_days"]) == (6, 2)
    assert body["first_seen"] == ALICE
    assert body["last_seen"] == "2025-01-08T14:10:00Z"
    assert body["assignments"] == [
        {
            "assignment_id": "hw-1",
            "subject": "math",
            "first_ts": ALICE,
            "last_ts": "2025-01-06T09:30:00Z",
            "active_seconds": 420.0,
            "submitted": True,
        }
    ]
    assert body["llm"]["by_model"] == {
        "tutor-large": {
            "calls": 1,
            "prompt_tokens": 1000,
            "completion_tokens": 400,
            "cost_usd": 1.5,
        },
        "tutor-small": {
            "calls": 2,
            "prompt_tokens": 110,
            "completion_tokens": 55,
            "cost_usd": 0.375,
        },
    }
    assert body["llm"]["total"] == {
        "calls": 3,
        "prompt_tokens": 1110,
        "completion_tokens": 455,
        "cost_usd": 1.875,
    }


async def test_summary_of_a_user_id_with_a_slash_is_found_by_its_encoded_path(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get(f"/v1/users/{quote('dan/x?#%', safe='')}/summary")
    assert response.status_code == 200, response.text
    assert (response.json()["user_id"], response.json()["events"]) == ("dan/x?#%", 1)


async def test_summary_of_an_unknown_user_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/users/nobody-here/summary")
    assert response.status_code == 404
    assert "nobody-here" in response.json()["detail"]


async def test_top_subjects_rank_by_events_with_distinct_users(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/subjects/top", params=WEEK)
    assert response.json() == {
        "subjects": [
            {"subject": "math", "events": 4, "users": 2},
            {"subject": "physics", "events": 1, "users": 1},
        ]
    }
    top1 = await api.get("/v1/reports/subjects/top", params=WEEK | {"limit": 1})
    assert [s["subject"] for s in top1.json()["subjects"]] == ["math"]


async def test_heatmap_counts_events_by_iso_weekday_and_utc_hour(api: httpx.AsyncClient) -> None:
    everyone = (await api.get("/v1/reports/heatmap", params=WEEK)).json()
    nonzero = {(c["weekday"], c["hour"]): c["events"] for c in everyone["cells"] if c["events"]}
    assert len(everyone["cells"]) == 7 * 24
    assert nonzero == {(1, 9): 3, (1, 10): 1, (2, 10): 1, (3, 14): 4}
    assert everyone["total"] == 9
    alice = (await api.get("/v1/reports/heatmap", params=WEEK | {"user_id": "alice"})).json()
    assert {(c["weekday"], c["hour"]): c["events"] for c in alice["cells"] if c["events"]} == {
        (1, 9): 3,
        (3, 14): 3,
    }


async def test_reports_need_an_analyst_or_admin_key(api: httpx.AsyncClient) -> None:
    producer = {"Authorization": f"Bearer {PRODUCER_KEY}"}
    for path in ("/v1/reports/dau/rolling", "/v1/users/alice/summary"):
        assert (await api.get(path, headers=producer)).status_code == 403
        assert (await api.get(path, headers={"Authorization": ""})).status_code == 401
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    assert (await api.get("/v1/reports/dau/rolling", headers=admin)).status_code == 200


async def test_reports_are_503_with_retry_after_when_clickhouse_is_down() -> None:
    settings = ApiSettings(  # type: ignore[call-arg]
        CLICKHOUSE_URL=f"http://127.0.0.1:{free_port()}", PULSE_API_KEYS=KEYS
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://pulse.test") as client:
        response = await client.get(
            "/v1/reports/dau/rolling", headers={"Authorization": f"Bearer {ANALYST_KEY}"}
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "CLICKHOUSE_URL" in response.json()["detail"]


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


async def test_csv_export_has_the_week_s_events_in_time_order(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/events", params=WEEK | {"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="events_2025-01-06_2025-01-08.csv"'
    )
    rows = _csv_rows(response.content)
    assert [r["event_id"] for r in rows] == [str(eid(n)) for n in (1, 2, 3, 7, 8, 4, 5, 6, 9)]
    assert rows[0]["timestamp"] == "2025-01-06 09:15:00.000Z"
    assert (rows[0]["user_id"], rows[0]["subject"], rows[0]["metadata"]) == (
        "alice",
        "math",
        '{"subject": "math"}',
    )


async def test_export_filters_by_event_name_and_user(api: httpx.AsyncClient) -> None:
    llm = await api.get("/v1/reports/events", params=WEEK | {"format": "csv", "event": "llm.call"})
    assert [r["event_id"] for r in _csv_rows(llm.content)] == [str(eid(n)) for n in (4, 5, 6)]
    bob = await api.get("/v1/reports/events", params=WEEK | {"format": "csv", "user_id": "bob"})
    assert [r["event"] for r in _csv_rows(bob.content)] == ["assignment.viewed", "user.login"]


async def test_parquet_and_xlsx_exports_hold_the_same_rows_as_csv(api: httpx.AsyncClient) -> None:
    as_csv = _csv_rows(
        (await api.get("/v1/reports/events", params=WEEK | {"format": "csv"})).content
    )
    parquet = await api.get("/v1/reports/events", params=WEEK | {"format": "parquet"})
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(parquet.content)).to_pylist()
    assert [r["event_id"] for r in table] == [r["event_id"] for r in as_csv]
    assert table[0]["timestamp"] == at("2025-01-06 09:15:00")
    assert [r["metadata"] for r in table] == [r["metadata"] for r in as_csv]
    xlsx = await api.get("/v1/reports/events", params=WEEK | {"format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True)["events"]
    header, *body = list(sheet.iter_rows(values_only=True))
    assert header[3] == "timestamp (UTC)"
    assert [r[0] for r in body] == [r["event_id"] for r in as_csv]
    assert body[0][3] == datetime(2025, 1, 6, 9, 15)


async def test_export_with_an_unknown_format_is_422(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/reports/events", params=WEEK | {"format": "json"})
    assert response.status_code == 422


async def _asgi_get(app: FastAPI, path: str, query: str) -> tuple[int, list[bytes]]:
    """GET through the raw ASGI interface, keeping each body message the app sends."""
    status, chunks = 0, []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await _forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "client": ("127.0.0.1", 1),
        "server": ("pulse.test", 80),
        "headers": [(b"host", b"pulse.test"), (b"authorization", f"Bearer {ANALYST_KEY}".encode())],
    }
    await app(scope, receive, send)
    return status, chunks


async def _forever() -> None:
    import anyio

    await anyio.Event().wait()


async def test_large_csv_export_streams_in_several_chunks(app: FastAPI) -> None:
    status, chunks = await _asgi_get(
        app, "/v1/reports/events", "format=csv&from=2025-02-01&to=2025-02-01"
    )
    assert status == 200
    assert len(chunks) >= 3
    assert max(len(c) for c in chunks) < sum(len(c) for c in chunks) / 2
    assert len(_csv_rows(b"".join(chunks))) == BULK_ROWS


async def test_large_parquet_export_streams_row_groups(app: FastAPI) -> None:
    status, chunks = await _asgi_get(
        app, "/v1/reports/events", "format=parquet&from=2025-02-01&to=2025-02-01"
    )
    assert status == 200
    assert len(chunks) >= 3
    parquet = pq.ParquetFile(io.BytesIO(b"".join(chunks)))
    assert parquet.metadata.num_rows == BULK_ROWS
    assert parquet.metadata.num_row_groups >= 2


async def test_openapi_documents_every_report(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path in (
        "/v1/reports/dau",
        "/v1/reports/dau/rolling",
        "/v1/reports/subjects/top",
        "/v1/reports/heatmap",
        "/v1/reports/events",
        "/v1/users/{user_id}/summary",
    ):
        assert "200" in paths[path]["get"]["responses"], path
    export = paths["/v1/reports/events"]["get"]["responses"]["200"]["content"]
    assert set(export) == {
        "text/csv; charset=utf-8",
        "application/vnd.apache.parquet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
