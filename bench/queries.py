"""Query latency on generated events: contract views beside the same answers from raw events.

Starts its own embedded ClickHouse endpoint, fills a fresh database with ``query_events``
generated events and their facts (``bench.querydata``), builds the rollups from them, then
times each question a few times through clickhouse-connect, as the API and Grafana ask it, and
reports p50/p95 of each form and the ratios view / raw. Both forms must give the same answer;
``agree`` records that they did. Then it replays worker batches on the same history to time
what the rollups add to freshness (``bench.rollup_freshness``).

The size is ``PULSE_BENCH_QUERY_EVENTS`` (10M by default; ``PULSE_BENCH_QUERY_EVENTS=100000000``
for the 100M run, about half an hour on two cores).
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client

from bench import querydata, rollup_freshness
from bench.config import BenchSettings
from bench.services import clickhouse_endpoint, long_running, migrated
from bench.stats import latency_summary, ratio, repeat, timed
from clickhouse.client import writer_client
from clickhouse.migrate import backfill_rollups
from clickhouse.rollups import rolling_dau_sql
from ingest_api.reports.summary import ACTIVITY_SQL, ASSIGNMENTS_SQL, LLM_SQL

DATABASE = "pulse_bench"
SINCE = "toDateTime64(today() - 29, 3, 'UTC')"

DAU_VIEW = "SELECT day, dau FROM dau WHERE day >= today() - 29 ORDER BY day"
DAU_RAW = f"""SELECT toDate(ts) AS day, toUInt64(uniqExact(user_id)) AS dau
FROM events WHERE ts >= {SINCE} GROUP BY day ORDER BY day"""

TOP_VIEW = """SELECT subject, sum(events) AS n FROM subject_usage_daily
WHERE day >= today() - 29 GROUP BY subject ORDER BY n DESC, subject LIMIT 10"""
TOP_RAW = f"""SELECT subject, count() AS n FROM events
WHERE subject != '' AND ts >= {SINCE} GROUP BY subject ORDER BY n DESC, subject LIMIT 10"""

ASSIGNMENTS_RAW = """
SELECT assignment_id, nullIf(argMin(subject, (ts, subject = '', subject)), '') AS subject,
       min(ts) AS first_ts, max(ts) AS last_ts,
       toFloat64(sum(least(gap_ms, 300000))) / 1000 AS active_seconds,
       toUInt8(max(event = 'assignment.submitted')) AS submitted
