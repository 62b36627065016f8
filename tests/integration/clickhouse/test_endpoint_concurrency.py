"""Requests run in parallel: a long analyst query does not hold up the writer."""

from __future__ import annotations

import threading
import uuid

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from pulse.local.process import wait_until
from tests.stack import ClickHouseEndpoint


def test_insert_completes_while_a_long_analyst_query_runs(
    clickhouse_endpoint: ClickHouseEndpoint, writer: Client, analyst: Client, events_table: str
) -> None:
    marker = uuid.uuid4().hex
    long_query = (
        f"SELECT /* {marker} */ count() FROM numbers(100000000000) WHERE cityHash64(number) % 7 = 1"
    )
    long_done = threading.Event()
    failure: list[BaseException] = []

    def run_long() -> None:
        try:
            analyst.query(long_query)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            failure.append(exc)
        finally:
            long_done.set()

    thread = threading.Thread(target=run_long)
    thread.start()
    try:
        wait_until(lambda: _running(writer, marker), 30, "the long analyst query")
        writer.insert(events_table, [[1, "during", 0]], column_names=["id", "name", "ts"])
        assert writer.command("SELECT count() FROM events") == 1
        assert not long_done.is_set()
    finally:
        writer.command(
            f"KILL QUERY WHERE query LIKE '%{marker}%' AND query NOT LIKE '%system.processes%' SYNC"
        )
        thread.join(30)
    assert isinstance(failure[0], DatabaseError)
    assert failure[0].code == 394


def _running(client: Client, marker: str) -> bool:
    return bool(
        client.command(
            f"SELECT count() FROM system.processes WHERE query LIKE '%{marker}%' "
            "AND query NOT LIKE '%system.processes%'"
        )
    )
