"""Migrations against the ClickHouse endpoint: ordered, recorded once, idempotent, guarded."""

from __future__ import annotations

import shutil
from pathlib import Path
from uuid import uuid4

import pytest
from clickhouse_connect.driver.client import Client

from clickhouse.client import writer_client
from clickhouse.migrate import MIGRATIONS_DIR, MigrationError, apply_migrations, load_migrations
from core.settings import SharedSettings
from tests.stack import ClickHouseEndpoint

CONTRACT_COLUMNS = {
    "events": {
        "event_id",
        "event",
        "user_id",
        "ts",
        "received_at",
        "source",
        "session_id",
        "subject",
        "assignment_id",
        "metadata",
    },
    "dau": {"day", "dau"},
    "assignment_time": {
        "user_id",
        "assignment_id",
        "subject",
        "first_ts",
        "last_ts",
        "active_seconds",
        "submitted",
    },
    "llm_usage_daily": {
        "day",
        "user_id",
        "model",
        "calls",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    },
    "subject_usage_daily": {"day", "subject", "users", "events"},
}


@pytest.fixture
def client(clickhouse_endpoint: ClickHouseEndpoint) -> Client:
    settings = SharedSettings(CLICKHOUSE_URL=clickhouse_endpoint.url)  # type: ignore[call-arg]
    return writer_client("", settings=settings)


@pytest.fixture
def database() -> str:
    return f"pulse_migrate_{uuid4().hex[:10]}"


def test_migrations_run_twice_apply_once_and_record_each_version_once(
    client: Client, database: str
) -> None:
    names = [m.name for m in load_migrations()]
    assert apply_migrations(client, database) == names
    assert apply_migrations(client, database) == []
    recorded = client.query(
        f"SELECT version, name, checksum FROM {database}.schema_migrations ORDER BY version"
    ).result_rows
    assert [name for _, name, _ in recorded] == names
    assert [checksum for *_, checksum in recorded] == [m.checksum for m in load_migrations()]


def test_every_contract_table_exists_with_its_columns(client: Client, database: str) -> None:
    apply_migrations(client, database)
    for table, columns in CONTRACT_COLUMNS.items():
        described = client.query(f"DESCRIBE TABLE {database}.{table}").result_rows
        assert columns <= {row[0] for row in described}, table
        assert client.query(f"SELECT count() FROM {database}.{table}").result_rows == [(0,)]


def test_a_migration_edited_after_it_was_applied_is_refused(
    client: Client, database: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    apply_migrations(client, database, directory=directory)
    first = sorted(directory.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        apply_migrations(client, database, directory=directory)


def test_badly_named_migration_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_create.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="NNNN_what_it_does.sql"):
        load_migrations(tmp_path)


def test_two_files_with_one_version_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="used twice"):
        load_migrations(tmp_path)


def test_unsafe_database_names_are_refused(client: Client) -> None:
    with pytest.raises(MigrationError, match="letters, digits and underscores"):
        apply_migrations(client, "pulse; DROP TABLE x")


def test_a_client_bound_to_a_missing_database_can_create_it(
    clickhouse_endpoint: ClickHouseEndpoint, database: str
) -> None:
    settings = SharedSettings(  # type: ignore[call-arg]
        CLICKHOUSE_URL=clickhouse_endpoint.url, CLICKHOUSE_DATABASE=database
    )
    client = writer_client(settings=settings)
    assert apply_migrations(client, database)
    assert client.query("SELECT currentDatabase(), count() FROM dau").result_rows == [(database, 0)]


@pytest.mark.parametrize("retention_days", [None, 30])
def test_tables_expire_rows_only_with_a_retention(
    client: Client, database: str, retention_days: int | None
) -> None:
    apply_migrations(client, database, retention_days)
    for table in ("events_store", "dau_users", "llm_calls", "assignment_pair_rollup"):
        ddl = str(client.command(f"SHOW CREATE TABLE `{database}`.{table}"))
        if retention_days is None:
            assert "TTL" not in ddl, table
        else:
            assert f"toIntervalDay({retention_days})" in ddl, table
    client.command(f"DROP DATABASE `{database}`")


def test_an_accepted_event_from_1970_is_kept_without_a_retention(
    client: Client, database: str
) -> None:
    apply_migrations(client, database)
    client.command(f"INSERT INTO `{database}`.dau_users VALUES ('1970-01-01', 'u')")
    client.command(f"OPTIMIZE TABLE `{database}`.dau_users FINAL")
    assert client.command(f"SELECT count() FROM `{database}`.dau_users") == 1
    client.command(f"DROP DATABASE `{database}`")
