"""Events by ISO weekday and UTC hour over a date range, optionally for one user."""

from __future__ import annotations

from clickhouse_connect.driver.asyncclient import AsyncClient

from ingest_api.reports.models import Heatmap, HeatmapCell
from ingest_api.reports.ranges import DateRange

HEATMAP_SQL = """
SELECT toDayOfWeek(ts) AS weekday, toHour(ts) AS hour, count() AS events
FROM events
WHERE ts >= {since:DateTime64(3, 'UTC')} AND ts < {until:DateTime64(3, 'UTC')}
  AND ({user_id:Nullable(String)} IS NULL OR user_id = {user_id:Nullable(String)})
GROUP BY weekday, hour
"""


async def activity_heatmap(client: AsyncClient, days: DateRange, user_id: str | None) -> Heatmap:
    """All 168 (weekday, hour) cells of ``days``, zeros included."""
    result = await client.query(
        HEATMAP_SQL,
        parameters={"since": days.since, "until": days.until, "user_id": user_id},
    )
    counts = {(int(w), int(h)): int(n) for w, h, n in result.result_rows}
    cells = [
        HeatmapCell(weekday=w, hour=h, events=counts.get((w, h), 0))
        for w in range(1, 8)
        for h in range(24)
    ]
    return Heatmap(cells=cells, total=sum(counts.values()))
