"""Timestamps on the wire: RFC 3339, milliseconds, Z or the user's offset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pulse.workload.clock import format_timestamp, local_hour, to_ms

MOMENT = to_ms(datetime(2026, 11, 20, 23, 30, 7, 120000, tzinfo=UTC))


@pytest.mark.parametrize(
    ("offset", "utc_z", "text"),
    [
        (0, True, "2026-11-20T23:30:07.120Z"),
        (0, False, "2026-11-20T23:30:07.120+00:00"),
        (330, False, "2026-11-21T05:00:07.120+05:30"),
        (-300, False, "2026-11-20T18:30:07.120-05:00"),
        (330, True, "2026-11-20T23:30:07.120Z"),
    ],
)
def test_timestamps_are_written_in_the_users_offset_or_z(
    offset: int, utc_z: bool, text: str
) -> None:
    assert format_timestamp(MOMENT, offset, utc_z) == text
    assert datetime.fromisoformat(text) == datetime.fromtimestamp(MOMENT / 1000, UTC)


def test_local_hour_follows_the_offset() -> None:
    assert (local_hour(MOMENT, 0), local_hour(MOMENT, 330), local_hour(MOMENT, -300)) == (23, 5, 18)
