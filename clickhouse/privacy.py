"""Erasure of one user's data from every table that holds it (`pulse forget`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clickhouse_connect.driver.client import Client

from clickhouse.client import scalar_int
from clickhouse.rollups import TouchedKeys, refresh_statements

TABLES_WITH_USERS = """
SELECT c.table
FROM system.columns AS c
INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
WHERE c.database = {db:String} AND c.name = 'user_id' AND t.engine LIKE '%MergeTree'
ORDER BY c.table
"""

COUNT_USER = (
    "SELECT count() FROM {db:Identifier}.{t:Identifier} WHERE user_id IN {ids:Array(String)}"
)
DELETE_USER = (
    "ALTER TABLE {db:Identifier}.{t:Identifier} DELETE WHERE user_id IN {ids:Array(String)}"
)


# Rollup keys shared with other users (a day's DAU, a day's subject, a day's model totals), by
# the field of TouchedKeys they go in: recomputed after the delete.
SHARED_KEYS = {
    "days": (
        "SELECT DISTINCT day FROM {db:Identifier}.dau_users WHERE user_id IN {ids:Array(String)}"
    ),
    "subjects": (
        "SELECT DISTINCT day, subject FROM {db:Identifier}.subject_events "
        "WHERE user_id IN {ids:Array(String)}"
    ),
    "models": (
        "SELECT DISTINCT day, model FROM {db:Identifier}.llm_calls "
        "WHERE user_id IN {ids:Array(String)}"
    ),
}


def _shared_keys(client: Client, database: str, ids: list[str]) -> TouchedKeys:
    touched = TouchedKeys()
    for name, sql in SHARED_KEYS.items():
        keys: set[Any] = getattr(touched, name)
        for row in client.query(sql, parameters={"db": database, "ids": ids}).result_rows:
            keys.add(row[0] if len(row) == 1 else tuple(row))
    return touched


def user_tables(client: Client, database: str) -> list[str]:
    """Storage tables (not views) of ``database`` that have a ``user_id`` column."""
    rows = client.query(TABLES_WITH_USERS, parameters={"db": database}).result_rows
    return [str(r[0]) for r in rows]


def stored_ids(user_id: str, pseudonymise: Callable[[str], str] | None) -> list[str]:
    """The ids ``user_id`` may be stored under: its pseudonym (when on), and the raw id, which
    rows written before pseudonymisation was switched on still carry."""
    if pseudonymise is None:
        return [user_id]
    return sorted({pseudonymise(user_id), user_id})


def forget_user(
    client: Client,
    database: str,
    user_id: str,
    pseudonymise: Callable[[str], str] | None = None,
) -> dict[str, int]:
    """Delete every row of ``user_id`` from every storage table; return rows removed per table.

    With ``pseudonymise`` (the API's HMAC under ``PULSE_PSEUDONYMISE_KEY``), the rows stored
    under the user's pseudonym go too. Rows are counted before the delete; the delete is
    synchronous (``mutations_sync=2``), so when this returns the user is gone from every view;
    the rollup rows other users share (DAU, subject usage and per-model LLM totals of the user's
    days) are recomputed.
    """
    ids = stored_ids(user_id, pseudonymise)
    shared = _shared_keys(client, database, ids)
    removed: dict[str, int] = {}
    for table in user_tables(client, database):
        params = {"db": database, "t": table, "ids": ids}
        count = scalar_int(client, COUNT_USER, params)
        if count:
            client.command(DELETE_USER, parameters=params, settings={"mutations_sync": 2})
        removed[table] = count
    for statement in refresh_statements(database, shared):
        client.command(statement)
    return removed
