"""WorkloadConfig: the window it resolves to and the mistakes it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pulse.workload import WorkloadConfig
from tests.unit.workload.conftest import NOW


def test_explicit_start_and_end_win_over_days() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = datetime(2026, 11, 3, 12, tzinfo=UTC)
    config = WorkloadConfig(start=start, end=end, days=30, now=NOW)
    assert config.window() == (start, end)


def test_cross_midnight_centres_the_window_on_a_utc_midnight_before_now() -> None:
    start, end = WorkloadConfig(days=0.5, cross_midnight=True, now=NOW).window()
    midnight = start + timedelta(hours=6)

    assert (midnight.hour, midnight.minute, midnight.second) == (0, 0, 0)
    assert end == midnight + timedelta(hours=6) <= NOW


def test_events_knob_sets_the_rate_over_the_window() -> None:
    config = WorkloadConfig(events=86_400 * 3, days=1, rate=99, now=NOW)
    assert config.events_per_second() == pytest.approx(3)


def test_end_more_than_a_day_after_now_is_refused() -> None:
    with pytest.raises(ValidationError, match="more than 24 h after now"):
        WorkloadConfig(end=NOW + timedelta(hours=25), now=NOW)


def test_start_after_end_is_refused() -> None:
    with pytest.raises(ValidationError, match="is not before end"):
        WorkloadConfig(start=NOW, end=NOW - timedelta(hours=1), now=NOW)


def test_fractions_out_of_range_are_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate_fraction"):
        WorkloadConfig(duplicate_fraction=1.5, now=NOW)


def test_knobs_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_WORKLOAD_USERS", "42")
    monkeypatch.setenv("PULSE_WORKLOAD_DISORDER_WINDOW", "PT1H")

    config = WorkloadConfig(now=NOW)

    assert (config.users, config.disorder_window) == (42, timedelta(hours=1))
