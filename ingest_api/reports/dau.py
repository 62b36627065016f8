"""Daily active users: per day from the ``dau`` view, rolling windows from the user rollup."""

from __future__ import annotations

from datetime import datetime

from clickhouse_connect.driver.asyncclient import AsyncClient

from clickhouse.rollups import rolling_dau_sql
from ingest_api.reports.models import DauDay, DauReport, RollingDau
from ingest_api.reports.ranges import DateRange

DAILY_SQL = """
SELECT day, dau
FROM dau
WHERE day BETWEEN {start:Date} AND {end:Date}
"""

# The oracle's windows, [now - w, now): the users last seen inside them (clickhouse/rollups.py).
ROLLING_SQL = rolling_dau_sql("{now:DateTime64(3, 'UTC')}")


async def daily_active_users(client: AsyncClient, days: DateRange) -> DauReport:
    """DAU for every day of ``days``; days without activity count 0."""
    result = await client.query(DAILY_SQL, parameters={"start": days.start, "end": days.end})
    counts = {day: int(dau) for day, dau in result.result_rows}
    return DauReport(days=[DauDay(date=d, dau=counts.get(d, 0)) for d in days.days])


async def rolling_active_users(client: AsyncClient, now: datetime) -> RollingDau:
    """Distinct users with an event in ``[now - window, now)`` for 24 h, 7 days and 30 days."""
    result = await client.query(ROLLING_SQL, parameters={"now": now})
    last_24h, last_7d, last_30d = result.result_rows[0]
    return RollingDau(last_24h=last_24h, last_7d=last_7d, last_30d=last_30d)
