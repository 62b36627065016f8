"""Reading through the endpoint with clickhouse-connect and plain HTTP, as from a server."""

from __future__ import annotations

import httpx
import pyarrow as pa
from backports import zstd
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.external import ExternalData
from clickhouse_connect.driver.summary import QuerySummary

from tests.stack import ClickHouseEndpoint


def test_client_sees_a_clickhouse_server(writer: Client) -> None:
    assert writer.server_version.startswith("26.")
    assert writer.query("SELECT 1 AS one, 'a' AS letter").result_rows == [(1, "a")]


def test_query_df_and_query_arrow_return_typed_columns(writer: Client) -> None:
    frame = writer.query_df("SELECT number AS n, toString(number) AS s FROM numbers(5)")
    table = writer.query_arrow("SELECT number AS n FROM numbers(5)")

    assert frame["n"].tolist() == [0, 1, 2, 3, 4]
    assert frame["s"].tolist() == ["0", "1", "2", "3", "4"]
    assert table.schema.field("n").type == pa.uint64()
    assert table.column("n").to_pylist() == [0, 1, 2, 3, 4]


def test_server_side_parameters_are_bound_by_the_engine(writer: Client) -> None:
    result = writer.query(
        "SELECT {n:UInt32} + 1 AS next, {s:String} AS text", parameters={"n": 41, "s": "o'k"}
    )
    assert result.result_rows == [(42, "o'k")]


def test_command_returns_the_scalar(writer: Client) -> None:
    assert writer.command("SELECT count() FROM numbers(1234)") == 1234


def test_row_stream_reads_a_large_result_block_by_block(writer: Client) -> None:
    total = 0
    blocks = 0
    with writer.query_row_block_stream("SELECT number FROM numbers(2000000)") as stream:
        for block in stream:
            blocks += 1
            total += len(block)
    assert total == 2_000_000
    assert blocks > 1


def test_df_stream_yields_frames(writer: Client) -> None:
    with writer.query_df_stream("SELECT number AS n FROM numbers(300000)") as stream:
        rows = sum(len(frame) for frame in stream)
    assert rows == 300_000


def test_curl_shaped_get_answers_tab_separated(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    url = f"{clickhouse_endpoint.url}/?query=SELECT+1"
    response = httpx.get(url, auth=clickhouse_endpoint.auth)

    assert response.status_code == 200
    assert response.text == "1\n"
    assert response.headers["X-ClickHouse-Format"] == "TabSeparated"
    assert response.headers["X-ClickHouse-Timezone"]
    assert response.headers["X-ClickHouse-Query-Id"]


def test_ping_and_bare_get_answer_ok(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    assert httpx.get(f"{clickhouse_endpoint.url}/ping").text == "Ok.\n"
    assert httpx.get(f"{clickhouse_endpoint.url}/").text == "Ok.\n"


def test_query_in_url_and_body_are_joined(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    response = httpx.post(
        f"{clickhouse_endpoint.url}/?query=SELECT+number",
        content=b"FROM numbers(3) FORMAT CSV",
        auth=clickhouse_endpoint.auth,
    )
    assert response.text == "0\n1\n2\n"
    assert response.headers["X-ClickHouse-Format"] == "CSV"


def test_response_is_compressed_when_the_client_asks(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    for encoding in ("gzip", "zstd", "deflate"):
        response = httpx.post(
            f"{clickhouse_endpoint.url}/?enable_http_compression=1",
            auth=clickhouse_endpoint.auth,
            content=b"SELECT number FROM numbers(1000) FORMAT TSV",
            headers={"Accept-Encoding": encoding},
        )
        assert response.headers["Content-Encoding"] == encoding
        text = response.text if encoding != "zstd" else zstd.decompress(response.content).decode()
        assert text.splitlines() == [str(n) for n in range(1000)]


def test_response_is_plain_without_enable_http_compression(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        content=b"SELECT 1",
        headers={"Accept-Encoding": "gzip"},
        auth=clickhouse_endpoint.auth,
    )
    assert "Content-Encoding" not in response.headers
    assert response.text == "1\n"


def test_document_formats_over_many_blocks_stay_one_document(
    writer: Client, clickhouse_endpoint: ClickHouseEndpoint
) -> None:
    table = writer.query_arrow("SELECT number FROM numbers(500)", settings={"max_block_size": 50})
    response = httpx.post(
        f"{clickhouse_endpoint.url}/?max_block_size=50",
        auth=clickhouse_endpoint.auth,
        content=b"SELECT number FROM numbers(500) FORMAT JSON",
    )
    assert table.num_rows == 500
    assert len(response.json()["data"]) == 500


def test_command_without_result_set_returns_a_summary(writer: Client) -> None:
    summary = writer.command("DROP TABLE IF EXISTS not_there")
    assert isinstance(summary, QuerySummary)
    assert summary.query_id()


def test_form_encoded_query_with_long_parameters(writer: Client) -> None:
    ids = list(range(5000))
    result = writer.query("SELECT length({ids:Array(UInt32)}) AS n", parameters={"ids": ids})
    assert result.result_rows == [(5000,)]


def test_external_data_becomes_a_temporary_table(writer: Client) -> None:
    data = ExternalData(file_name="people.csv", data=b"1,ann\n2,bob\n", fmt="CSV",
                        structure=["id UInt32", "name String"])  # fmt: skip
    result = writer.query("SELECT name FROM people ORDER BY id", external_data=data)
    assert result.result_rows == [("ann",), ("bob",)]


def test_a_url_encoded_body_is_sql_as_curl_data_binary_sends_it(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    # curl --data-binary labels the body application/x-www-form-urlencoded; ClickHouse reads
    # only multipart bodies as forms, every other body as the query.
    response = httpx.post(
        f"{clickhouse_endpoint.url}/?param_n=41",
        auth=clickhouse_endpoint.auth,
        content=b"SELECT {n:UInt8} + 1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.text == "42\n"


def test_a_multipart_form_carries_query_and_parameters(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    fields = {"query": "SELECT {n:UInt8} + 1, {s:String}", "param_n": "41", "param_s": "a b"}
    response = httpx.post(
        f"{clickhouse_endpoint.url}/",
        auth=clickhouse_endpoint.auth,
        files={name: (None, value) for name, value in fields.items()},
    )
    assert response.status_code == 200, response.text
    assert response.text == "42\ta b\n"


def test_curl_style_external_file_with_types_becomes_a_table(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        f"{clickhouse_endpoint.url}/",
        auth=clickhouse_endpoint.auth,
        params={
            "query": "SELECT sum(_1), max(_2) FROM nums",
            "nums_types": "UInt32,String",
            "nums_format": "CSV",
        },  # fmt: skip
        files={"nums": ("n.csv", b"1,a\n2,c\n3,b\n")},
    )
    assert response.status_code == 200, response.text
    assert response.text == "6\tc\n"


def test_row_formats_over_many_blocks_are_their_rows_concatenated(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    def fetch(fmt: str) -> list[str]:
        response = httpx.post(
            f"{clickhouse_endpoint.url}/?max_block_size=50",
            auth=clickhouse_endpoint.auth,
            content=f"SELECT number AS n FROM numbers(500) FORMAT {fmt}".encode(),
        )
        assert response.status_code == 200, response.text
        return response.text.splitlines()

    assert fetch("JSONEachRow") == [f'{{"n":{i}}}' for i in range(500)]
    assert fetch("CSVWithNames") == ['"n"', *map(str, range(500))]
    assert fetch("TSVWithNamesAndTypes") == ["n", "UInt64", *map(str, range(500))]
