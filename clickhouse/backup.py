"""Logical backup and restore of Pulse's ClickHouse data (`pulse backup`, `pulse restore`).

A backup is a directory: one Native file per storage table (zstd-compressed by the server's own
HTTP compression) and ``manifest.json`` with row counts and the schema migrations applied. It is
taken and restored over the HTTP interface only, so it works the same on the embedded endpoint and
on a ClickHouse server. Restore applies the migrations first, then loads each table.

The rollups that materialized views keep (``clickhouse.rollups.KEPT_BY_VIEWS``) are not in a
backup: loading the facts fills them again, as every insert does. A backup taken before they were
left out still has their files; restore skips them for the same reason. A backup taken before a
recomputed rollup existed lacks that rollup's file: restore rebuilds the rollups from the loaded
facts, as the migration that created it did.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
from clickhouse_connect.driver.client import Client

from clickhouse.client import scalar_int
from clickhouse.exceptions import BackupError
from clickhouse.rollups import KEPT_BY_VIEWS, ROLLUP_TABLES

__all__ = ["BackupError", "backup", "restore", "storage_tables"]

STORAGE_TABLES = """
SELECT name FROM system.tables
WHERE database = {db:String} AND engine LIKE '%MergeTree' AND name != 'schema_migrations'
ORDER BY name
"""


COUNT = "SELECT count() FROM {db:Identifier}.{t:Identifier}"
SELECT_ALL = "SELECT * FROM {db:Identifier}.{t:Identifier}"
MIGRATIONS = "SELECT version FROM {db:Identifier}.schema_migrations ORDER BY version"


def storage_tables(client: Client, database: str) -> list[str]:
    """The tables a backup holds: every MergeTree table but the schema's own and the rollups
    that materialized views fill from the others."""
    rows = client.query(STORAGE_TABLES, parameters={"db": database}).result_rows
    return [str(r[0]) for r in rows if str(r[0]) not in KEPT_BY_VIEWS]


Progress = Callable[[str, int], None]


def _quiet(table: str, rows: int) -> None:
    """The default progress callback: report nothing."""


def backup(
    client: Client, database: str, target: Path, progress: Progress = _quiet
) -> dict[str, int]:
    """Write every storage table of ``database`` to ``target``; return rows per table."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty; choose a new directory for the backup")
    counts: dict[str, int] = {}
    for table in storage_tables(client, database):
        ident = {"db": database, "t": table}
        counts[table] = scalar_int(client, COUNT, ident)
        with (target / f"{table}.native").open("wb") as out:
            for chunk in client.raw_stream(SELECT_ALL, parameters=ident, fmt="Native"):
                out.write(chunk)
        progress(table, counts[table])
    migrations = client.query(MIGRATIONS, parameters={"db": database}).result_rows
    manifest = {
        "database": database,
        "taken_at": datetime.now(UTC).isoformat(),
        "tables": counts,
        "migrations": [str(r[0]) for r in migrations],
    }
    (target / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return counts


def restore(
    client: Client, database: str, source: Path, progress: Progress = _quiet
) -> dict[str, int]:
    """Load a backup into ``database`` (migrated first, expected empty); return rows per table."""
    from clickhouse.migrate import apply_migrations, backfill_rollups
    from core.settings import shared_settings

    manifest_file = source / "manifest.json"
    if not manifest_file.exists():
        raise BackupError(f"{source} has no manifest.json; was it made by `pulse backup`?")
    manifest = orjson.loads(manifest_file.read_bytes())
    apply_migrations(client, database, shared_settings().retention_days)
    tables = {t: n for t, n in manifest["tables"].items() if t not in KEPT_BY_VIEWS}
    for table in sorted({*tables, *KEPT_BY_VIEWS}):  # all empty before anything is loaded
        existing = scalar_int(client, COUNT, {"db": database, "t": table})
        if existing:
            raise BackupError(
                f"{database}.{table} already has {existing} rows; restore into an empty database "
                "(set CLICKHOUSE_DATABASE or start from a fresh data directory)"
            )
    restored: dict[str, int] = {}
    for table, expected in tables.items():
        ident = {"db": database, "t": table}
        dump = source / f"{table}.native"
        if dump.stat().st_size:
            with dump.open("rb") as data:  # streamed, never held whole in memory
                client.raw_insert(f"`{database}`.`{table}`", insert_block=data, fmt="Native")
        restored[table] = scalar_int(client, COUNT, ident)
        if restored[table] != expected:
            raise BackupError(f"{table}: restored {restored[table]} rows, backup has {expected}")
        progress(table, restored[table])
    if set(ROLLUP_TABLES) - KEPT_BY_VIEWS - set(tables):  # a backup older than a rollup
        backfill_rollups(client, database)
    return restored
