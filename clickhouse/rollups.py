"""Rollups: the compact tables behind the contract's aggregate views, each kept exact.

Two kinds, chosen by what a key's figure needs:

- **Kept by ClickHouse as facts arrive** (``assignment_pair_rollup``, ``user_activity_rollup``):
  a pair's first and last time, its set of distinct event times, its first subject and whether it
  was submitted; a user's first and last event and set of active days. Each column is a min, a
  max or a set union, so a materialized view on the facts adds every insert's partial rows and
  the merged row is the same whatever the order, the batching or how often an event is inserted
  (a replay, a resend). Nothing is recomputed and nothing is read: the work per batch is the
  batch. The figures (a pair's capped gaps) are computed from the merged row when read.
- **Recomputed for the keys a batch touched** (``dau_rollup``, ``llm_usage_rollup``,
  ``llm_model_rollup``, ``subject_usage_rollup``): counts of distinct users and sums over
  deduplicated events, which a replay would double if added. After a batch of facts is stored,
  the worker knows which days, (day, user, model) and (day, subject) keys it touched;
  :func:`refresh_statements` recomputes exactly those from the deduplicated facts and writes
  their *absolute* values, versioned by ClickHouse's clock at the recompute, into
  ReplacingMergeTree rollups. The (day, model) totals are recomputed after them, from the
  (day, user, model) rows just written, for the (day, model) keys those touched. Why this is
  exact:

  - a replay recomputes the same value: nothing doubles;
  - the newest recompute of a key started after every fact insert that touched it had finished
    (each insert is followed by its own recompute), so the highest version has read them all;
  - a touched key whose facts are gone (``pulse forget``) is written as zero and the views hide it;
  - a (day, model) total is recomputed after the (day, user, model) rows of its batch are
    written, so the newest total started after every such row of every batch was written.

  Each recompute reads one UTC day's facts of its keys (they are keyed by day first): bounded by
  a day's traffic, never by the history.

:func:`rebuild_statements` recomputes everything (backfill after the upgrade, or after a
restore), one slice at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from string import Template
from typing import Any, ClassVar

import orjson
from clickhouse_connect.driver.binding import finalize_query

ROLLUP_TABLES = (
    "dau_rollup",
    "llm_usage_rollup",
    "llm_model_rollup",
    "subject_usage_rollup",
    "assignment_pair_rollup",
    "user_activity_rollup",
)
# Filled by materialized views from the facts (migrations 0030, 0032), never written directly:
# a restore loads the facts and these follow, so a backup leaves them out.
KEPT_BY_VIEWS = frozenset({"assignment_pair_rollup", "user_activity_rollup"})
KEYS_PER_STATEMENT = 2000
# Under ClickHouse's max_query_size (256 KiB by default): a statement is the text of its keys,
# and 2 000 keys of long user ids or models would exceed it, an error no retry can mend.
MAX_STATEMENT_BYTES = 200_000
_VERSION = "toUnixTimestamp64Micro(now64(6))"


@dataclass
class TouchedKeys:
    """The keys of the recomputed rollups that a set of fact rows touched."""

    # The fact tables whose rows name such keys; the others touch none.
    TABLES: ClassVar[frozenset[str]] = frozenset({"dau_users", "llm_calls", "subject_events"})

    days: set[date] = field(default_factory=set)
    llm: set[tuple[date, str, str]] = field(default_factory=set)
    subjects: set[tuple[date, str]] = field(default_factory=set)
    # (day, model) totals to recompute beyond those of ``llm``'s keys (which always are): the
    # keys of a user whose rows were deleted (``pulse forget``).
    models: set[tuple[date, str]] = field(default_factory=set)

    def add(self, table: str, row: Sequence[Any]) -> None:
        """Note the keys of one fact row (columns as in ``stream_processors.rows.COLUMNS``)."""
        if table == "dau_users":
            self.days.add(row[0])
        elif table == "llm_calls":
            self.llm.add((row[0], row[1], row[2]))
        elif table == "subject_events":
            self.subjects.add((row[0], row[1]))

    def __bool__(self) -> bool:
        return bool(self.days or self.llm or self.subjects or self.models)

    def model_keys(self) -> set[tuple[date, str]]:
        """The (day, model) totals these keys change: those of ``llm`` and ``models``."""
        return self.models | {(day, model) for day, _, model in self.llm}

    def split(self, since: date) -> tuple[TouchedKeys, TouchedKeys]:
        """(the keys of days from ``since`` on, the keys of earlier days)."""

        def part(earlier: bool) -> TouchedKeys:
            return TouchedKeys(
                {d for d in self.days if (d < since) == earlier},
                {k for k in self.llm if (k[0] < since) == earlier},
                {k for k in self.subjects if (k[0] < since) == earlier},
                {k for k in self.models if (k[0] < since) == earlier},
            )

        return part(False), part(True)

    def merge(self, other: TouchedKeys) -> None:
        """Add ``other``'s keys to these."""
        self.days |= other.days
        self.llm |= other.llm
        self.subjects |= other.subjects
        self.models |= other.models


