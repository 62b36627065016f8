"""Event time as integer milliseconds since the Unix epoch, and how it is written on the wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
_EPOCH = datetime(1970, 1, 1)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return int(moment.astimezone(UTC).timestamp() * 1000)


def duration_ms(span: timedelta) -> int:
    """A timedelta in whole milliseconds."""
    return span // timedelta(milliseconds=1)


def local_hour(ts_ms: int, offset_min: int) -> int:
    """The hour of day (0..23) on a clock ``offset_min`` minutes ahead of UTC."""
    return (ts_ms + offset_min * MINUTE_MS) // HOUR_MS % 24


@lru_cache(maxsize=256)
def format_offset(offset_min: int) -> str:
    """``+05:30`` style suffix for an offset in minutes."""
    sign = "-" if offset_min < 0 else "+"
    hours, minutes = divmod(abs(offset_min), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_timestamp(ts_ms: int, offset_min: int, utc_z: bool) -> str:
    """RFC 3339 with milliseconds: ``...Z`` in UTC, else local time with its ``+hh:mm`` offset."""
    if utc_z:
        offset_min = 0
    local = _EPOCH + timedelta(milliseconds=ts_ms + offset_min * MINUTE_MS)
    text = local.isoformat(timespec="milliseconds")
    return text + ("Z" if utc_z else format_offset(offset_min))
