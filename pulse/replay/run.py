"""One replay: spans of the topic, read and rewritten into ClickHouse, with progress callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from clickhouse_connect.driver.asyncclient import AsyncClient

from clickhouse.client import async_writer_client
from core.settings import SharedSettings
from pulse.replay.reader import Span, TopicReplay
from pulse.replay.rewrite import ReplayReport, rewrite
from pulse.replay.start import Start
from stream_processors.rollup_refresh import RollupRefresher
from stream_processors.rows import COLUMNS
from stream_processors.sink import Backoff, ClickHouseWriter, Sink


class _Client:
    """One writer client for the whole replay, made on first use (the sink writes its tables
    concurrently: the first callers share one connect)."""

    def __init__(self, settings: SharedSettings) -> None:
        self._settings = settings
        self._client: AsyncClient | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AsyncClient:
        async with self._lock:
            if self._client is None:
                self._client = await async_writer_client(settings=self._settings)
            return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


async def plan(settings: SharedSettings, start: Start) -> list[Span]:
    """The offsets ``start`` selects in the events topic, per partition."""
    async with TopicReplay(settings.kafka_bootstrap_servers, settings.events_topic) as topic:
        return await topic.spans(start)


async def replay(
    settings: SharedSettings,
    spans: list[Span],
    batch: int = 5000,
    on_progress: Callable[[int], None] = lambda done: None,
) -> ReplayReport:
    """Rewrite the facts of ``spans`` and refresh the rollups they touch; see ``rewrite``."""
    client = _Client(settings)
    backoff = Backoff(0.2, 10.0)
    database = settings.clickhouse_database
    sink = Sink(ClickHouseWriter(client.get, database), COLUMNS, backoff)
    refresher = RollupRefresher(client.get, database, backoff)
    try:
        async with TopicReplay(settings.kafka_bootstrap_servers, settings.events_topic) as topic:
            return await rewrite(topic.read(spans, batch), sink, refresher, on_progress)
    finally:
        await client.close()
