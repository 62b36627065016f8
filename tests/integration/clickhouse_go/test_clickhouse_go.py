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
from typing import Any

import pytest

from clickhouse.migrate import apply_migrations
from stream_processors.rows import COLUMNS
from tests.stack import ClickHouseEndpoint

CHGO = Path(__file__).parent / "chgo"
pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="Go toolchain not installed")


@pytest.fixture(scope="module")
def chgo_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    binary = tmp_path_factory.mktemp("chgo") / "chgo"
    subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=CHGO,
        check=True,
        timeout=600,
        env={**os.environ, "GOFLAGS": "-mod=mod"},
    )
    return binary


def _run(
    binary: Path,
    endpoint: ClickHouseEndpoint,
    mode: str,
    database: str = "default",
    from_: datetime | None = None,
    to: datetime | None = None,
) -> dict[str, Any]:
    """Run the Go program in ``mode``; what it read, as JSON."""
    env = {
        **os.environ,
        "CHGO_MODE": mode,
        "CHGO_ADDR": f"127.0.0.1:{endpoint.port}",
        "CHGO_DATABASE": database,
        "CHGO_USER": endpoint.user,
        "CHGO_PASSWORD": endpoint.password,
        "CHGO_FROM": str(int(from_.timestamp())) if from_ else "0",
        "CHGO_TO": str(int(to.timestamp())) if to else "0",
    }
    run = subprocess.run(
        [str(binary)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def test_clickhouse_go_reads_schema_series_and_tables(
    clickhouse_endpoint: ClickHouseEndpoint, chgo_binary: Path
) -> None:
    database = f"pulse_go_{secrets.token_hex(4)}"
    client = clickhouse_endpoint.client()
    apply_migrations(client, database)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    rows = [
        [
            uuid.uuid4(),
            "assignment.viewed",
            f"user-{i % 4}",
            start + timedelta(seconds=20 * i),
            start,
            "web",
            "",
            "math" if i % 2 else "cs",
            "hw-1",
            '{"k": 1}',
            "",
            0,
            i,
        ]
        for i in range(12)
    ]
    client.insert(
        f"{database}.events_store",
        rows,
        column_names=list(COLUMNS["events_store"]),
    )
    try:
        out = _run(
            chgo_binary,
            clickhouse_endpoint,
            "panels",
            database,
            from_=start,
            to=start + timedelta(minutes=4),
        )
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")

    # chDB names its zone Etc/UTC, as the X-ClickHouse-Timezone header does
    assert out["server"]["timezone"] == "Etc/UTC" and out["server"]["version"]
    assert out["server"]["revision"] > 54460
    assert database in out["databases"]
    assert {"events", "events_store", "dau", "assignment_time"} <= set(out["tables"])
    assert ("ts", "DateTime64(3, 'UTC')") in [tuple(c) for c in out["columns"]]
    assert [s["events"] for s in out["series"]] == [3, 3, 3, 3]
    assert out["series"][0]["time"] == "2026-11-20T10:00:00Z"
    top = out["table_panel"][0]
    assert top["events"] == 3 and top["first_day"] == "2026-11-20"
    assert top["last_seen"].startswith("2026-11-20T10:0")


def test_clickhouse_go_reads_the_column_types_of_grafana_panels(
    clickhouse_endpoint: ClickHouseEndpoint, chgo_binary: Path
) -> None:
    out = _run(chgo_binary, clickhouse_endpoint, "types")

    assert out["type_names"] == [
        "DateTime64(3, 'UTC')",
        "Date",
        "Float64",
        "UInt64",
        "String",
        "LowCardinality(String)",
        "Nullable(String)",
        "Nullable(String)",
        "Array(String)",
        "DateTime('UTC')",
    ]
    assert out["types"] == {
        "dt64": "2026-11-20T10:00:00.123Z",
        "dt64_zone": "UTC",
        "day": "2026-11-20",
        "f64": 1.5,
        "u64": "18446744073709551615",
        "str": "caf\u00e9",
        "lc": "lc",
        "ns_null": True,
        "ns": "x",
        "arr": ["a", "", "c"],
        "dt": "2026-11-20T10:00:00Z",
        "dt_zone": "UTC",
    }
    assert out["blocks_rows"] == 25000
