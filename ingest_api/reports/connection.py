"""The reports' ClickHouse access: one read-only client per request, errors made retryable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.exceptions import OperationalError
from fastapi import Depends

from clickhouse.client import async_reader_client
from ingest_api.config import ApiSettings
from ingest_api.deps import State
from ingest_api.exceptions import RetryLater


@asynccontextmanager
async def clickhouse_errors(settings: ApiSettings) -> AsyncIterator[None]:
    """Turn "ClickHouse is unreachable" into :class:`RetryLater` (503 with ``Retry-After`` of
    ``PULSE_API_RETRY_AFTER_S``)."""
    try:
        yield
    except OperationalError as exc:
        raise RetryLater(
            f"ClickHouse at {settings.clickhouse_url} did not answer ({type(exc).__name__}); "
            "retry later, or check CLICKHOUSE_URL and that ClickHouse is running",
            settings.retry_after_s,
        ) from exc


async def reader(state: State) -> AsyncIterator[AsyncClient]:
    """A read-only (analyst account) client on the configured database, closed after the answer."""
    async with clickhouse_errors(state.settings):
        client = await async_reader_client(settings=state.settings)
        try:
            yield client
        finally:
            await client.close()


Reader = Annotated[AsyncClient, Depends(reader)]
