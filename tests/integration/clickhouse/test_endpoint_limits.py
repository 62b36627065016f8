"""Analyst queries run under the endpoint's limits, which the analyst cannot raise."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from clickhouse.config import EndpointSettings
from tests.stack import ClickHouseEndpoint, free_port, start_clickhouse


def _as_analyst(endpoint: ClickHouseEndpoint, sql: str, **params: str) -> httpx.Response:
    return httpx.post(
        endpoint.url, params=params, content=sql.encode(), auth=endpoint.analyst_auth, timeout=60
    )


def test_analyst_queries_run_under_the_configured_limits(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    limits = EndpointSettings().analyst_limits()  # type: ignore[call-arg]
    names = list(limits)
    sql = "SELECT " + ", ".join(f"toString(getSetting('{n}'))" for n in names)
    response = _as_analyst(clickhouse_endpoint, sql)
    assert response.status_code == 200, response.text
    assert response.text.rstrip("\n").split("\t") == [limits[n] for n in names]


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT 1 SETTINGS max_execution_time = 100000", {}),
        ("SELECT 1 SETTINGS max_threads = 2, max_result_rows = 0", {}),
        ("SELECT 1 SETTINGS `max_memory_usage` /* */ = 0", {}),
        ("SELECT * FROM (SELECT 1 SETTINGS result_overflow_mode = 'break')", {}),
        ("SELECT 1", {"max_result_bytes": "0"}),
        ("SELECT 1", {"max_execution_time": "0"}),
        ("SET max_execution_time = 0", {}),
    ],
)
def test_analyst_cannot_raise_a_limit(
    clickhouse_endpoint: ClickHouseEndpoint, sql: str, params: dict[str, str]
) -> None:
    response = _as_analyst(clickhouse_endpoint, sql, **params)
    assert response.headers["X-ClickHouse-Exception-Code"] == "164", response.text


def test_analyst_cannot_raise_a_limit_for_later_requests_of_a_session(
    clickhouse_endpoint: ClickHouseEndpoint,
) -> None:
    session = {"session_id": f"s-{uuid.uuid4()}"}
    refused = _as_analyst(clickhouse_endpoint, "SET max_result_rows = 0", **session)
    after = _as_analyst(clickhouse_endpoint, "SELECT getSetting('max_result_rows')", **session)
    assert refused.headers["X-ClickHouse-Exception-Code"] == "164"
    assert after.text.strip() == str(EndpointSettings().analyst_max_result_rows)  # type: ignore[call-arg]


def test_analyst_may_still_change_other_settings(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    response = _as_analyst(
        clickhouse_endpoint, "SELECT getSetting('max_threads') SETTINGS max_threads = 3"
    )
    assert response.text == "3\n"


@pytest.fixture(scope="module")
def tight_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseEndpoint]:
    """An endpoint whose analysts may get 1000 rows and run for one second."""
    endpoint = start_clickhouse(
        tmp_path_factory.mktemp("tight"),
        env={"CLICKHOUSE_ANALYST_MAX_RESULT_ROWS": "1000",
             "CLICKHOUSE_ANALYST_MAX_EXECUTION_TIME": "1"},
    )  # fmt: skip
    yield endpoint
    endpoint.process.stop()


def test_a_result_over_max_result_rows_is_an_error_not_a_truncation(
    tight_endpoint: ClickHouseEndpoint,
) -> None:
    response = _as_analyst(
        tight_endpoint, "SELECT number FROM numbers(5000)", wait_end_of_query="1"
    )
    assert response.status_code != 200
    assert response.headers["X-ClickHouse-Exception-Code"] == "396"


def test_an_analyst_query_over_max_execution_time_is_stopped(
    tight_endpoint: ClickHouseEndpoint,
) -> None:
    response = _as_analyst(
        tight_endpoint,
        "SELECT sleepEachRow(0.5) FROM numbers(10) SETTINGS max_block_size = 1",
        wait_end_of_query="1",
    )
    assert response.headers["X-ClickHouse-Exception-Code"] == "159", response.text


def test_the_writer_is_not_stopped_by_the_analyst_time_limit(
    tight_endpoint: ClickHouseEndpoint,
) -> None:
    response = httpx.post(
        tight_endpoint.url,
        content=b"SELECT sleepEachRow(0.5) FROM numbers(4) SETTINGS max_block_size = 1",
        auth=tight_endpoint.auth,
        timeout=60,
    )
    assert response.status_code == 200, response.text


def test_writer_is_not_bound_by_the_analyst_limits(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    response = httpx.post(
        clickhouse_endpoint.url,
        content=b"SELECT getSetting('max_result_rows') SETTINGS max_result_rows = 0",
        auth=clickhouse_endpoint.auth,
    )
    assert response.text == "0\n"


def test_endpoint_refuses_to_listen_beyond_loopback_with_an_empty_password(
    tmp_path: object,
) -> None:
    env = {**os.environ, "CLICKHOUSE_PASSWORD": "", "CLICKHOUSE_READONLY_PASSWORD": "x"}
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "clickhouse.server", "--host", "0.0.0.0",  # noqa: S104
         "--port", str(free_port()), "--data-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "empty password" in done.stderr
    assert "CLICKHOUSE_PASSWORD" in done.stderr


def test_a_statement_over_the_query_limit_is_413(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    limit = EndpointSettings().max_query_bytes  # type: ignore[call-arg]
    sql = b"SELECT 1 /*" + b" " * limit + b"*/"
    response = httpx.post(clickhouse_endpoint.url, content=sql, auth=clickhouse_endpoint.auth)
    assert response.status_code == 413
    assert response.headers["X-ClickHouse-Exception-Code"] == "229"


def test_a_form_over_the_form_limit_is_413(clickhouse_endpoint: ClickHouseEndpoint) -> None:
    limit = EndpointSettings().max_form_bytes  # type: ignore[call-arg]
    response = httpx.post(
        clickhouse_endpoint.url,
        params={"t_structure": "x String"},
        data={"query": "SELECT count() FROM t"},
        files={"t": ("t.tsv", b"a\n" * (limit // 2 + 1))},
        auth=clickhouse_endpoint.analyst_auth,
        timeout=60,
    )
    assert response.status_code == 413
