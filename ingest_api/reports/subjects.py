"""Top subjects of a date range, by events, with distinct users over the whole range."""

from __future__ import annotations

from clickhouse_connect.driver.asyncclient import AsyncClient

from ingest_api.reports.models import SubjectRank, TopSubjects
from ingest_api.reports.ranges import DateRange

# The facts behind subject_usage_daily: distinct users over several days cannot be summed from
# the daily view (a user active on two days would count twice), so count them from the facts.
TOP_SQL = """
SELECT subject, count() AS events, uniqExact(user_id) AS users
FROM subject_events FINAL
WHERE day BETWEEN {start:Date} AND {end:Date}
GROUP BY subject
ORDER BY events DESC, subject
LIMIT {limit:UInt32}
"""


async def top_subjects(client: AsyncClient, days: DateRange, limit: int) -> TopSubjects:
    """The ``limit`` subjects with the most events in ``days``."""
    result = await client.query(
        TOP_SQL, parameters={"start": days.start, "end": days.end, "limit": limit}
    )
    return TopSubjects(
        subjects=[SubjectRank(subject=s, events=e, users=u) for s, e, u in result.result_rows]
    )
