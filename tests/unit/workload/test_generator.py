"""The generator: deterministic, valid to the contract, streaming, shaped only in delivery."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from pulse.workload import Sent, WorkloadConfig, generate
from schemas import Event
from tests.oracle import Oracle, parse_timestamp
from tests.unit.workload.conftest import NOW, small

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")


def test_same_seed_gives_the_same_events() -> None:
    assert list(generate(small())) == list(generate(small()))


def test_another_seed_gives_other_events() -> None:
    first = list(itertools.islice(generate(small(seed=1)), 50))
    assert first != list(itertools.islice(generate(small(seed=2)), 50))


def test_every_valid_event_validates_and_every_invalid_one_is_rejected(
    messy: list[Sent],
) -> None:
    for sent in messy:
        if sent.kind == "invalid":
            with pytest.raises(ValidationError):
                Event.model_validate(sent.event, context={"now": NOW})
        else:
            Event.model_validate(sent.event, context={"now": NOW})


def test_events_cover_the_platform() -> None:
    names = Counter(e["event"] for e in generate(small()))

    for name in ("assignment.viewed", "assignment.started", "assignment.heartbeat",
                 "assignment.submitted", "user.login", "user.logout", "chat.message",
                 "llm.call", "video.played"):  # fmt: skip
        assert names[name] > 0, name


def test_timestamps_are_rfc3339_with_z_and_numeric_offsets_in_the_window() -> None:
    config = small()
    start, end = config.window()
    stamps = [e["timestamp"] for e in generate(config)]

    assert all(RFC3339.match(s) for s in stamps)
    assert {s[-1] == "Z" for s in stamps} == {True, False}
    assert any(s.endswith("+05:30") for s in stamps)
    assert all(start <= parse_timestamp(s) < end for s in stamps)


def test_default_window_is_the_last_days_ending_now() -> None:
    assert small(days=2).window() == (NOW - timedelta(days=2), NOW)


def test_events_knob_gives_about_that_many_events() -> None:
    count = sum(1 for _ in generate(small(events=5000)))
    assert 4500 <= count <= 5500


def test_the_stream_depends_on_the_configured_now_not_the_wall_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PULSE_WORKLOAD_NOW", NOW.isoformat())
    from_env = WorkloadConfig(users=150, rate=0.1, seed=7)

    assert from_env.now == NOW
    assert list(generate(from_env)) == list(generate(small()))


def test_limit_stops_after_exactly_that_many_events() -> None:
    assert sum(1 for _ in generate(small(limit=123))) == 123


def test_a_year_of_heavy_traffic_streams_without_being_built_first() -> None:
    config = WorkloadConfig(users=5000, days=365, rate=50, now=NOW, duplicate_fraction=0.1)
    first = list(itertools.islice(generate(config), 1000))
    assert len(first) == 1000


def test_missing_event_id_fraction_leaves_ids_off() -> None:
    events = list(generate(small(missing_event_id_fraction=0.2)))
    share = sum("event_id" not in e for e in events) / len(events)
    assert 0.15 < share < 0.25


def test_sessions_cross_utc_midnight_when_asked() -> None:
    config = small(days=0.25, cross_midnight=True)
    start, end = config.window()
    midnight = end.replace(hour=0, minute=0, second=0, microsecond=0)
    days: dict[tuple[str, str], set[date]] = defaultdict(set)
    for e in generate(config):
        if e["event"].startswith("assignment."):
            key = (e["user_id"], e["metadata"]["assignment_id"])
            days[key].add(parse_timestamp(e["timestamp"]).date())

    assert start < midnight < end
    assert any(len(d) == 2 for d in days.values())


def test_historical_import_is_old_and_sent_after_newer_traffic(messy: list[Sent]) -> None:
    start, _ = small().window()
    flags = [sent.historical for sent in messy]
    first_old = flags.index(True)

    assert all(flags[first_old:])
    assert all(
        parse_timestamp(s.event["timestamp"]) < start
        for s in messy[first_old:]
        if s.kind != "invalid"
    )


def test_shaping_changes_delivery_but_not_the_accepted_events(messy: list[Sent]) -> None:
    clean = small(historical_fraction=0.2, missing_event_id_fraction=0.05)
    accepted = [s.event for s in messy if s.kind != "invalid"]

    shaped, plain = Oracle.from_events(accepted), Oracle.from_events(generate(clean))

    assert shaped.event_ids == plain.event_ids
    assert shaped.event_count == plain.event_count
    assert shaped.dau == plain.dau
    assert shaped.assignment_time == plain.assignment_time
    assert shaped.llm_usage_daily == plain.llm_usage_daily
    assert shaped.subject_usage_daily == plain.subject_usage_daily


def test_valid_events_are_never_after_the_configured_now() -> None:
    assert all(parse_timestamp(e["timestamp"]) <= NOW for e in generate(small()))
