"""The endpoint's doors: credentials always, and an analyst fenced on ClickHouse's own parse."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.stack import ClickHouseEndpoint

REPO = Path(__file__).resolve().parents[3]


def _as_analyst(endpoint: ClickHouseEndpoint, sql: str, **params: str) -> httpx.Response:
    return httpx.post(
        endpoint.url, params=params, content=sql.encode(), auth=endpoint.analyst_auth, timeout=60
    )


def test_analyst_cannot_read_env_through_an_external_data_structure(
    clickhouse_endpoint: ClickHouseEndpoint, tmp_path: Path
) -> None:
    secret = tmp_path / ".env"
    secret.write_text("PULSE_API_KEYS=pk_admin_secret:admin\n")
    structure = (
        f"x String) ENGINE=Memory AS SELECT line AS x FROM file('{secret}','LineAsString') --"
    )
    response = httpx.post(
        clickhouse_endpoint.url,
        params={"t_structure": structure},
        data={"query": "SELECT * FROM t"},
        files={"t": ("t.tsv", b"a\n")},
        auth=clickhouse_endpoint.analyst_auth,
    )
    assert response.status_code == 400
    assert response.headers["X-ClickHouse-Exception-Code"] == "36"
    assert "pk_admin_secret" not in response.text


def test_external_data_with_a_plain_structure_still_works(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        params={"t_structure": "id UInt32, `the name` Nullable(String)"},
        data={"query": "SELECT sum(id), max(`the name`) FROM t"},
        files={"t": ("t.tsv", b"1\ta\n2\tb\n")},
        auth=clickhouse_endpoint.analyst_auth,
    )
    assert response.status_code == 200, response.text
    assert response.text == "3\tb\n"


@pytest.mark.parametrize(
    "field",
    [
        {"t_structure": "x String DEFAULT (SELECT 1)"},
        {"t_types": "String) ENGINE=Memory AS SELECT 1 --"},
        {"t_structure": "x String", "t_format": "TSV SETTINGS max_threads=1"},
    ],
)
def test_external_data_that_is_not_a_column_list_is_refused(
    clickhouse_endpoint: ClickHouseEndpoint, field: dict[str, str]
) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        params=field,
        data={"query": "SELECT * FROM t"},
        files={"t": ("t.tsv", b"a\n")},
        auth=clickhouse_endpoint.auth,
    )
    assert response.headers["X-ClickHouse-Exception-Code"] == "36"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('{env}', 'LineAsString')",
        "SELECT * FROM /* /* */ file('{env}', 'LineAsString') /* */ */",
        "SELECT * FROM `file`('{env}', 'LineAsString')",
        "SELECT * FROM \"file\"('{env}', 'LineAsString')",
        "SELECT * FROM fIlE('{env}', 'LineAsString')",
        "SELECT *\u00a0FROM\u2003file('{env}', 'LineAsString')",
        "SELECT * FROM (SELECT * FROM file('{env}', 'LineAsString'))",
        "WITH s AS (SELECT * FROM file('{env}', 'LineAsString')) SELECT * FROM s",
        "SELECT * FROM numbers(1) AS a JOIN file('{env}', 'LineAsString') AS b ON 1",
        "SELECT $$ -- $$, * FROM file('{env}', 'LineAsString')",
        "SELECT $t$ /* $t$, * FROM file('{env}', 'LineAsString') -- */",
        "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
        "SELECT * FROM s3('http://127.0.0.1:1/x', 'LineAsString')",
        "SELECT * FROM hdfs('hdfs://127.0.0.1:1/x', 'LineAsString')",
        "SELECT * FROM remote('127.0.0.1:1', system.one)",
    ],
)
def test_analyst_cannot_reach_files_or_network_whatever_the_spelling(
    clickhouse_endpoint: ClickHouseEndpoint, sql: str
) -> None:
    response = _as_analyst(clickhouse_endpoint, sql.format(env=REPO / "pyproject.toml"))
    assert response.headers["X-ClickHouse-Exception-Code"] == "497", response.text
    assert "[project]" not in response.text


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 INTO OUTFILE '{out}'",
        "SELECT 1 INTO /* x */ OUTFILE '{out}' FORMAT CSV",
        "SELECT 1 FORMAT CSV INTO OUTFILE '{out}'",
    ],
)
def test_analyst_cannot_write_a_file(
    clickhouse_endpoint: ClickHouseEndpoint, tmp_path: Path, sql: str
) -> None:
    out = tmp_path / "out.csv"
    response = _as_analyst(clickhouse_endpoint, sql.format(out=out))
    assert response.status_code != 200
    assert not out.exists()


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE default.x (a UInt8) ENGINE = Memory",
        "SYSTEM DROP DNS CACHE",
        "CREATE TEMPORARY TABLE t (a String) ENGINE = URL('http://127.0.0.1:1/', 'TSV')",
    ],
)
def test_analyst_cannot_write_or_run_system_statements(
    clickhouse_endpoint: ClickHouseEndpoint, sql: str
) -> None:
    response = _as_analyst(clickhouse_endpoint, sql)
    assert response.status_code != 200
    assert response.headers["X-ClickHouse-Exception-Code"] in {"164", "497"}


def test_request_without_credentials_is_refused(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        data={"query": "CREATE TABLE default.anonymous (a UInt8) ENGINE = Memory"},
    )
    assert response.status_code == 401
    assert response.headers["X-ClickHouse-Exception-Code"] == "194"
    exists = httpx.post(
        clickhouse_endpoint.url, content=b"EXISTS TABLE default.anonymous",
        auth=clickhouse_endpoint.auth,
    )  # fmt: skip
    assert exists.text == "0\n"


def test_cross_site_form_post_without_the_password_is_refused(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        data={"query": "DROP DATABASE IF EXISTS pulse", "user": "default"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code in {401, 403}
    assert response.headers["X-ClickHouse-Exception-Code"] in {"194", "516"}


def test_empty_password_is_not_the_writer(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    response = httpx.get(
        clickhouse_endpoint.url, params={"query": "SELECT 1"}, auth=("default", "")
    )
    assert response.headers["X-ClickHouse-Exception-Code"] == "516"
