"""HTTP sessions keep a connection (temporary tables, SET) and serve one request at a time."""

from __future__ import annotations

import threading
import uuid

import httpx

from pulse.local.process import wait_until
from tests.stack import ClickHouseEndpoint


def test_temporary_table_lives_across_requests_of_a_session(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    client = clickhouse_endpoint.client(session_id=f"s-{uuid.uuid4()}")
    client.command("CREATE TEMPORARY TABLE scratch (a UInt8)")
    client.command("INSERT INTO scratch VALUES (1), (2)")
    assert client.command("SELECT sum(a) FROM scratch") == 3
    client.close()


def test_session_check_on_unknown_session_is_session_not_found(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        auth=clickhouse_endpoint.auth,
        params={"session_id": f"s-{uuid.uuid4()}", "session_check": "1"},
        content=b"SELECT 1",
    )
    assert response.headers["X-ClickHouse-Exception-Code"] == "372"


def test_concurrent_request_on_a_busy_session_is_session_is_locked(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    session = f"s-{uuid.uuid4()}"
    marker = uuid.uuid4().hex
    long_query = (
        f"SELECT /* {marker} */ count() FROM numbers(100000000000) WHERE cityHash64(number) % 7 = 1"
    )
    outcome: dict[str, httpx.Response] = {}

    def run_long() -> None:
        outcome["long"] = httpx.post(
            clickhouse_endpoint.url,
            auth=clickhouse_endpoint.auth,
            params={"session_id": session},
            content=long_query,
            timeout=60,
        )

    thread = threading.Thread(target=run_long)
    thread.start()
    try:
        wait_until(lambda: _running(clickhouse_endpoint, marker), 30, "the long query")
        second = httpx.post(
            clickhouse_endpoint.url,
            params={"session_id": session},
            content=b"SELECT 1",
            auth=clickhouse_endpoint.auth,
        )
        assert second.headers["X-ClickHouse-Exception-Code"] == "373"
    finally:
        _kill(clickhouse_endpoint, marker)
        thread.join(30)
    assert outcome["long"].headers["X-ClickHouse-Exception-Code"] == "394"


def _running(endpoint: ClickHouseEndpoint, marker: str) -> bool:
    sql = (
        f"SELECT count() FROM system.processes WHERE query LIKE '%{marker}%' "
        "AND query NOT LIKE '%system.processes%'"
    )
    return httpx.post(endpoint.url, content=sql, auth=endpoint.auth).text.strip() != "0"


def _kill(endpoint: ClickHouseEndpoint, marker: str) -> None:
    sql = f"KILL QUERY WHERE query LIKE '%{marker}%' AND query NOT LIKE '%system.processes%' SYNC"
    httpx.post(endpoint.url, content=sql, timeout=30, auth=endpoint.auth)


def test_url_settings_and_database_apply_to_one_request_of_a_session(
    clickhouse_endpoint: ClickHouseEndpoint, database: str
) -> None:
    url, session = clickhouse_endpoint.url, {"session_id": f"s-{uuid.uuid4()}"}
    tuned = httpx.post(
        url,
        auth=clickhouse_endpoint.auth,
        params={**session, "max_threads": "3", "database": database},
        content=b"SELECT getSetting('max_threads'), currentDatabase()",
    )
    after = httpx.post(
        url,
        params=session,
        content=b"SELECT getSetting('max_threads') = 3, currentDatabase()",
        auth=clickhouse_endpoint.auth,
    )
    assert tuned.text == f"3\t{database}\n"
    assert after.text == "0\tdefault\n"
