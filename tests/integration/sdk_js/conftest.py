"""The real stack for the JS SDK's tests: broker, ClickHouse, the API (CORS open to the test page's
origin) and a worker, started as `pulse up` starts them; a static server for the browser page."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from clickhouse_connect.driver.client import Client

from pulse.local.ports import free_port
from pulse.local.stack import Stack
from tests.polling import eventually
from tests.stack import ClickHouseEndpoint, pipeline_stack

SDK_DIR = Path(__file__).resolve().parents[3] / "sdk" / "js"
PAGE_DIR = Path(__file__).resolve().parent / "page"
PRODUCER_KEY = "pk_js_producer_" + secrets.token_hex(8)
ANALYST_KEY = "pk_js_analyst_" + secrets.token_hex(8)


@dataclass
class JsStack:
    stack: Stack
    api_url: str
    page_origin: str
    database: str
    clickhouse: ClickHouseEndpoint

    def client(self) -> Client:
        return self.clickhouse.client(database=self.database)  # type: ignore[no-any-return]

    def stored(self, source: str) -> list[str]:
        """event_ids in the contract's ``events`` table with this ``source``, one per row."""
        rows = self.client().query(
            "SELECT toString(event_id) FROM events WHERE source = {s:String}",
            parameters={"s": source},
        )
        return [r[0] for r in rows.result_rows]

    def await_stored(self, source: str, expected: int, timeout: float = 90.0) -> list[str]:
        """Poll until ``expected`` rows of ``source`` are stored; the stored ids."""
        return eventually(
            lambda: self.stored(source),
            lambda ids: len(ids) >= expected,
            timeout=timeout,
            what=f"{expected} events with source {source} in events",
        )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


@pytest.fixture(scope="session")
def page_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The browser test's page and the SDK's sources over HTTP on loopback; its origin."""
    root = tmp_path_factory.mktemp("page")
    shutil.copytree(PAGE_DIR, root, dirs_exist_ok=True)
    shutil.copytree(SDK_DIR / "src", root / "sdk")
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_Quiet, directory=str(root)))
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def js_stack(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    page_server: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[JsStack]:
    stack, api_url, database = pipeline_stack(
        kafka_bootstrap,
        clickhouse_endpoint,
        tmp_path_factory.mktemp("js_stack"),
        "js",
        partitions=2,
        api_keys=f"{PRODUCER_KEY}:producer,{ANALYST_KEY}:analyst",
        own_topics=True,
        env={"PULSE_API_CORS_ORIGINS": page_server},
    )
    try:
        stack.up()
        yield JsStack(stack, api_url, page_server, database, clickhouse_endpoint)
    finally:
        stack.down()


MEASURED: list[str] = []  # the throughput bench's figures, for the terminal summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the JS SDK's measured throughput beside its ceiling (docs/sdk-js.md)."""
    if MEASURED:
        terminalreporter.section("JS SDK throughput (events/s, one Node process)")
        for line in MEASURED:
            terminalreporter.write_line(line)
