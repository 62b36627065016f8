"""Where `pulse replay` starts: --since (a time, a date or an age) or --from-offsets."""

from datetime import UTC, datetime

import pytest

from pulse.replay.exceptions import ReplayError
from pulse.replay.start import parse_offsets, parse_since, parse_start

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:30:00Z", datetime(2026, 11, 20, 10, 30, tzinfo=UTC)),
        ("2026-11-20T11:30:00+01:00", datetime(2026, 11, 20, 10, 30, tzinfo=UTC)),
        ("2026-11-19", datetime(2026, 11, 19, tzinfo=UTC)),
        ("90m", datetime(2026, 11, 20, 10, 30, tzinfo=UTC)),
        ("2d", datetime(2026, 11, 18, 12, tzinfo=UTC)),
    ],
)
def test_since_reads_times_dates_and_ages(text: str, expected: datetime) -> None:
    assert parse_since(text, now=NOW) == expected


def test_since_that_is_no_time_names_the_forms() -> None:
    with pytest.raises(ReplayError, match="RFC 3339"):
        parse_since("yesterday")


def test_offsets_are_partition_colon_offset() -> None:
    assert parse_offsets("0:120, 2:0") == {0: 120, 2: 0}


@pytest.mark.parametrize("text", ["0@12", "a:1", "0:-1", "", "0:"])
def test_malformed_offsets_are_refused(text: str) -> None:
    with pytest.raises(ReplayError):
        parse_offsets(text)


def test_exactly_one_start_is_required() -> None:
    with pytest.raises(ReplayError, match="exactly one"):
        parse_start(None, None)
    with pytest.raises(ReplayError, match="exactly one"):
        parse_start("1h", "0:0")
    assert parse_start(None, "1:5").offsets == {1: 5}
