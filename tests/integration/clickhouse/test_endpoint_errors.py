"""Failures look like ClickHouse's: status, exception code header, body, and mid-stream blocks."""

from __future__ import annotations

import httpx
import pytest
from clickhouse_connect import get_client
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, StreamFailureError

from clickhouse.config import EndpointSettings
from tests.stack import ClickHouseEndpoint


def test_bad_sql_raises_database_error_with_the_code(writer: Client) -> None:
    with pytest.raises(DatabaseError) as raised:
        writer.query("SELEC 1")
    assert raised.value.code == 62


def test_unknown_table_is_404_with_code_header(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        content=b"SELECT * FROM no_such_table",
        auth=clickhouse_endpoint.auth,
    )

    assert response.status_code == 404
    assert response.headers["X-ClickHouse-Exception-Code"] == "60"
    assert response.text.startswith("Code: 60. DB::Exception: ")
    assert "(UNKNOWN_TABLE)" in response.text


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT throwIf(1, concat('bad ', unhex('EA')))",  # a message quoting invalid UTF-8
        "SELECT throwIf(number = 3, concat('bad ', unhex('EA'))) FROM numbers(5)",
    ],
)
def test_an_error_whose_text_is_not_utf8_keeps_its_code(writer: Client, sql: str) -> None:
    with pytest.raises(DatabaseError) as raised:
        writer.command(sql)
    assert raised.value.code == 395  # FUNCTION_THROW_IF_VALUE_IS_NON_ZERO, not a bare 500
    assert "bad \ufffd" in str(raised.value)


def test_failure_in_the_middle_of_a_stream_raises(writer: Client) -> None:
    query = (
        "SELECT throwIf(number = 500000, 'boom') FROM numbers(1000000) "
        "SETTINGS max_block_size = 1000"
    )
    with pytest.raises(StreamFailureError) as raised:
        with writer.query_row_block_stream(query) as stream:
            for _ in stream:
                pass
    assert raised.value.code == 395


def test_failure_mid_stream_over_http_ends_with_a_tagged_block(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        auth=clickhouse_endpoint.auth,
        content=b"SELECT throwIf(number = 500000) FROM numbers(1000000) "
        b"SETTINGS max_block_size = 1000 FORMAT TSV",
    )
    tag = response.headers["X-ClickHouse-Exception-Tag"]

    assert response.status_code == 200
    assert response.content.endswith(f" {tag}\r\n__exception__\r\n".encode())
    assert f"__exception__\r\n{tag}\r\nCode: 395.".encode() in response.content


def test_wait_end_of_query_turns_a_late_failure_into_a_status(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        f"{clickhouse_endpoint.url}/?wait_end_of_query=1",
        auth=clickhouse_endpoint.auth,
        content=b"SELECT throwIf(number = 500000) FROM numbers(1000000) "
        b"SETTINGS max_block_size = 1000",
    )
    assert response.status_code == 500
    assert response.headers["X-ClickHouse-Exception-Code"] == "395"


def test_wrong_password_is_authentication_failed(
    clickhouse_endpoint: ClickHouseEndpoint, endpoint_settings: EndpointSettings
) -> None:
    response = httpx.get(
        f"{clickhouse_endpoint.url}/?query=SELECT+1",
        auth=(endpoint_settings.readonly_user, "not-the-password"),
    )
    assert response.status_code == 403
    assert response.headers["X-ClickHouse-Exception-Code"] == "516"


def test_unknown_user_cannot_connect_with_clickhouse_connect(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    with pytest.raises(DatabaseError) as raised:
        get_client(host="127.0.0.1", port=clickhouse_endpoint.port, username="mallory")
    assert "516" in str(raised.value)


@pytest.mark.parametrize("how", ["basic", "headers", "url"])
def test_every_credential_style_is_accepted(
    clickhouse_endpoint: ClickHouseEndpoint, endpoint_settings: EndpointSettings, how: str
) -> None:
    user = endpoint_settings.readonly_user
    password = endpoint_settings.readonly_password.get_secret_value()
    query = "SELECT getSetting('readonly')"
    kwargs: dict[str, object] = {"params": {"query": query}}
    if how == "basic":
        kwargs["auth"] = (user, password)
    elif how == "headers":
        kwargs["headers"] = {"X-ClickHouse-User": user, "X-ClickHouse-Key": password}
    else:
        kwargs["params"] = {"query": query, "user": user, "password": password}
    response = httpx.get(clickhouse_endpoint.url, **kwargs)  # type: ignore[arg-type]

    assert response.status_code == 200, response.text
    assert response.text == "2\n"
