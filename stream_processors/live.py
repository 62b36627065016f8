"""Live figures: rolling DAU and consumer lag, refreshed by Faust timers into Prometheus gauges.

Rolling DAU is read from ClickHouse (exact, settled, and the same from every worker of the
group, whichever partitions each one owns); users are distinct per window ending now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import faust
from loguru import logger

from clickhouse.rollups import rolling_dau_sql as shared_rolling_dau_sql
from stream_processors import metrics
from stream_processors.config import WorkerSettings
from stream_processors.connection import SharedClickHouse

WINDOWS: dict[str, int] = {"24h": 1, "7d": 7, "30d": 30}


def rolling_dau_sql() -> str:
    """One query answering every window: distinct users with an event in [now - window, now).

    The database is bound as the ``{db:Identifier}`` parameter.
    """
    return shared_rolling_dau_sql("now64(3)", "{db:Identifier}.")


class LiveFigures:
    """The figures the timers keep fresh and the pages serve, read through ``clickhouse``."""

    def __init__(self, app: faust.App, clickhouse: SharedClickHouse) -> None:
        self._app = app
        self._clickhouse = clickhouse

    async def rolling_dau(self) -> dict[str, int]:
        """Distinct users per window, and the gauges set to them."""
        client = await self._clickhouse.get()
        result = await client.query(rolling_dau_sql(), parameters={"db": self._clickhouse.database})
        figures = dict(zip(WINDOWS, (int(v) for v in result.result_rows[0]), strict=True))
        for window, value in figures.items():
            metrics.DAU.labels(window).set(value)
        return figures

    async def consumer_lag(self) -> None:
        """Set kafka_consumer_lag for each assigned partition: high watermark minus position.

        Right after a rebalance either figure may be unknown (None); that partition waits a tick.
        """
        consumer = self._app.consumer
        for tp in consumer.assignment():
            position = await consumer.position(tp)
            highwater = consumer.highwater(tp)
            if position is None or highwater is None:
                continue
            lag = max(highwater - position, 0)
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)


async def refresh(what: str, figures: Callable[[], Awaitable[object]]) -> None:
    """Run one timer tick; a failed refresh is logged and retried next tick, never fatal."""
    try:
        await figures()
    except Exception as exc:  # noqa: BLE001 - a timer that raises would stop the whole worker
        logger.warning("{} not refreshed: {}", what, exc)


def register_timers(app: faust.App, live: LiveFigures, settings: WorkerSettings) -> None:
    """Keep the pulse_dau and kafka_consumer_lag gauges fresh for scrapes of /metrics."""

    @app.timer(settings.rolling_dau_interval)
    async def refresh_rolling_dau() -> None:
        await refresh("rolling DAU", live.rolling_dau)

    @app.timer(settings.lag_interval)
    async def refresh_consumer_lag() -> None:
        await refresh("consumer lag", live.consumer_lag)
