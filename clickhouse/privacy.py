"""Erasure of one user's data from every table that holds it (`pulse forget`)."""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

TABLES_WITH_USERS = """
SELECT c.table
FROM system.columns AS c
INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
WHERE c.database = {db:String} AND c.name = 'user_id' AND t.engine LIKE '%MergeTree'
ORDER BY c.table
"""

COUNT_USER = "SELECT count() FROM {db:Identifier}.{t:Identifier} WHERE user_id = {u:String}"
DELETE_USER = "ALTER TABLE {db:Identifier}.{t:Identifier} DELETE WHERE user_id = {u:String}"


def user_tables(client: Client, database: str) -> list[str]:
    """Storage tables (not views) of ``database`` that have a ``user_id`` column."""
    rows = client.query(TABLES_WITH_USERS, parameters={"db": database}).result_rows
    return [str(r[0]) for r in rows]


def forget_user(client: Client, database: str, user_id: str) -> dict[str, int]:
    """Delete every row of ``user_id`` from every storage table; return rows removed per table.

    Rows are counted before the delete; the delete is synchronous (``mutations_sync=2``), so when
    this returns the user is gone from every view too.
    """
    removed: dict[str, int] = {}
    for table in user_tables(client, database):
        params = {"db": database, "t": table, "u": user_id}
        count = int(client.command(COUNT_USER, parameters=params))
        if count:
            client.command(DELETE_USER, parameters=params, settings={"mutations_sync": 2})
        removed[table] = count
    return removed
