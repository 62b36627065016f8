"""Every migration in its cluster form: valid ClickHouse SQL (chDB's own parser), replicated
storage under Distributed tables, ON CLUSTER on every DDL; the single-server form untouched."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import chdb
import pytest

from clickhouse.cluster import LOCAL_SUFFIX, REPLICA_PATH, ClusterDDL, ClusterRenderError
from clickhouse.config import schema_settings
from clickhouse.migrate import (
    MIGRATIONS_DIR,
    apply_migrations,
    cluster_ddl,
    load_migrations,
    migration_statements,
    schema_statements,
)

DATABASE = "pulse"
CLUSTER = "pulse_cluster"
MERGE_TREE = re.compile(r"ENGINE = (\w*MergeTree)(?:\((.*)\))?$", re.MULTILINE)
DISTRIBUTED = re.compile(r"ENGINE = Distributed\('([^']+)', '([^']+)', '([^']+)', (.+)\)$")


def formatted(sql: str) -> str:
    """ClickHouse's own canonical text of ``sql``; raises when ClickHouse cannot parse it."""
    literal = sql.replace("\\", "\\\\").replace("'", "\\'")
    return chdb.query(f"SELECT formatQuery('{literal}')", "TSVRaw").data().strip()


def cluster_statements(retention_days: int | None = 30) -> list[str]:
    migrations = load_migrations()
    ddl = cluster_ddl(migrations, DATABASE, CLUSTER)
    statements = schema_statements(DATABASE, ddl)
    for migration in migrations:
        statements += migration_statements(migration, DATABASE, retention_days, ddl)
    return statements


ALL = cluster_statements()
FORMATTED = [formatted(sql) for sql in ALL]