def _chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(keys)
    for start in range(0, len(ordered), KEYS_PER_STATEMENT):
        yield ordered[start : start + KEYS_PER_STATEMENT]


def _bounded(render: Callable[[list[Any]], str], keys: list[Any]) -> Iterator[str]:
    """``render(keys)``, split in halves until every statement fits ``MAX_STATEMENT_BYTES``
    (one key always fits: ids and names are bounded by the event schema)."""
    statement = render(keys)
    if len(keys) == 1 or len(statement.encode()) <= MAX_STATEMENT_BYTES:
        yield statement
        return
    middle = len(keys) // 2
    yield from _bounded(render, keys[:middle])
    yield from _bounded(render, keys[middle:])


def _bind(template: str, database: str, **values: Any) -> str:
    return finalize_query(_sql(template, database), values)


_DAU = """
INSERT INTO $db.dau_rollup (day, dau, version)
SELECT k.day, f.dau, $version
FROM (SELECT toDate(arrayJoin(%(days)s)) AS day) AS k
LEFT JOIN (
    SELECT day, toUInt64(uniqExact(user_id)) AS dau
    FROM $db.dau_users WHERE day IN %(days)s GROUP BY day
) AS f USING (day)
"""

_LLM = """
INSERT INTO $db.llm_usage_rollup
    (day, user_id, model, calls, prompt_tokens, completion_tokens, cost_usd, version)
SELECT k.day, k.user_id, k.model, f.calls, f.prompt_tokens, f.completion_tokens, f.cost_usd,
       $version
FROM format(JSONCompactEachRow, 'day Date, user_id String, model String', %(rows)s) AS k
LEFT JOIN (
    SELECT day, user_id, model, count() AS calls, sum(prompt_token_count) AS prompt_tokens,
           sum(completion_token_count) AS completion_tokens, sumKahan(call_cost_usd) AS cost_usd
    FROM $db.llm_calls FINAL
    WHERE day IN %(days)s
      AND user_id IN (SELECT user_id FROM format(JSONCompactEachRow, 'user_id String', %(users)s))
    GROUP BY day, user_id, model
) AS f USING (day, user_id, model)
"""

# After _LLM, from the (day, user, model) rows: a day's rows of the rollup, not its calls.
_MODELS = """
INSERT INTO $db.llm_model_rollup
    (day, model, calls, prompt_tokens, completion_tokens, cost_usd, version)
SELECT k.day, k.model, f.calls, f.prompt_tokens, f.completion_tokens, f.cost_usd, $version
FROM format(JSONCompactEachRow, 'day Date, model String', %(rows)s) AS k
LEFT JOIN (
    SELECT day, model, sum(calls) AS calls, sum(prompt_tokens) AS prompt_tokens,
           sum(completion_tokens) AS completion_tokens, sumKahan(cost_usd) AS cost_usd
    FROM $db.llm_usage_rollup FINAL
    WHERE day IN %(days)s
      AND model IN (SELECT model FROM format(JSONCompactEachRow, 'model String', %(names)s))
    GROUP BY day, model
) AS f USING (day, model)
"""

