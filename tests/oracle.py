"""The oracle: every contract table computed the obvious way, in plain Python, from accepted events.

Input is the list of ACCEPTED events, as dicts exactly as they were sent (duplicates welcome).
Rules, straight from the contract's "What the numbers mean":

- Events are deduplicated by ``event_id`` first (first copy wins; resends are identical anyway).
  Events sent without an ``event_id`` are each distinct: the server gave each its own id. If you
  know those ids (the API's ``results``), put them into the dicts before calling the oracle.
- Timestamps are parsed to UTC and truncated to whole milliseconds, as ``DateTime64(3)`` stores
  them. A UTC day is ``[00:00, 24:00)`` UTC, whatever offset the producer wrote.
- DAU(day): distinct ``user_id`` with at least one event on that UTC day. Rolling DAU over a
  window ending at ``end``: distinct users with ``end - window <= ts < end``.
- assignment_time(user, assignment): the pair's ``assignment.*`` events (those whose metadata has
  a string ``assignment_id``) sorted by timestamp; ``active_seconds`` sums ``min(gap, 300 s)``
  over consecutive gaps; ``submitted`` is 1 if any ``assignment.submitted``. ``subject`` is the
  subject of the pair's first event by timestamp; if several events share that first timestamp,
  the smallest subject string among them (so arrival order never matters).
- llm_usage_daily(day, user, model): count of ``llm.call`` and sums of tokens and ``cost_usd``
  (``math.fsum``, so the figure does not depend on arrival order).
- llm_usage_by_model_daily(day, model): the same over all users of the day.
- subject_usage_daily(day, subject): events whose ``metadata.subject`` is a non-empty string, any
  event name; distinct users and event count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple
from uuid import UUID

GAP_CAP = timedelta(seconds=300)
TOLERANCES: dict[str, float] = {"cost_usd": 1e-9, "active_seconds": 1e-6}


class Accepted(NamedTuple):
    """One distinct accepted event, normalised."""

    event_id: str | None
    event: str
    user_id: str
    ts: datetime
    metadata: Mapping[str, Any]

    @property
    def day(self) -> date:
        return self.ts.date()


class AssignmentTime(NamedTuple):
    subject: str | None
    first_ts: datetime
    last_ts: datetime
    active_seconds: float
    submitted: int


class LlmUsage(NamedTuple):
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class SubjectUsage(NamedTuple):
    users: int
    events: int


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 text with an offset -> aware UTC datetime truncated to milliseconds."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no offset; accepted events always have one")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def canonical_id(value: Any) -> str:
    """An event id as ClickHouse prints a UUID: lower case, hyphenated."""
    return str(value if isinstance(value, UUID) else UUID(str(value)))


def normalise(events: Iterable[Mapping[str, Any]]) -> list[Accepted]:
    """Deduplicate by ``event_id`` (id-less events are all distinct) and parse timestamps."""
    seen: set[str] = set()
    out = []
    for raw in events:
        event_id = canonical_id(raw["event_id"]) if raw.get("event_id") else None
        if event_id is not None:
            if event_id in seen:
                continue
            seen.add(event_id)
        ts = parse_timestamp(raw["timestamp"])
        out.append(Accepted(event_id, raw["event"], raw["user_id"], ts, raw.get("metadata") or {}))
    return out


def dau(events: Sequence[Accepted]) -> dict[date, int]:
    """{UTC day: distinct users with an event that day}."""
    users: dict[date, set[str]] = defaultdict(set)
    for e in events:
        users[e.day].add(e.user_id)
    return {day: len(who) for day, who in sorted(users.items())}


def rolling_dau(events: Sequence[Accepted], end: datetime, window: timedelta) -> int:
    """Distinct users with an event in ``[end - window, end)``."""
    start = end - window
    return len({e.user_id for e in events if start <= e.ts < end})


def rolling_dau_by_day(events: Sequence[Accepted], days: int) -> dict[date, int]:
    """{UTC day D: distinct users over the ``days`` UTC days ending with D}, days with events."""
    users: dict[date, set[str]] = defaultdict(set)
    for e in events:
        users[e.day].add(e.user_id)
    result = {}
    for day in sorted(users):
        span = (day - timedelta(days=back) for back in range(days))
        result[day] = len(set().union(*(users.get(d, set()) for d in span)))
    return result


def _active_seconds(times: list[datetime]) -> float:
    gaps = (min(later - earlier, GAP_CAP) for earlier, later in zip(times, times[1:], strict=False))
    return sum((gap.total_seconds() for gap in gaps), 0.0)


def assignment_time(events: Sequence[Accepted]) -> dict[tuple[str, str], AssignmentTime]:
    """{(user_id, assignment_id): AssignmentTime} over ``assignment.*`` events."""
    pairs: dict[tuple[str, str], list[Accepted]] = defaultdict(list)
    for e in events:
        assignment_id = e.metadata.get("assignment_id")
        if e.event.startswith("assignment.") and isinstance(assignment_id, str):
            pairs[(e.user_id, assignment_id)].append(e)
    result = {}
    for key, group in sorted(pairs.items()):
        times = sorted(e.ts for e in group)
        firsts = [e.metadata.get("subject") for e in group if e.ts == times[0]]
        subjects = sorted(s for s in firsts if isinstance(s, str))
        result[key] = AssignmentTime(
            subject=subjects[0] if subjects else None,
            first_ts=times[0],
            last_ts=times[-1],
            active_seconds=_active_seconds(times),
            submitted=int(any(e.event == "assignment.submitted" for e in group)),
        )
    return result


def llm_usage_daily(events: Sequence[Accepted]) -> dict[tuple[date, str, str], LlmUsage]:
    """{(UTC day, user_id, model): LlmUsage} over ``llm.call`` events.

    Costs are summed with ``math.fsum``: the correctly rounded sum, whatever the event order.
    """
    calls: dict[tuple[date, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for e in events:
        if e.event == "llm.call":
            calls[(e.day, e.user_id, e.metadata["model"])].append(e.metadata)
    return {key: _usage(group) for key, group in sorted(calls.items())}


def _usage(calls: Sequence[Mapping[str, Any]]) -> LlmUsage:
    return LlmUsage(
        calls=len(calls),
        prompt_tokens=sum(m["prompt_tokens"] for m in calls),
        completion_tokens=sum(m["completion_tokens"] for m in calls),
        cost_usd=math.fsum(m["cost_usd"] for m in calls),
    )


def llm_usage_by_model_daily(events: Sequence[Accepted]) -> dict[tuple[date, str], LlmUsage]:
    """{(UTC day, model): LlmUsage} over ``llm.call`` events of every user."""
    calls: dict[tuple[date, str], list[Mapping[str, Any]]] = defaultdict(list)
    for e in events:
        if e.event == "llm.call":
            calls[(e.day, e.metadata["model"])].append(e.metadata)
    return {key: _usage(group) for key, group in sorted(calls.items())}


def subject_usage_daily(events: Sequence[Accepted]) -> dict[tuple[date, str], SubjectUsage]:
    """{(UTC day, subject): SubjectUsage} over events whose metadata has a subject."""
    users: dict[tuple[date, str], set[str]] = defaultdict(set)
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for e in events:
        subject = e.metadata.get("subject")
        if isinstance(subject, str) and subject:
            users[(e.day, subject)].add(e.user_id)
            counts[(e.day, subject)] += 1
    return {key: SubjectUsage(len(users[key]), counts[key]) for key in sorted(counts)}


@dataclass
class Oracle:
    """Every contract table over one set of accepted events; build with ``Oracle.from_events``."""

    accepted: list[Accepted]

    @classmethod
    def from_events(cls, events: Iterable[Mapping[str, Any]]) -> Oracle:
        return cls(normalise(events))

    @cached_property
    def event_ids(self) -> frozenset[str]:
        """Ids of the distinct events that carried one."""
        return frozenset(e.event_id for e in self.accepted if e.event_id is not None)

    @property
    def event_count(self) -> int:
        """Rows the ``events`` table must hold, id-less events included."""
        return len(self.accepted)

    @cached_property
    def dau(self) -> dict[date, int]:
        return dau(self.accepted)

    def rolling_dau(self, end: datetime, window: timedelta) -> int:
        return rolling_dau(self.accepted, end, window)

    def rolling_dau_by_day(self, days: int) -> dict[date, int]:
        return rolling_dau_by_day(self.accepted, days)

    @cached_property
    def assignment_time(self) -> dict[tuple[str, str], AssignmentTime]:
        return assignment_time(self.accepted)

    @cached_property
    def llm_usage_daily(self) -> dict[tuple[date, str, str], LlmUsage]:
        return llm_usage_daily(self.accepted)

    @cached_property
    def llm_usage_by_model_daily(self) -> dict[tuple[date, str], LlmUsage]:
        return llm_usage_by_model_daily(self.accepted)

    @cached_property
    def subject_usage_daily(self) -> dict[tuple[date, str], SubjectUsage]:
        return subject_usage_daily(self.accepted)


# ---- comparing with what ClickHouse returns -------------------------------------------------


class TableSpec(NamedTuple):
    keys: tuple[str, ...]
    values: tuple[str, ...]
    expected: Callable[[Oracle], Mapping[Any, Any]]


TABLES: dict[str, TableSpec] = {
    "dau": TableSpec(("day",), ("dau",), lambda o: {(d,): (n,) for d, n in o.dau.items()}),
    "assignment_time": TableSpec(
        ("user_id", "assignment_id"), AssignmentTime._fields, lambda o: o.assignment_time
    ),
    "llm_usage_daily": TableSpec(
        ("day", "user_id", "model"), LlmUsage._fields, lambda o: o.llm_usage_daily
    ),
    "llm_usage_by_model_daily": TableSpec(
        ("day", "model"), LlmUsage._fields, lambda o: o.llm_usage_by_model_daily
    ),
    "subject_usage_daily": TableSpec(
        ("day", "subject"), SubjectUsage._fields, lambda o: o.subject_usage_daily
    ),
}


def normalise_value(value: Any) -> Any:
    """One representation per value, whatever the driver returned."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _same(column: str, expected: Any, actual: Any, tolerances: Mapping[str, float]) -> bool:
    expected, actual = normalise_value(expected), normalise_value(actual)
    numbers = isinstance(expected, int | float) and isinstance(actual, int | float)
    if column in tolerances and numbers:
        return math.isclose(expected, actual, rel_tol=0, abs_tol=tolerances[column])
    return bool(expected == actual)


