"""Versioned schema migrations: numbered SQL files applied in order, recorded once each.

Files live in ``clickhouse/migrations/NNNN_what_it_does.sql``, one statement each. They may use
``${database}`` and ``${retention_days}``; the checksum covers the file as written, so changing
the retention later does not flag a migration as edited. Without a retention (the default, since
every accepted event counts, however old) a storage table's ``TTL … ${retention_days} …`` line is
left out, so nothing accepted is ever deleted behind the producer's back. Applied versions are
recorded in ``<database>.schema_migrations`` (version, name, checksum, applied_at).

With ``PULSE_CLICKHOUSE_CLUSTER`` set, every statement runs in its cluster form
(``clickhouse/cluster.py``: ``ON CLUSTER``, ``Replicated*MergeTree`` storage under ``Distributed``
tables); unset, the statements are exactly the single-server ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from string import Template

from clickhouse_connect.driver.client import Client
from loguru import logger

from clickhouse.cluster import ClusterDDL, storage_tables
from clickhouse.config import schema_settings
from clickhouse.exceptions import MigrationError
from clickhouse.rollups import ROLLUP_TABLES, rebuild_statements

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_TTL_LINE = re.compile(r"^TTL .*\$\{retention_days\}.*\n?", re.MULTILINE)
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS {database}.schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
"""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    template: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()

    def render(self, database: str, retention_days: int | None) -> str:
        template = self.template if retention_days else _TTL_LINE.sub("", self.template)
        return Template(template).substitute(
            database=f"`{database}`", retention_days=str(retention_days)
        )


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration file of ``directory``, in version order."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"{path.name}: rename it NNNN_what_it_does.sql (four digits, lower case)"
            )
        version = int(match.group(1))
        if version in migrations:
            raise MigrationError(f"{path.name}: version {version} is used twice; renumber it")
        migrations[version] = Migration(version, path.stem, path.read_text())
    return [migrations[v] for v in sorted(migrations)]


def schema_statements(database: str, ddl: ClusterDDL | None = None) -> list[str]:
    """The statements creating ``database`` and its ``schema_migrations`` table."""
    create = [
        f"CREATE DATABASE IF NOT EXISTS `{database}`",
        _SCHEMA_MIGRATIONS.format(database=f"`{database}`"),
    ]
    return create if ddl is None else [s for sql in create for s in ddl.statements(sql)]


def cluster_ddl(
    migrations: Sequence[Migration], database: str, cluster: str | None
) -> ClusterDDL | None:
    """The renderer for ``cluster`` (None: a single server), knowing every storage table."""
    if not cluster:
        return None
    created = [m.render(database, None) for m in migrations]
    created.append(_SCHEMA_MIGRATIONS.format(database=f"`{database}`"))
    return ClusterDDL(cluster, storage_tables(created))


def migration_statements(
    migration: Migration, database: str, retention_days: int | None, ddl: ClusterDDL | None
) -> list[str]:
    """What applying ``migration`` runs: its one statement, or that statement's cluster form."""
    rendered = migration.render(database, retention_days)
    return [rendered] if ddl is None else ddl.statements(rendered)


def _applied(client: Client, database: str) -> dict[int, str]:
    result = client.query(
        "SELECT version, checksum FROM {db:Identifier}.schema_migrations FINAL",
        parameters={"db": database},
    )
    return {int(version): str(checksum) for version, checksum in result.result_rows}


def _check_unchanged(migration: Migration, applied_checksum: str) -> None:
    if applied_checksum != migration.checksum:
        raise MigrationError(
            f"migration {migration.name} was edited after it was applied; restore it and add "
            "a new numbered migration for the change"
        )


def apply_migrations(
    client: Client,
    database: str,
    retention_days: int | None = None,
    directory: Path = MIGRATIONS_DIR,
    cluster: str | None = None,
) -> list[str]:
    """Create ``database`` if missing and apply the migrations it lacks, in order.

    Returns the names of the migrations applied now (empty when the schema is up to date).
    Safe to run at every start and from several processes: every statement is idempotent.
    ``cluster`` (default ``PULSE_CLICKHOUSE_CLUSTER``) renders them for a ClickHouse cluster.
    """
    if not _DATABASE_NAME.match(database):
        raise MigrationError(
            f"database name {database!r}: use letters, digits and underscores only"
        )
    if retention_days is not None and retention_days < 1:
        raise MigrationError(f"retention of {retention_days} days: use at least 1 day")
    migrations = load_migrations(directory)
    ddl = cluster_ddl(migrations, database, cluster or schema_settings().cluster)
    create_database, *create_schema_table = schema_statements(database, ddl)
    current, client.database = client.database, ""
    try:  # a client bound to a database that does not exist yet cannot create it
        client.command(create_database)
    finally:
        client.database = current
    for statement in create_schema_table:
        client.command(statement)
    applied = _applied(client, database)
    done: list[str] = []
    for migration in migrations:
        if migration.version in applied:
            _check_unchanged(migration, applied[migration.version])
            continue
        for statement in migration_statements(migration, database, retention_days, ddl):
            client.command(statement)
        client.insert(
            "schema_migrations",
            [[migration.version, migration.name, migration.checksum, datetime.now(UTC)]],
            column_names=["version", "name", "checksum", "applied_at"],
            database=database,
        )
        logger.info("applied migration {} to {}", migration.name, database)
        done.append(migration.name)
    if any(name.endswith(ROLLUP_MIGRATION_SUFFIXES) for name in done):
        backfill_rollups(client, database)
    return done


# The migrations that create a rollup table: applying one to an existing stack backfills it from
# the facts already stored, so the answers before and after the upgrade are the same.
ROLLUP_MIGRATION_SUFFIXES = tuple(f"_create_{table}" for table in ROLLUP_TABLES)


def backfill_rollups(
    client: Client, database: str, progress: Callable[[int, int], None] | None = None
) -> None:
    """Recompute every rollup of ``database`` from its facts; ``progress(done, total)``."""
    statements = rebuild_statements(database)
    for index, statement in enumerate(statements, 1):
        client.command(statement)
        if progress is not None:
            progress(index, len(statements))
    logger.info("rollups of {} rebuilt from the facts", database)