_SUBJECTS = """
INSERT INTO $db.subject_usage_rollup (day, subject, users, events, version)
SELECT k.day, k.subject, f.users, f.events, $version
FROM format(JSONCompactEachRow, 'day Date, subject String', %(rows)s) AS k
LEFT JOIN (
    SELECT day, subject, toUInt64(uniqExact(user_id)) AS users, count() AS events
    FROM $db.subject_events FINAL
    WHERE day IN %(days)s
      AND subject IN (SELECT subject FROM format(JSONCompactEachRow, 'subject String', %(names)s))
    GROUP BY day, subject
) AS f USING (day, subject)
"""

_REBUILD_USERS = """
INSERT INTO $db.user_activity_rollup (user_id, first_seen, last_seen, active_days)
SELECT user_id, min(ts), max(ts), uniqExactState(toDate(ts))
FROM $db.events_store WHERE $where GROUP BY user_id
"""
# As the materialized view of migration 0030 adds them, from all facts of a slice of users.
_REBUILD_PAIRS = """
INSERT INTO $db.assignment_pair_rollup
    (user_id, assignment_id, first_ts, last_ts, times, first_subject, submitted)
SELECT user_id, assignment_id, min(ts), max(ts), groupUniqArray(toUnixTimestamp64Milli(ts)),
       min((ts, toUInt8(subject = ''), toString(subject))), max(submitted)
FROM $db.assignment_events WHERE $where GROUP BY user_id, assignment_id
"""

_REBUILD = (
    """INSERT INTO $db.dau_rollup (day, dau, version)
SELECT day, toUInt64(uniqExact(user_id)), $version FROM $db.dau_users GROUP BY day""",
    """INSERT INTO $db.llm_usage_rollup
    (day, user_id, model, calls, prompt_tokens, completion_tokens, cost_usd, version)
SELECT day, user_id, model, count(), sum(prompt_token_count), sum(completion_token_count),
       sumKahan(call_cost_usd), $version
FROM $db.llm_calls FINAL GROUP BY day, user_id, model""",
    # After the (day, user, model) rows it sums.
    """INSERT INTO $db.llm_model_rollup
    (day, model, calls, prompt_tokens, completion_tokens, cost_usd, version)
SELECT day, model, sum(calls), sum(prompt_tokens), sum(completion_tokens), sumKahan(cost_usd),
       $version
FROM $db.llm_usage_rollup FINAL GROUP BY day, model""",
    """INSERT INTO $db.subject_usage_rollup (day, subject, users, events, version)
SELECT day, subject, toUInt64(uniqExact(user_id)), count(), $version
FROM $db.subject_events FINAL GROUP BY day, subject""",
)


def _sql(template: str, database: str, **parts: str) -> str:
    """``template`` with the database, the version expression and ``parts`` put in. Only our own
    SQL fragments go in here (the database name is checked by the migrations); values are bound
    separately by :func:`_bind`."""
    names = {"db": f"`{database}`", "version": _VERSION}
    inner = {key: Template(part).substitute(names) for key, part in parts.items()}
    return Template(template).substitute(names, **inner)