@dataclass
class TableDiff:
    """How a table read from ClickHouse differs from the oracle; ``report()`` for humans."""

    table: str
    expected_rows: int
    actual_rows: int
    missing: list[tuple[Hashable, Any]] = field(default_factory=list)
    unexpected: list[tuple[Hashable, Any]] = field(default_factory=list)
    mismatched: list[tuple[Hashable, str, Any, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def report(self, limit: int = 10) -> str:
        """A summary line, then the first ``limit`` differences of each kind."""
        if self.ok:
            return f"{self.table}: {self.expected_rows} rows, all equal to the oracle"
        lines = [
            f"{self.table}: expected {self.expected_rows} rows, got {self.actual_rows}; "
            f"{len(self.missing)} missing, {len(self.unexpected)} unexpected, "
            f"{len(self.mismatched)} values differ"
        ]
        lines += [f"  missing {k}: expected {v}" for k, v in self.missing[:limit]]
        lines += [f"  unexpected {k}: {v}" for k, v in self.unexpected[:limit]]
        lines += [
            f"  {k} {col}: expected {exp!r}, got {act!r}"
            for k, col, exp, act in self.mismatched[:limit]
        ]
        return "\n".join(lines)


def diff_rows(
    table: str,
    expected: Mapping[Any, Sequence[Any]],
    rows: Iterable[Mapping[str, Any]],
    keys: Sequence[str],
    values: Sequence[str],
    tolerances: Mapping[str, float] = TOLERANCES,
) -> TableDiff:
    """Diff ``{key tuple: value tuple}`` against rows (dicts by column name) from ClickHouse."""
    actual: dict[Hashable, tuple[Any, ...]] = {}
    for row in rows:
        key = tuple(normalise_value(row[k]) for k in keys)
        actual[key] = tuple(row[v] for v in values)
    wanted = {tuple(normalise_value(k) for k in key): tuple(v) for key, v in expected.items()}
    diff = TableDiff(table, len(wanted), len(actual))
    for key, exp in sorted(wanted.items(), key=lambda kv: repr(kv[0])):
        if key not in actual:
            diff.missing.append((key, exp))
            continue
        for column, e, a in zip(values, exp, actual[key], strict=True):
            if not _same(column, e, a, tolerances):
                diff.mismatched.append((key, column, e, a))
    diff.unexpected = [(k, v) for k, v in sorted(actual.items(), key=repr) if k not in wanted]
    return diff


def diff_table(oracle: Oracle, table: str, rows: Iterable[Mapping[str, Any]]) -> TableDiff:
    """Diff one contract table (``dau``, ``assignment_time``, ...) read as dict rows."""
    spec = TABLES[table]
    return diff_rows(table, spec.expected(oracle), rows, spec.keys, spec.values)


def diff_event_ids(oracle: Oracle, ids: Iterable[Any]) -> TableDiff:
    """Diff the ``events`` table's ids: every known id once, plus one row per id-less event."""
    stored = [canonical_id(i) for i in ids]
    found = set(stored)
    diff = TableDiff("events", oracle.event_count, len(stored))
    diff.missing = [(i, "") for i in sorted(oracle.event_ids - found)]
    extra = sorted(found - oracle.event_ids)
    idless = oracle.event_count - len(oracle.event_ids)
    if len(extra) != idless:
        diff.mismatched.append(("rows", "ids assigned by the server", idless, len(extra)))
        diff.unexpected = [(i, "not an id the oracle knows") for i in extra]
    repeated = len(stored) - len(found)
    if repeated:
        diff.mismatched.append(("rows", "duplicates", 0, repeated))
    return diff


def diff_all(
    oracle: Oracle, fetch: Callable[[str], Iterable[Mapping[str, Any]]]
) -> list[TableDiff]:
    """Diff every contract table; ``fetch(table)`` returns its rows as dicts, e.g.
    ``lambda t: client.query(f"SELECT * FROM pulse.{t}").named_results()``; for ``events``
    only the ``event_id`` column is read."""
    diffs = [diff_event_ids(oracle, (row["event_id"] for row in fetch("events")))]
    return diffs + [diff_table(oracle, table, fetch(table)) for table in TABLES]


def assert_all_match(diffs: Sequence[TableDiff], limit: int = 10) -> None:
    """Fail with every differing table's report unless all equal the oracle."""
    bad = [diff.report(limit) for diff in diffs if not diff.ok]
    assert not bad, "\n".join(bad)


def assert_matches(diff: TableDiff, limit: int = 10) -> None:
    """Fail with the diff's report unless the table equals the oracle."""
    assert diff.ok, diff.report(limit)