class RecordingClient:
    """Just enough of clickhouse-connect's client to record what apply_migrations sends."""

    def __init__(self) -> None:
        self.database = ""
        self.commands: list[str] = []

    def command(self, sql: str) -> None:
        self.commands.append(sql)

    def query(self, sql: str, parameters: dict[str, Any]) -> Any:
        return type("Result", (), {"result_rows": []})()

    def insert(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def no_cluster_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_CLICKHOUSE_CLUSTER", raising=False)
    schema_settings.cache_clear()
    yield
    schema_settings.cache_clear()


def test_every_cluster_statement_parses_as_clickhouse_sql() -> None:
    assert len(FORMATTED) > len(load_migrations())
    assert all(FORMATTED)


def test_every_ddl_statement_runs_on_the_cluster() -> None:
    for text in FORMATTED:
        if not text.startswith("INSERT"):
            assert f"ON CLUSTER {CLUSTER}" in text.splitlines()[0], text


def test_every_storage_table_is_replicated_with_the_standard_macros() -> None:
    engines = [m for text in FORMATTED for m in MERGE_TREE.finditer(text)]
    assert len(engines) >= 10
    for engine in engines:
        assert engine.group(1).startswith("Replicated"), engine.group(0)
        path, replica, *_ = [a.strip() for a in engine.group(2).split(",")]
        assert path == f"'{REPLICA_PATH}'"
        assert replica == "'{replica}'"


def test_every_storage_table_has_a_distributed_table_under_its_own_name() -> None:
    creates = [t for t in FORMATTED if t.startswith("CREATE TABLE")]
    local = {t.split()[5].split(".")[1] for t in creates if MERGE_TREE.search(t)}
    assert local and all(name.endswith(LOCAL_SUFFIX) for name in local)
    distributed = {}
    for text in creates:
        match = DISTRIBUTED.search(text)
        if match:
            name = text.split()[5].split(".")[1]
            assert match.group(1) == CLUSTER and match.group(2) == DATABASE
            assert f"AS {DATABASE}.{match.group(3)}" in text
            distributed[name] = match.group(3)
    assert {f"{name}{LOCAL_SUFFIX}" for name in distributed} == local
    assert all(target == f"{name}{LOCAL_SUFFIX}" for name, target in distributed.items())


def test_rows_that_collapse_share_a_shard_since_the_key_hashes_the_sorting_key() -> None:
    order_by = {}
    for text in FORMATTED:
        if MERGE_TREE.search(text):
            name = text.split()[5].split(".")[1]
            order_by[name] = re.search(r"^ORDER BY (.+)$", text, re.MULTILINE).group(1)
    for text in FORMATTED:
        match = DISTRIBUTED.search(text)
        if match:
            key = order_by[match.group(3)].strip("()")
            assert match.group(4) == f"cityHash64({key})"


def test_alters_and_views_address_the_right_tables() -> None:
    storage = {
        text.split()[5] for text in FORMATTED if MERGE_TREE.search(text)
    }  # "CREATE TABLE IF NOT EXISTS pulse.x_local ON CLUSTER ..."
    alters = [t for t in FORMATTED if t.startswith("ALTER TABLE")]
    assert alters, "the migrations alter storage tables"
    for before, text in zip([""] + alters, alters, strict=False):
        if text.split()[2] in storage:  # projections, settings, mutations: the storage
            continue
        # Only a column change reaches a Distributed table, right after the same change of its
        # storage table, so both keep the same columns.
        assert re.search(r"\b(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b", text), text
        assert before.split()[2] == text.split()[2] + LOCAL_SUFFIX, (before, text)
    views = [t for t in FORMATTED if t.startswith(("CREATE VIEW", "CREATE OR REPLACE VIEW"))]
    assert views
    for text in views:  # reads go through the Distributed tables, across every shard
        assert LOCAL_SUFFIX not in text


def test_without_the_setting_apply_migrations_sends_the_single_server_statements(
    no_cluster_setting: None,
) -> None:
    client = RecordingClient()
    apply_migrations(client, DATABASE, 30)  # type: ignore[arg-type]
    expected = [f"CREATE DATABASE IF NOT EXISTS `{DATABASE}`", *schema_statements(DATABASE)[1:]]
    expected += [m.render(DATABASE, 30) for m in load_migrations()]
    assert client.commands[: len(expected)] == expected  # then the rollups' backfill
    assert not any("ON CLUSTER" in c or "Replicated" in c for c in client.commands)


def test_single_server_statements_are_the_files_as_written(no_cluster_setting: None) -> None:
    client = RecordingClient()
    apply_migrations(client, DATABASE, 30)  # type: ignore[arg-type]
    paths = sorted(MIGRATIONS_DIR.glob("*.sql"))
    for path, sent in zip(paths, client.commands[2 : 2 + len(paths)], strict=True):
        text = path.read_text().replace("${database}", f"`{DATABASE}`")
        assert sent == text.replace("${retention_days}", "30")


def test_the_setting_renders_apply_migrations_for_the_cluster(
    monkeypatch: pytest.MonkeyPatch, no_cluster_setting: None
) -> None:
    monkeypatch.setenv("PULSE_CLICKHOUSE_CLUSTER", CLUSTER)
    schema_settings.cache_clear()
    client = RecordingClient()
    apply_migrations(client, DATABASE, 30)  # type: ignore[arg-type]
    assert client.commands[: len(ALL)] == ALL  # then the rollups' backfill, through Distributed


def test_new_kinds_of_migration_render_generically(tmp_path: Path) -> None:
    files = {
        "0001_create_t.sql": "CREATE TABLE IF NOT EXISTS ${database}.t\n(k String, v UInt64)\n"
        "ENGINE = ReplacingMergeTree(v)\nORDER BY k",
        "0002_t_gets_a_column.sql": "ALTER TABLE ${database}.t ADD COLUMN IF NOT EXISTS w UInt8",
        "0003_create_t_by_v.sql": "CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.t_mv "
        "TO ${database}.u AS SELECT k, v FROM ${database}.t",
        "0004_drop_t.sql": "DROP TABLE IF EXISTS ${database}.t",
        "0005_fill_u.sql": "INSERT INTO ${database}.u SELECT k, v FROM ${database}.t",
    }
    for name, sql in files.items():
        (tmp_path / name).write_text(sql)
    migrations = load_migrations(tmp_path)
    ddl = cluster_ddl(migrations, "db", "c")
    out = [migration_statements(m, "db", None, ddl) for m in migrations]
    assert [len(s) for s in out] == [2, 2, 1, 2, 1]
    assert "ReplicatedReplacingMergeTree" in out[0][0] and "Distributed" in out[0][1]
    assert out[1][0].startswith("ALTER TABLE `db`.t_local ON CLUSTER 'c' ADD COLUMN")
    assert out[1][1].startswith("ALTER TABLE `db`.t ON CLUSTER 'c' ADD COLUMN")
    assert "FROM `db`.t_local" in out[2][0] and "TO `db`.u AS" in out[2][0]
    assert out[3][1].endswith("t_local ON CLUSTER 'c' SYNC")
    assert out[4] == [migrations[4].render("db", None)]
    for statement in (s for group in out for s in group):
        formatted(statement)


def test_a_statement_the_renderer_does_not_know_is_refused() -> None:
    ddl = ClusterDDL("c", frozenset({"t"}))
    with pytest.raises(ClusterRenderError, match="RENAME TABLE"):
        ddl.statements("-- swap\nRENAME TABLE db.t TO db.t_old")


def test_a_cluster_name_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(ClusterRenderError, match="cluster name"):
        ClusterDDL("pulse'; DROP", frozenset())
