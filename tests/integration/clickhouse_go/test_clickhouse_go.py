"""Grafana's driver, clickhouse-go v2 over HTTP, against the embedded endpoint.

The Go program beside this file (chgo/) runs the plugin's kinds of queries: ping, server info,
schema browsing, a time series with time-filter bounds, a table panel. Skipped where Go is absent.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import clickhouse_connect
import pytest

from clickhouse.migrate import apply_migrations
from tests.stack import ClickHouseEndpoint

CHGO = Path(__file__).parent / "chgo"
pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="Go toolchain not installed")


@pytest.fixture(scope="module")
def chgo_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = tmp_path_factory.mktemp("chgo") / "chgo"
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=CHGO, check=True, timeout=600,
                   env={**os.environ, "GOFLAGS": "-mod=mod"})
    return binary


def test_clickhouse_go_reads_schema_series_and_tables(
    clickhouse_endpoint: ClickHouseEndpoint, chgo_binary: Path
) -> None:
    database = f"pulse_go_{secrets.token_hex(4)}"
    client = clickhouse_connect.get_client(host="127.0.0.1", port=clickhouse_endpoint.port)
    apply_migrations(client, database)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    rows = [
        [uuid.uuid4(), "assignment.viewed", f"user-{i % 4}", start + timedelta(seconds=20 * i),
         start, "web", "", "math" if i % 2 else "cs", "hw-1", '{"k": 1}', "", 0, i]
        for i in range(12)
    ]
    client.insert(
        f"{database}.events_store", rows,
        column_names=["event_id", "event", "user_id", "ts", "received_at", "source", "session_id",
                      "subject", "assignment_id", "metadata", "request_id", "kafka_partition",
                      "kafka_offset"],
    )
    env = {
        **os.environ,
        "CHGO_ADDR": f"127.0.0.1:{clickhouse_endpoint.port}",
        "CHGO_DATABASE": database,
        "CHGO_USER": "default",
        "CHGO_PASSWORD": "",
        "CHGO_FROM": str(int(start.timestamp())),
        "CHGO_TO": str(int((start + timedelta(minutes=4)).timestamp())),
    }
    try:
        run = subprocess.run([str(chgo_binary)], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
        assert run.returncode == 0, run.stderr
        out = json.loads(run.stdout)
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")

    assert out["server"]["timezone"] == "UTC" and out["server"]["version"]
    assert database in out["databases"]
    assert {"events", "events_store", "dau", "assignment_time"} <= set(out["tables"])
    assert ("ts", "DateTime64(3, 'UTC')") in [tuple(c) for c in out["columns"]]
    assert [s["events"] for s in out["series"]] == [3, 3, 3, 3]
    assert out["series"][0]["time"] == "2026-11-20T10:00:00Z"
    top = out["table_panel"][0]
    assert top["events"] == 3 and top["first_day"] == "2026-11-20"
    assert top["last_seen"].startswith("2026-11-20T10:0")
