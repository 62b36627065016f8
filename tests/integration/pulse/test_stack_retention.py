"""`pulse up` migrates with the retention the environment sets (it once used a fixed 90 days)."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from pulse.cli import app
from tests.stack import ClickHouseEndpoint

TABLES = ("events_store", "dau_users", "llm_calls", "assignment_pair_rollup")


def test_pulse_retention_days_30_gives_every_table_a_30_day_ttl(
    clickhouse_endpoint: ClickHouseEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"pulse_retention_{uuid4().hex[:10]}"
    monkeypatch.chdir(tmp_path)  # `pulse` writes its .env into the working directory
    monkeypatch.setenv("CLICKHOUSE_URL", clickhouse_endpoint.url)
    monkeypatch.setenv("CLICKHOUSE_DATABASE", database)
    monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PULSE_RETENTION_DAYS", "30")
    # `pulse migrate` is `pulse up`'s own migration step (Stack.migrate), without the processes.
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    with clickhouse_endpoint.client(database="") as client:
        try:
            for table in TABLES:
                ddl = str(client.command(f"SHOW CREATE TABLE `{database}`.{table}"))
                assert "toIntervalDay(30)" in ddl, f"{table}: {ddl}"
        finally:
            client.command(f"DROP DATABASE IF EXISTS `{database}`")
