"""After a batch is stored: recompute the rollup keys it touched (see ``clickhouse.rollups``).

The batch is acknowledged only after its rollups are refreshed, so a crash in between re-delivers
it and the recompute runs again with the same result. A failure is retried with the sink's
backoff: the statements are ours and their keys come from rows ClickHouse has just accepted,
so what fails here is the moment (ClickHouse down, busy), never the data. ``llm_usage_rollup``
and ``llm_model_rollup`` are partitioned by month, so a batch's LLM keys and (day, model) totals
are recomputed a limited number of months at a time: one statement over a historical import's
years would exceed max_partitions_per_insert_block and be retried forever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date

from clickhouse_connect.driver.asyncclient import AsyncClient
from loguru import logger

from clickhouse.rollups import TouchedKeys, refresh_statements
from stream_processors import metrics
from stream_processors.partitions import year_month
from stream_processors.sink import DEFAULT_MAX_PARTITIONS, Backoff


def _month(key: tuple[date, *tuple[str, ...]]) -> int:
    return year_month(key[0])


def within_partition_limit(touched: TouchedKeys, max_months: int) -> list[TouchedKeys]:
    """``touched`` split so that no part holds LLM keys, or (day, model) keys, of more than
    ``max_months`` months; the first part also holds the days and subjects."""
    months = sorted({_month(key) for key in touched.llm} | {_month(key) for key in touched.models})
    groups = [set(months[i : i + max_months]) for i in range(0, len(months), max_months)]
    parts = [
        TouchedKeys(
            llm={key for key in touched.llm if _month(key) in group},
            models={key for key in touched.models if _month(key) in group},
        )
        for group in groups
    ] or [TouchedKeys()]
    parts[0].days, parts[0].subjects = touched.days, touched.subjects
    return parts


class RollupRefresher:
    """Runs the recompute statements of a batch's touched keys, retrying until each succeeds."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[AsyncClient]],
        database: str,
        backoff: Backoff,
        max_partitions: int = DEFAULT_MAX_PARTITIONS,
    ) -> None:
        self._connect = connect
        self._database = database
        self._backoff = backoff
        self._max_partitions = max_partitions

    async def refresh(self, touched: TouchedKeys) -> None:
        """Rewrite the absolute value of every key in ``touched``."""
        if not touched:
            return
        started = time.monotonic()
        for part in within_partition_limit(touched, self._max_partitions):
            for statement in refresh_statements(self._database, part):
                await self._run(statement)
        metrics.ROLLUP_REFRESH_LATENCY.observe(time.monotonic() - started)

    async def _run(self, statement: str) -> None:
        for delay in self._backoff.delays():
            try:
                client = await self._connect()
                await client.command(statement)
                return
            except Exception as exc:  # noqa: BLE001 - our statement: a failure is the moment's
                metrics.ROLLUP_REFRESH_RETRIES.inc()
                logger.warning("rollup refresh failed, retrying in {:.1f} s: {}", delay, exc)
                await asyncio.sleep(delay)
