"""Rows of the known formats -> Pulse events: column mapping, names, timestamps and ids.

Presets name where each event field is found (the first column present wins; ``a.b`` reads key
``b`` of the JSON object in column ``a``):

- ``native``: the Pulse event itself (``event``, ``user_id``, ``timestamp``, ...); Kafka
  records (with ``v``, ``received_at``, ``request_id``) import too.
- ``fastapi``: the FastAPI analytics service's rows, ``ts``/``type``/``src``/``payload``.
- ``studyin``: the StudyIn tracker's rows, ``event_type``/``properties``.

``auto`` picks by the first row's columns. For the seed formats, columns no field names join
the metadata, names are made Pulse names (``AssignmentViewed`` and ``assignment_viewed`` become
``assignment.viewed``; other names without a dot get the preset as namespace:
``studyin.page_view``), and epoch seconds or milliseconds are accepted as timestamps (times
without an offset are UTC). Every event then carries an ``event_id``: its own, or the id the
ingest API would derive from its content (``ingest_api.event_ids``), so an import run twice,
or resumed over rows already sent, stores each event once. Two rows with the same content are
one event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError

from ingest_api.event_ids import event_id_of
from pulse.importer.exceptions import ImporterError, RowError
from schemas.events import EVENT_NAME_PATTERN, KNOWN_EVENTS, Event, describe_errors

FIELDS = ("event_id", "event", "user_id", "timestamp", "source", "session_id", "metadata")
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "native": {name: (name,) for name in FIELDS},
    "fastapi": {
        "event_id": ("event_id", "id"),
        "event": ("type",),
        "user_id": ("user_id", "payload.user_id"),
        "timestamp": ("ts",),
        "source": ("src",),
        "session_id": ("session_id", "payload.session_id"),
        "metadata": ("payload",),
    },
    "studyin": {
        "event_id": ("event_id",),
        "event": ("event_type",),
        "user_id": ("user_id", "properties.user_id", "distinct_id"),
        "timestamp": ("timestamp", "ts", "time", "created_at"),
        "source": ("source",),
        "session_id": ("session_id", "properties.session_id"),
        "metadata": ("properties",),
    },
}
RECORD_ONLY = frozenset({"v", "received_at", "request_id"})
_NAME = re.compile(EVENT_NAME_PATTERN)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_KNOWN_FLAT = {name.replace(".", "_"): name for name in KNOWN_EVENTS}


def detect_preset(row: Mapping[str, Any]) -> str:
    """The preset whose telling columns the row has."""
    if "event_type" in row:
        return "studyin"
    if "type" in row and "ts" in row:
        return "fastapi"
    return "native"


def parse_overrides(items: list[str]) -> dict[str, tuple[str, ...]]:
    """``--map field=column`` items as ``{field: (column,)}``."""
    found: dict[str, tuple[str, ...]] = {}
    for item in items:
        name, sep, column = (part.strip() for part in item.partition("="))
        if not sep or name not in FIELDS or not column:
            raise ImporterError(
                f"--map {item!r}: write FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"
            )
        found[name] = (column,)
    return found


def event_name(raw: Any, namespace: str | None) -> str:
    """A Pulse event name for ``raw`` (see the module doc); the raw text if nothing fits."""
    if not isinstance(raw, str):
        raise RowError(f"event name {raw!r} is not text")
    if _NAME.match(raw):
        return raw
    flat = re.sub(r"[^a-z0-9_.]+", "_", _CAMEL.sub("_", raw.strip()).lower()).strip("_.")
    if _NAME.match(flat):
        return flat
    if flat in _KNOWN_FLAT:
        return _KNOWN_FLAT[flat]
    if namespace and flat and flat[0].isalpha():
        return f"{namespace}.{flat}"
    return raw


def timestamp_text(value: Any) -> Any:
    """RFC 3339 text for a datetime, an epoch number (s, ms or µs) or time text; naive is UTC."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            try:
                value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return value  # the model names what is wrong with it
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        seconds = float(value)
        while abs(seconds) >= 1e11:  # milliseconds, microseconds
            seconds /= 1000
        value = datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat()
    return value


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _object(value: Any, column: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise RowError(f"column {column!r} is not a JSON object") from None
    if not isinstance(value, dict):
        raise RowError(f"column {column!r} is not a JSON object")
    return dict(value)


@dataclass
class Mapper:
    """Maps the rows of one file with one preset (and ``--map`` overrides)."""

    preset: str
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ImporterError(f"preset {self.preset!r}: use auto, {', '.join(PRESETS)}")
        self.columns = PRESETS[self.preset] | self.overrides
        self.namespace = None if self.preset == "native" else self.preset

    def _find(self, row: Mapping[str, Any], name: str, used: set[str]) -> Any:
        for column in self.columns[name]:
            head, _, key = column.partition(".")
            if not key and row.get(column) is not None:
                used.add(column)
                return row[column]
            if key and head in row:
                inner = _object(row[head], head)
                if inner.get(key) is not None:
                    used.add(column)
                    return inner[key]
        return None

    def event(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The event of ``row``, validated, with its ``event_id``; :class:`RowError` if none."""
        used: set[str] = set()
        values = {name: self._find(row, name, used) for name in FIELDS if name != "metadata"}
        meta_column = self.columns["metadata"][0]
        metadata = _object(row.get(meta_column), meta_column)
        used.add(meta_column)
        for column in used:  # keys lifted out of the metadata are not kept twice
            head, _, key = column.partition(".")
            if head == meta_column and key:
                metadata.pop(key, None)
        rest = {k: v for k, v in row.items() if k not in used and v is not None}
        rest = {k: v for k, v in rest.items() if k not in RECORD_ONLY}
        if self.namespace is None and rest:
            raise RowError(f"unknown columns {sorted(rest)}: map them with --map or a preset")
        metadata |= {k: v for k, v in rest.items() if k not in metadata}
        doc = {
            "event_id": values["event_id"],
            "event": event_name(values["event"], self.namespace)
            if values["event"] is not None
            else None,
            "user_id": str(values["user_id"]) if values["user_id"] is not None else None,
            "timestamp": timestamp_text(values["timestamp"]),
            "source": values["source"] if values["source"] is not None else self.namespace,
            "session_id": values["session_id"],
            "metadata": _json_safe(metadata),
        }
        try:
            event = Event.model_validate({k: v for k, v in doc.items() if v is not None})
        except ValidationError as exc:
            raise RowError(describe_errors(exc)) from None
        out = event.model_dump(mode="json", exclude_none=True)
        out["event_id"] = str(event_id_of(event))
        return out
