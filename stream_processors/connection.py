"""The worker's one asynchronous ClickHouse client: made on first use, closed when the app stops."""

from __future__ import annotations

import asyncio

from clickhouse_connect.driver.asyncclient import AsyncClient

from clickhouse.client import async_writer_client


class SharedClickHouse:
    """Hands every agent, timer and page the same client, so connections are pooled once."""

    def __init__(self, database: str) -> None:
        self.database = database
        self._client: AsyncClient | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AsyncClient:
        """The client, connecting on first use (concurrent first callers share one connect)."""
        async with self._lock:
            if self._client is None:
                self._client = await async_writer_client(self.database)
            return self._client

    async def close(self) -> None:
        """Close the client's connections, if it was ever made."""
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None
