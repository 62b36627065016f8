"""Choosing sections and merging a partial run into the previous results."""

from __future__ import annotations

import pytest

from bench.__main__ import SECTIONS, merge, parse_sections


def test_no_choice_runs_every_section() -> None:
    assert parse_sections(None) == list(SECTIONS)


def test_chosen_sections_run_in_the_standard_order() -> None:
    assert parse_sections("queries, worker") == ["worker", "queries"]


def test_unknown_section_is_refused_with_the_valid_names() -> None:
    with pytest.raises(SystemExit, match="unknown section.*choose from.*endpoint"):
        parse_sections("worker,warp")


def test_partial_run_keeps_other_sections_and_their_notes() -> None:
    previous = {
        "queries": {"old": 1},
        "worker": {"old": 2},
        "measured": {"queries": {"at": "t0"}, "worker": {"at": "t0"}},
    }
    fresh = {"worker": {"new": 3}, "measured": {"worker": {"at": "t1"}}}
    merged = merge(previous, fresh)
    assert merged["queries"] == {"old": 1}
    assert merged["worker"] == {"new": 3}
    assert merged["measured"] == {"queries": {"at": "t0"}, "worker": {"at": "t1"}}


def test_ratios_need_both_sides() -> None:
    ingest = [{"batch": 1, "events_per_s": 100.0, "requests_per_s": 100.0}]
    alone = merge({}, {"ingest": ingest, "measured": {}})
    assert alone["ratios"] == {}
    both = merge(
        {"bare_fastapi": {"requests_per_s": 400.0}, "kafka": {"records_per_s": 1000.0}},
        {"ingest": ingest, "measured": {}},
    )
    assert both["ratios"] == {
        "api_best_events_per_s_vs_kafka_records_per_s": 0.1,
        "api_single_event_rps_vs_bare_fastapi_rps": 0.25,
    }
