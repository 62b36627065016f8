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
        target = f"`{database}`.`{table}`"
        count = int(client.command(
            f"SELECT count() FROM {target} WHERE user_id = {{u:String}}",
            parameters={"u": user_id},
        ))
        if count:
            client.command(
                f"ALTER TABLE {target} DELETE WHERE user_id = {{u:String}}",
                parameters={"u": user_id},
                settings={"mutations_sync": 2},
            )
        removed[table] = count
    return removed
