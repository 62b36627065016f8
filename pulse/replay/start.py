"""Where a replay starts: ``--since TIME`` (a moment or an age) or ``--from-offsets P:O,...``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pulse.replay.exceptions import ReplayError

_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Start:
    """Either a moment (every partition from its first message at or after it) or offsets."""

    since: datetime | None = None
    offsets: dict[int, int] | None = None


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2026-11-20T14:00:00Z``, ``2026-11-20`` (UTC midnight) or an age (``90m``, ``2d``)."""
    value = text.strip()
    if match := _AGE.match(value.lower()):
        amount, unit = float(match[1]), _UNITS[match[2]]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReplayError(
            f"--since {text!r}: give an RFC 3339 time (2026-11-20T14:00:00Z), a date, "
            "or an age such as 6h or 2d"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_offsets(text: str) -> dict[int, int]:
    """``"0:120,1:0"`` as ``{0: 120, 1: 0}``: replay only these partitions, from these offsets."""
    offsets: dict[int, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        partition, sep, offset = item.partition(":")
        try:
            p, o = int(partition), int(offset)
        except ValueError:
            p = o = -1
        if not sep or p < 0 or o < 0:
            raise ReplayError(
                f"--from-offsets item {item!r}: write PARTITION:OFFSET, e.g. 0:120,1:0"
            )
        offsets[p] = o
    if not offsets:
        raise ReplayError("--from-offsets is empty: write PARTITION:OFFSET,...")
    return offsets


def parse_start(since: str | None, from_offsets: str | None) -> Start:
    """Exactly one of ``--since`` and ``--from-offsets``."""
    if (since is None) == (from_offsets is None):
        raise ReplayError("give exactly one of --since TIME and --from-offsets P:O,...")
    if since is not None:
        return Start(since=parse_since(since))
    return Start(offsets=parse_offsets(from_offsets or ""))