FROM
(
    SELECT assignment_id, subject, ts, event,
           toUnixTimestamp64Milli(ts)
             - lagInFrame(toUnixTimestamp64Milli(ts), 1, toUnixTimestamp64Milli(ts))
               OVER (PARTITION BY assignment_id ORDER BY ts, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gap_ms
    FROM events
    WHERE user_id = {user_id:String} AND startsWith(event, 'assignment.') AND assignment_id != ''
)
GROUP BY assignment_id
ORDER BY first_ts, assignment_id
"""

LLM_RAW = """
SELECT JSONExtractString(metadata, 'model') AS model, count(),
       sum(JSONExtractUInt(metadata, 'prompt_tokens')),
       sum(JSONExtractUInt(metadata, 'completion_tokens')),
       sumKahan(JSONExtractFloat(metadata, 'cost_usd'))
FROM events
WHERE user_id = {user_id:String} AND event = 'llm.call'
GROUP BY model
ORDER BY model
"""

LLM_MONTH_VIEW = """SELECT day, model, calls, prompt_tokens, completion_tokens, cost_usd
FROM llm_usage_by_model_daily WHERE day >= today() - 29 ORDER BY day, model"""
LLM_MONTH_RAW = f"""SELECT toDate(ts) AS day, JSONExtractString(metadata, 'model') AS model,
       count(),
       sum(JSONExtractUInt(metadata, 'prompt_tokens')),
       sum(JSONExtractUInt(metadata, 'completion_tokens')),
       sumKahan(JSONExtractFloat(metadata, 'cost_usd'))
FROM events WHERE event = 'llm.call' AND ts >= {SINCE} GROUP BY day, model ORDER BY day, model"""

ACTIVITY_RAW = """
SELECT count() AS events, uniqExact(toDate(ts)) AS active_days, min(ts), max(ts)
FROM events
WHERE user_id = {user_id:String}
"""

SUMMARY_VIEWS = (ACTIVITY_SQL, ASSIGNMENTS_SQL, LLM_SQL)
SUMMARY_RAW = (ACTIVITY_RAW, ASSIGNMENTS_RAW, LLM_RAW)

ROLLUP_BATCHES = 20
WORKER_BATCH = 5000  # the worker's default PULSE_SINK_MAX_ROWS


def rolling_raw(now: str) -> str:
    """Rolling DAU straight from ``events`` for the windows ending at ``now``."""
    return f"""SELECT uniqExactIf(user_id, ts >= {now} - INTERVAL 24 HOUR),
       uniqExactIf(user_id, ts >= {now} - INTERVAL 7 DAY), uniqExact(user_id)
FROM events WHERE ts >= {now} - INTERVAL 30 DAY AND ts < {now}"""


def sql_moment(moment: datetime) -> str:
    """``moment`` as a DateTime64(3, 'UTC') literal."""
    return f"toDateTime64('{moment.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}', 3, 'UTC')"


@dataclass(frozen=True)
class Question:
    """One analyst question asked two ways: from the contract views and from raw events."""

    name: str
    views: Sequence[str]
    raw: Sequence[str]
    per_user: bool = False


def questions(now: str) -> tuple[Question, ...]:
    """Every question; the rolling windows end at ``now``, the moment the events were made
    (live traffic up to it: nothing is dated after it), the same for both forms."""
    return (
        Question("dau_30_days", [DAU_VIEW], [DAU_RAW]),
        Question("top_subjects_30_days", [TOP_VIEW], [TOP_RAW]),
        Question("llm_usage_30_days", [LLM_MONTH_VIEW], [LLM_MONTH_RAW]),
        Question("rolling_dau", [rolling_dau_sql(now)], [rolling_raw(now)]),
        Question("user_assignment_time", [ASSIGNMENTS_SQL], [ASSIGNMENTS_RAW], per_user=True),
        Question("user_summary", SUMMARY_VIEWS, SUMMARY_RAW, per_user=True),
    )


def _normal(rows: Sequence[Sequence[Any]]) -> list[Any]:
    return [[round(v, 6) if isinstance(v, float) else v for v in row] for row in rows]


def _asker(
    client: Client, statements: Sequence[str], users: list[str], pool: ThreadPoolExecutor
) -> Callable[[], list[Any]]:
    """A callable running ``statements`` at once, as the API's summary does (for the next user
    in turn, if they take one)."""
    turn = itertools.count()

    def ask() -> list[Any]:
        params = {"user_id": users[next(turn) % len(users)]}
        answers = [pool.submit(client.query, sql, parameters=params) for sql in statements]
        return [_normal(answer.result().result_rows) for answer in answers]

    return ask


def _agree(client: Client, question: Question, users: list[str], pool: ThreadPoolExecutor) -> bool:
    return all(
        _asker(client, question.views, [u], pool)() == _asker(client, question.raw, [u], pool)()
        for u in users
    )


def measure_question(
    client: Client,
    question: Question,
    users: list[str],
    runs: int,
) -> dict[str, Any]:
    """p50/p95 of the view form and the raw form, their ratio, and whether they agree."""
    with ThreadPoolExecutor(max_workers=len(SUMMARY_VIEWS)) as pool:
        views = latency_summary(repeat(_asker(client, question.views, users, pool), runs))
        raw = latency_summary(repeat(_asker(client, question.raw, users, pool), runs))
        agree = _agree(client, question, users[:2], pool)
    return {
        "views": views,
        "raw_events": raw,
        "p50_ratio_views_vs_raw": ratio(views["p50_ms"], raw["p50_ms"]),
        "p95_ratio_views_vs_raw": ratio(views["p95_ms"], raw["p95_ms"]),
        "agree": agree,
    }


def sample_users(users: int) -> list[str]:
    """A heavy, a middling and a light user of the skewed population (see bench.querydata)."""
    return [f"student-{k}" for k in (1, users // 100, users // 4, users // 2, users - users // 20)]


def run(cfg: BenchSettings) -> dict[str, Any]:
    """The whole section, in a temporary directory: load, then time every question."""
    with (
        tempfile.TemporaryDirectory(prefix="pulse-bench-queries-") as tmp,
        clickhouse_endpoint(Path(tmp)) as url,
    ):
        shared = migrated(url, DATABASE)
        client = long_running(writer_client(settings=shared), read_s=1800)  # 10M rows: minutes
        try:
            until = sql_moment(datetime.now(UTC))
            load_s, counts = timed(
                lambda: querydata.load(
                    client, DATABASE, cfg.query_events, cfg.query_users, cfg.query_days, until
                )
            )
            # The facts were loaded directly, as a restore would: build their rollups once.
            rollup_s, _ = timed(lambda: backfill_rollups(client, DATABASE))
            users = sample_users(cfg.query_users)
            asked = {
                q.name: measure_question(client, q, users, cfg.query_runs) for q in questions(until)
            }
            freshness = rollup_freshness.measure(
                client,
                DATABASE,
                cfg.query_users,
                datetime.now(UTC),
                ROLLUP_BATCHES,
                WORKER_BATCH,
            )
        finally:
            client.close()
    return {
        "events": cfg.query_events,
        "users": cfg.query_users,
        "days": cfg.query_days,
        "load_seconds": round(load_s, 1),
        "rollup_build_seconds": round(rollup_s, 1),
        "rows": counts,
        "questions": asked,
        "rollup_refresh": freshness,
    }
