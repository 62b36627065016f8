"""The worker's ClickHouse writer against the real endpoint: each table's column types are
asked once, not before every insert, and asked again after an insert fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from clickhouse_connect.driver.asyncclient import AsyncClient

from clickhouse.client import async_writer_client
from stream_processors.sink import ClickHouseWriter
from tests.integration.stream_processors.conftest import Pipeline, scalar


class Counting:
    """The real async client, counting the insert contexts made (each one DESCRIBEs)."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.described = 0

    async def create_insert_context(self, *args: Any, **kwargs: Any) -> Any:
        self.described += 1
        return await self.client.create_insert_context(*args, **kwargs)

    async def insert(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("column_types") is None:
            self.described += 1  # clickhouse-connect would describe the table itself
        return await self.client.insert(*args, **kwargs)


def test_column_types_are_described_once_per_table_and_again_after_a_failure(
    pipeline: Pipeline,
) -> None:
    columns = ("day", "user_id")
    today = datetime.now(UTC).date()

    async def scenario() -> tuple[int, int]:
        client = await async_writer_client(pipeline.database, settings=pipeline.shared())
        counting = Counting(client)

        async def connect() -> Any:
            return counting

        writer = ClickHouseWriter(connect, pipeline.database)
        try:
            for n in range(3):
                await writer.write_columns("dau_users", columns, [[today], [f"writer-{n}"]])
            after_three = counting.described
            try:
                await writer.write_columns("dau_users", columns, [["not a date"], ["writer-x"]])
            except Exception:  # noqa: BLE001 - refused, as intended
                pass
            await writer.write_columns("dau_users", columns, [[today], ["writer-3"]])
            return after_three, counting.described
        finally:
            await client.close()

    after_three, after_failure = asyncio.run(scenario())
    assert (after_three, after_failure) == (1, 2)
    stored = scalar(
        pipeline.client(),
        "SELECT count() FROM dau_users WHERE startsWith(user_id, 'writer-')",
    )
    assert stored == 4