def refresh_statements(database: str, touched: TouchedKeys) -> list[str]:
    """The INSERT ... SELECT statements that recompute every key of ``touched``."""

    def dau(days: list[date]) -> str:
        return _bind(_DAU, database, days=days)

    def llm(keys: list[tuple[date, str, str]]) -> str:
        return _bind(
            _LLM,
            database,
            rows=_json_rows(keys),
            days=sorted({d for d, _, _ in keys}),
            users=_json_rows((u,) for u in sorted({u for _, u, _ in keys})),
        )

    def day_keys(template: str, keys: list[tuple[date, str]]) -> str:
        return _bind(
            template,
            database,
            rows=_json_rows(keys),
            days=sorted({d for d, _ in keys}),
            names=_json_rows((name,) for name in sorted({name for _, name in keys})),
        )

    def models(keys: list[tuple[date, str]]) -> str:
        return day_keys(_MODELS, keys)

    def subjects(keys: list[tuple[date, str]]) -> str:
        return day_keys(_SUBJECTS, keys)

    renders: list[tuple[Callable[[list[Any]], str], Iterable[Any]]] = [
        (dau, touched.days),
        (llm, touched.llm),
        (models, touched.model_keys()),  # after llm: it sums the rows llm writes
        (subjects, touched.subjects),
    ]
    return [
        statement
        for render, keys in renders
        for chunk in _chunks(keys)
        for statement in _bounded(render, chunk)
    ]


def _json_rows(keys: Iterable[Sequence[Any]]) -> str:
    """``keys`` as JSONCompactEachRow text, for ``format(JSONCompactEachRow, ...)``."""
    return "\n".join(orjson.dumps(key).decode() for key in keys)


def rebuild_statements(database: str, user_slices: int = 16) -> list[str]:
    """Statements that recompute every rollup from all facts (the backfill), in slices.

    Day-keyed rollups are rebuilt whole (their facts are read once per day); pairs and users in
    ``user_slices`` slices by user hash so that no statement holds every key in memory. The
    materialized views may add the same rows meanwhile: they merge to the same answer.
    """
    statements = [_sql(template, database) for template in _REBUILD]
    for index in range(user_slices):
        where = f"cityHash64(user_id) % {int(user_slices)} = {int(index)}"
        statements.append(_sql(_REBUILD_PAIRS, database, where=where))
        statements.append(_sql(_REBUILD_USERS, database, where=where))
    return statements


def rolling_dau_sql(now: str, tables: str = "") -> str:
    """Distinct users with an event in ``[now - w, now)`` for w = 24 h, 7 d and 30 d, one row.

    ``now`` is a SQL expression (a bound parameter, ``now64(3)``, a Grafana macro); ``tables``
    a database prefix such as ``{db:Identifier}.``. Exact, and bounded by the answer: it reads
    the ``user_activity_rollup`` rows last seen inside the 30 days (through their
    ``by_last_seen_key`` projection), one per user once merged. Every stored ``last_seen`` is a
    real event's time and only grows, so a user with such a row inside a window was active in it,
    and a user active in a window has a row at or after the activity: inside the window, or at or
    after ``now``. Only the users last seen at or after ``now`` (events dated ahead of ``now``,
    which the contract allows up to 24 h) are looked up in ``events_store``, by its (user, ts)
    key. Users are told apart by ``user_key``, the 128-bit SipHash of ``user_id`` that
    ``uniqExact`` itself counts strings by (migration 0037): a fixed 16 bytes to group by. The
    second branch's key must not be called ``user_key``: ClickHouse 26.9 then computes the first
    branch's stored ``user_key`` again from ``user_id`` (its DEFAULT), reading every id string.
    """
    return Template(_ROLLING_DAU).substitute(now=now, tables=tables)


_ROLLING_DAU = """
SELECT
    countIf(seen >= $now - INTERVAL 24 HOUR) AS last_24h,
    countIf(seen >= $now - INTERVAL 7 DAY) AS last_7d,
    count() AS last_30d
FROM
(
    SELECT user_key, max(at) AS seen
    FROM
    (
        SELECT user_key, last_seen AS at
        FROM ${tables}user_activity_rollup
        WHERE last_seen >= $now - INTERVAL 30 DAY AND last_seen < $now
        UNION ALL
        SELECT reinterpretAsUInt128(sipHash128(user_id)) AS ahead_key, ts AS at
        FROM ${tables}events_store
        WHERE ts >= $now - INTERVAL 30 DAY AND ts < $now AND user_id IN (
            SELECT user_id FROM ${tables}user_activity_rollup WHERE last_seen >= $now
        )
    )
    GROUP BY user_key
)
"""
