"""Native output framed for the protocol revision a client asks for (clickhouse-go sends 54460)."""

from __future__ import annotations

import uuid

import httpx
from clickhouse_connect.driver.client import Client

from tests.stack import ClickHouseEndpoint

BLOCK_INFO = bytes.fromhex("010002ffffffff00")
SQL = "SELECT toDateTime('2026-11-20 10:00:00', 'UTC') AS t"


def _native(endpoint: ClickHouseEndpoint, sql: str, **params: str) -> bytes:
    response = httpx.post(
        f"http://127.0.0.1:{endpoint.port}/",
        auth=endpoint.auth,
        params={"default_format": "Native", **params},
        content=sql,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.content


def test_revision_54460_gets_block_info_time_zone_and_kind_byte(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    body = _native(clickhouse_endpoint, SQL, client_protocol_version="54460")

    assert body == BLOCK_INFO + b"\x01\x01\x01t\x0fDateTime('UTC')\x00" + bytes.fromhex("201a006b")


def test_without_a_revision_native_is_chdbs_own(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    body = _native(clickhouse_endpoint, SQL)

    assert body == b"\x01\x01\x01t\x08DateTime" + bytes.fromhex("201a006b")


def test_every_block_of_a_long_result_is_framed(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    body = _native(
        clickhouse_endpoint,
        "SELECT number, toString(number) AS s FROM numbers(10000)",
        client_protocol_version="54460",
        max_block_size="1000",
    )

    assert body.startswith(BLOCK_INFO) and body.count(BLOCK_INFO) >= 10


def test_in_a_session_the_binary_types_setting_does_not_outlive_the_request(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    session = {"session_id": f"rev-{uuid.uuid4().hex}"}
    _native(clickhouse_endpoint, SQL, client_protocol_version="54460", **session)

    assert _native(clickhouse_endpoint, SQL, **session).endswith(
        b"\x08DateTime" + bytes.fromhex("201a006b")
    )


def test_clickhouse_connect_still_reads_native(writer: Client) -> None:
    result = writer.query("SELECT toDateTime('2026-11-20 10:00:00', 'UTC') AS t, [1, 2] AS a")

    assert result.result_rows[0][1] == [1, 2]
    assert result.result_rows[0][0].isoformat().startswith("2026-11-20T10:00:00")
