"""One user's summary, read from the rollups by the user's key: the cost is the user's rows.

Activity (first and last seen, active days) comes from ``user_activity_rollup``; the event count
from the user's own key range of ``events_store`` (``uniqExact(event_id)`` is exact without
FINAL, and a count that replays must not double cannot be summed from batches); assignments
from ``assignment_time`` (keyed by user); LLM usage from ``llm_usage_rollup`` through its
by-user projection, newest version per (day, model) (FINAL would skip the projection).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from clickhouse_connect.driver.asyncclient import AsyncClient

from ingest_api.reports.exceptions import UnknownUser
from ingest_api.reports.models import AssignmentTime, LlmUsage, ModelUsage, UserSummary

ACTIVITY_SQL = """
SELECT
    (SELECT uniqExact(event_id) FROM events_store WHERE user_id = {user_id:String}) AS events,
    uniqExactMerge(active_days),
    min(first_seen),
    max(last_seen)
FROM user_activity_rollup
WHERE user_id = {user_id:String}
"""

ASSIGNMENTS_SQL = """
SELECT assignment_id, subject, first_ts, last_ts, active_seconds, submitted
FROM assignment_time
WHERE user_id = {user_id:String}
ORDER BY first_ts, assignment_id
"""

LLM_SQL = """
SELECT model, sum(calls), sum(prompt_tokens), sum(completion_tokens), sumKahan(cost_usd)
FROM
(
    SELECT day, model, argMax(calls, version) AS calls,
           argMax(prompt_tokens, version) AS prompt_tokens,
           argMax(completion_tokens, version) AS completion_tokens,
           argMax(cost_usd, version) AS cost_usd
    FROM llm_usage_rollup
    WHERE user_id = {user_id:String}
    GROUP BY day, model
)
WHERE calls > 0
GROUP BY model
ORDER BY model
"""


async def _assignments(client: AsyncClient, user_id: str) -> list[AssignmentTime]:
    result = await client.query(ASSIGNMENTS_SQL, parameters={"user_id": user_id})
    return [
        AssignmentTime(
            assignment_id=row[0],
            subject=row[1],
            first_ts=row[2],
            last_ts=row[3],
            active_seconds=row[4],
            submitted=bool(row[5]),
        )
        for row in result.result_rows
    ]


async def _llm_usage(client: AsyncClient, user_id: str) -> LlmUsage:
    result = await client.query(LLM_SQL, parameters={"user_id": user_id})
    by_model = {
        model: ModelUsage(
            calls=calls, prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost
        )
        for model, calls, prompt, completion, cost in result.result_rows
    }
    usages = list(by_model.values())
    total = ModelUsage(
        calls=sum(u.calls for u in usages),
        prompt_tokens=sum(u.prompt_tokens for u in usages),
        completion_tokens=sum(u.completion_tokens for u in usages),
        cost_usd=sum(u.cost_usd for u in usages),
    )
    return LlmUsage(by_model=by_model, total=total)


async def _activity(client: AsyncClient, user_id: str) -> tuple[int, int, datetime, datetime]:
    result = await client.query(ACTIVITY_SQL, parameters={"user_id": user_id})
    events, active_days, first_seen, last_seen = result.result_rows[0]
    return events, active_days, first_seen, last_seen


async def user_summary(client: AsyncClient, user_id: str) -> UserSummary:
    """The summary of ``user_id``; :class:`UnknownUser` if no event of it was accepted.

    The three reads are independent key-range reads, asked at once: the answer waits for the
    slowest of them, not for their sum.
    """
    (events, active_days, first_seen, last_seen), assignments, llm = await asyncio.gather(
        _activity(client, user_id), _assignments(client, user_id), _llm_usage(client, user_id)
    )
    if events == 0:
        raise UnknownUser(f"no events of user {user_id!r}: check the user id")
    return UserSummary(
        user_id=user_id,
        events=events,
        active_days=active_days,
        first_seen=first_seen,
        last_seen=last_seen,
        assignments=assignments,
        llm=llm,
    )
