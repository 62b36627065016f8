"""The analyst account and GET requests are read-only, and the analyst cannot reach out."""

from __future__ import annotations

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.stack import ClickHouseEndpoint


def _code(client: Client, sql: str) -> int | None:
    with pytest.raises(DatabaseError) as raised:
        client.command(sql)
    return raised.value.code


def test_analyst_reads_what_the_writer_wrote(
    writer: Client, analyst: Client, events_table: str
) -> None:
    writer.insert(events_table, [[1, "a", 0]], column_names=["id", "name", "ts"])
    assert analyst.query("SELECT id, name FROM events").result_rows == [(1, "a")]


def test_analyst_insert_is_readonly_error(analyst: Client, events_table: str) -> None:
    with pytest.raises(DatabaseError) as raised:
        analyst.insert(events_table, [[1, "a", 0]], column_names=["id", "name", "ts"])
    assert raised.value.code == 164


def test_analyst_ddl_is_readonly_error(analyst: Client) -> None:
    assert _code(analyst, "CREATE TABLE t (a UInt8) ENGINE = Memory") == 164


def test_analyst_cannot_lift_readonly(analyst: Client) -> None:
    assert _code(analyst, "SET readonly = 0") == 164


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT file('/etc/hostname')",
        "SELECT * FROM url('http://127.0.0.1:1/x', 'CSV', 'a String')",
        "SELECT * FROM remote('127.0.0.1', system.one)",
        "SELECT * FROM s3('http://127.0.0.1:1/b/k.csv', 'CSV', 'a String')",
        "SELECT 1 WHERE 1 IN (SELECT 1 FROM `mysql`('h:1', 'db', 't', 'u', 'p'))",
    ],
)
def test_analyst_cannot_touch_files_or_network(analyst: Client, sql: str) -> None:
    assert _code(analyst, sql) == 497


def test_into_outfile_is_refused(analyst: Client, writer: Client) -> None:
    assert _code(analyst, "SELECT 1 INTO OUTFILE '/tmp/pulse-outfile.csv'") == 358
    assert _code(writer, "SELECT 1 INTO OUTFILE '/tmp/pulse-outfile.csv'") == 358


def test_analyst_may_still_use_local_table_functions_and_settings(analyst: Client) -> None:
    result = analyst.query(
        "SELECT count() FROM numbers(10)", settings={"max_threads": 1, "max_block_size": 100}
    )
    assert result.result_rows == [(10,)]


def test_get_requests_are_read_only(clickhouse_endpoint: ClickHouseEndpoint, database: str) -> None:
    response = httpx.get(
        clickhouse_endpoint.url,
        auth=clickhouse_endpoint.auth,
        params={"database": database, "query": "CREATE TABLE t (a UInt8) ENGINE = Memory"},
    )
    assert response.status_code == 500
    assert response.headers["X-ClickHouse-Exception-Code"] == "164"


def test_writer_may_make_its_own_session_read_only(writer: Client) -> None:
    writer.command("SET readonly = 1")

    assert _code(writer, "CREATE TABLE made_after_set_readonly (x UInt8) ENGINE = Memory") == 164
    assert _code(writer, "SET readonly = 0") == 164
