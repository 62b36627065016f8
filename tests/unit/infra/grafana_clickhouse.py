"""Read the provisioned dashboards and expand ClickHouse panel macros as the Grafana plugin does.

The expansion follows grafana/clickhouse-datasource ``pkg/macros/macros.go`` (the macro table)
and grafana/sqlds (how ``$__name(args)`` is found: the name ends at a word boundary, arguments
are the comma-separated, whitespace-trimmed text inside the balanced brackets that follow).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).resolve().parents[3] / "infra" / "grafana" / "dashboards"
CLICKHOUSE_PLUGIN = "grafana-clickhouse-datasource"


@dataclass(frozen=True)
class TimeRange:
    """What Grafana sends with a query: the picker's range and the panel's interval."""

    start: datetime
    end: datetime
    interval: timedelta


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel."""

    dashboard: str
    panel: str
    datasource: str
    text: str


def _date(t: datetime) -> str:
    return f"toDate('{t:%Y-%m-%d}')"


def _seconds(t: datetime) -> str:
    return f"toDateTime({int(t.timestamp())})"


def _millis(t: datetime) -> str:
    return f"fromUnixTimestamp64Milli({int(t.timestamp()) * 1000 + t.microsecond // 1000})"


def _between(column: str, low: str, high: str) -> str:
    return f"{column} >= {low} AND {column} <= {high}"


def _one(args: list[str]) -> str:
    if len(args) != 1:
        raise ValueError(f"expected 1 argument, received {len(args)}")
    return args[0]


def _date_time_filter(r: TimeRange, args: list[str]) -> str:
    if len(args) != 2:
        raise ValueError(f"expected 2 arguments, received {len(args)}")
    dates = _between(args[0], _date(r.start), _date(r.end))
    times = _between(args[1], _seconds(r.start), _seconds(r.end))
    return f"({dates}) AND ({times})"


def _interval_s(r: TimeRange) -> int:
    return max(int(r.interval.total_seconds()), 1)


def _interval_ms(r: TimeRange) -> int:
    return max(int(r.interval.total_seconds() * 1000), 1)


Macro = Callable[[TimeRange, list[str]], str]

MACROS: dict[str, Macro] = {
    "fromTime": lambda r, a: _seconds(r.start),
    "toTime": lambda r, a: _seconds(r.end),
    "fromTime_ms": lambda r, a: _millis(r.start),
    "toTime_ms": lambda r, a: _millis(r.end),
    "timeFilter": lambda r, a: _between(_one(a), _seconds(r.start), _seconds(r.end)),
    "timeFilter_ms": lambda r, a: _between(_one(a), _millis(r.start), _millis(r.end)),
    "dateFilter": lambda r, a: _between(_one(a), _date(r.start), _date(r.end)),
    "dateTimeFilter": _date_time_filter,
    "dt": _date_time_filter,
    "timeInterval": lambda r, a: (
        f"toStartOfInterval(toDateTime({_one(a)}), INTERVAL {_interval_s(r)} second)"
    ),
    "timeInterval_ms": lambda r, a: (
        f"toStartOfInterval(toDateTime64({_one(a)}, 3), INTERVAL {_interval_ms(r)} millisecond)"
    ),
    "interval_s": lambda r, a: str(_interval_s(r)),
}


def _bracketed_args(text: str) -> tuple[list[str], int]:
    """Arguments in the brackets that open ``text``, and how many characters they span."""
    if not text.startswith("("):
        return [], 0
    depth, args, current = 0, [], ""
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(current.strip())
                return ([] if args == [""] else args), i + 1
        elif char == "," and depth == 1:
            args.append(current.strip())
            current = ""
            continue
        current += char
    raise ValueError(f"macro arguments without a closing bracket: {text[:40]!r}")


def expand_macros(sql: str, time_range: TimeRange) -> str:
    """``sql`` with every plugin macro replaced, as the plugin's backend does before running it."""
    for name in sorted(MACROS, key=len, reverse=True):
        pattern = re.compile(rf"\$__{re.escape(name)}\b")
        while match := pattern.search(sql):
            args, length = _bracketed_args(sql[match.end() :])
            replacement = MACROS[name](time_range, args)
            sql = sql[: match.start()] + replacement + sql[match.end() + length :]
    if leftover := re.search(r"\$__\w+", sql):
        raise ValueError(f"unknown macro {leftover.group()} in {sql!r}")
    return sql


def load_dashboards() -> dict[str, dict[str, Any]]:
    """Every provisioned dashboard by file name."""
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def panel_queries(plugin_type: str | None = None) -> list[PanelQuery]:
    """Every query of every panel (``plugin_type`` keeps only that datasource's)."""
    found = []
    for name, board in load_dashboards().items():
        for panel in _panels(board["panels"]):
            for target in panel.get("targets", []):
                kind = target.get("datasource", panel.get("datasource", {}))["type"]
                if plugin_type not in (None, kind):
                    continue
                text = target.get("rawSql") or target.get("expr", "")
                found.append(PanelQuery(name, panel["title"], kind, text))
    return found
