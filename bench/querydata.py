"""Ten million events made inside ClickHouse, then the fact tables derived from them.

``events_store`` rows come from ``numbers(N)`` with hash-based expressions shaped like the
workload (skewed user activity, the ``days`` of event time before ``until``, as live traffic
up to the moment of the load, the workload's subjects and models,
the same event mix as learning traffic). The fact tables are then filled from ``events_store``
by the rules of ``stream_processors/rows.py``, written as SQL, in their settled (merged) state:
one ``dau_users`` row per (day, user), one fact row per event_id.
"""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from clickhouse.client import scalar_int
from pulse.workload.catalog import LLM_MODELS, SOURCES, SUBJECTS

MAX_HASH = 18446744073709551615


def _array(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def events_sql(database: str, events: int, users: int, days: int, until: str = "now64(3)") -> str:
    """``INSERT ... SELECT`` generating ``events`` rows of ``events_store``, all before ``until``
    (a SQL expression) and within ``days`` of it."""
    subjects, models = _array(SUBJECTS), _array([m.name for m in LLM_MODELS])
    sources = _array(list(SOURCES))
    return f"""
INSERT INTO `{database}`.events_store
SELECT
    generateUUIDv4(number) AS event_id,
    multiIf(r < 45, 'assignment.heartbeat', r < 55, 'assignment.viewed',
            r < 62, 'assignment.started', r < 66, 'assignment.submitted', r < 74, 'user.login',
            r < 80, 'user.logout', r < 90, 'chat.message', 'llm.call') AS event,
    concat('student-', toString(u)) AS user_id,
    toDateTime64({until}, 3, 'UTC') - toIntervalMillisecond(1 + back_ms) AS ts,
    ts + toIntervalMillisecond(20 + h % 900) AS received_at,
    {sources}[1 + h % length({sources})] AS source,
    concat('s-', toString(u), '-', toString(day_back)) AS session_id,
    if(is_assignment, {subjects}[1 + a % length({subjects})], '') AS subject,
    if(is_assignment, concat('hw-', toString(a)), '') AS assignment_id,
    multiIf(
        is_assignment,
        concat('{{"assignment_id":"', assignment_id, '","subject":"', subject, '"}}'),
        event = 'llm.call',
        concat('{{"model":"', {models}[1 + h % length({models})], '","prompt_tokens":',
               toString(prompt), ',"completion_tokens":', toString(completion),
               ',"cost_usd":', toString(round(prompt * 2e-6 + completion * 8e-6, 8)), '}}'),
        event = 'chat.message', concat('{{"conversation_id":"c-', toString(h % 100000), '"}}'),
        '{{"role":"student"}}') AS metadata,
    '' AS request_id,
    toInt32(number % 6) AS kafka_partition,
    toInt64(intDiv(number, 6)) AS kafka_offset
FROM
(
    SELECT
        number,
        cityHash64(number) AS h,
        h % 100 AS r,
        r < 66 AS is_assignment,
        -- Skewed activity: a few heavy users, a long tail of occasional ones.
        toUInt64(pow(cityHash64(number, 1) / {MAX_HASH}, 2) * {users}) AS u,
        cityHash64(number, 2) % ({days} * 86400000 - 1) AS back_ms,
        intDiv(back_ms, 86400000) AS day_back,
        u * 3 + cityHash64(number, 4) % 12 AS a,
        10 + cityHash64(number, 5) % 2000 AS prompt,
        cityHash64(number, 6) % 800 AS completion
    FROM numbers({events})
)
"""


def facts_sql(database: str) -> list[str]:
    """Statements filling the fact tables from ``events_store`` as the worker would."""
    db = f"`{database}`"
    return [
        f"INSERT INTO {db}.dau_users SELECT DISTINCT toDate(ts), user_id FROM {db}.events_store",
        f"""INSERT INTO {db}.llm_calls
            SELECT toDate(ts), user_id, JSONExtractString(metadata, 'model'), event_id,
                   JSONExtractUInt(metadata, 'prompt_tokens'),
                   JSONExtractUInt(metadata, 'completion_tokens'),
                   JSONExtractFloat(metadata, 'cost_usd')
            FROM {db}.events_store WHERE event = 'llm.call'""",
        f"""INSERT INTO {db}.subject_events
            SELECT toDate(ts), subject, user_id, event_id
            FROM {db}.events_store WHERE subject != ''""",
        f"""INSERT INTO {db}.assignment_events
            SELECT user_id, assignment_id, ts, event_id, subject,
                   toUInt8(event = 'assignment.submitted')
            FROM {db}.events_store
            WHERE startsWith(event, 'assignment.') AND assignment_id != ''""",
    ]


def load(
    client: Client, database: str, events: int, users: int, days: int, until: str = "now64(3)"
) -> dict[str, int]:
    """Generate the events (before ``until``) and their facts; the row count of every table."""
    client.command(events_sql(database, events, users, days, until))
    for statement in facts_sql(database):
        client.command(statement)
    tables = ("events_store", "dau_users", "llm_calls", "subject_events", "assignment_events")
    return {t: scalar_int(client, f"SELECT count() FROM `{database}`.{t}", {}) for t in tables}
