"""Traffic shaping: duplicates, disorder, lateness and invalid events do what the knobs say."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from pulse.workload import Sent, generate, generate_sent
from tests.oracle import parse_timestamp
from tests.unit.workload.conftest import small


def _lags(events: list[dict[str, Any]]) -> list[timedelta]:
    """For each sent event: how much newer the newest event sent before it was."""
    newest = None
    lags = []
    for e in events:
        ts = parse_timestamp(e["timestamp"])
        newest = ts if newest is None else max(newest, ts)
        lags.append(newest - ts)
    return lags


def test_duplicates_are_exact_resends_at_the_asked_fraction() -> None:
    sent = list(generate_sent(small(duplicate_fraction=0.2)))
    originals = {s.event["event_id"]: s.event for s in sent if s.kind == "original"}
    copies = [s.event for s in sent if s.kind == "duplicate"]

    assert all(copy == originals[copy["event_id"]] for copy in copies)
    assert 0.17 < len(copies) / len(originals) < 0.23
    assert max(Counter(e["event_id"] for e in copies).values()) == 1


def test_without_shaping_events_are_sent_in_event_time_order() -> None:
    assert max(_lags(list(generate(small())))) == timedelta(0)


def test_disorder_stays_within_the_window() -> None:
    lags = _lags(list(generate(small(disorder_window=timedelta(minutes=20)))))

    assert max(lags) < timedelta(minutes=20)
    assert max(lags) > timedelta(minutes=5)


def test_late_events_come_up_to_max_lateness_behind() -> None:
    lags = _lags(list(generate(small(late_fraction=0.05, max_lateness=timedelta(hours=3)))))

    assert max(lags) <= timedelta(hours=3)
    assert sum(lag > timedelta(minutes=30) for lag in lags) > 10


def test_invalid_events_are_about_the_asked_fraction_and_of_every_kind(
    messy: list[Sent],
) -> None:
    invalid = [s.event for s in messy if s.kind == "invalid"]
    share = len(invalid) / len(messy)
    future = [e for e in invalid if e["timestamp"].endswith("Z") and e["timestamp"] > "2026"]

    assert 0.04 < share < 0.06
    assert any(e["event"] in ("Assignment.Viewed", "login", "9lives.event") for e in invalid)
    assert any(
        e["event"].startswith("assignment.") and "assignment_id" not in e["metadata"]
        for e in invalid
    )
    assert future
