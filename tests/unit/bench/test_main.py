"""Choosing sections and merging a partial run into the previous results."""

from __future__ import annotations

import pytest

from bench.__main__ import SECTIONS, merge, parse_sections
from bench.stack_sections import bracketed


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
    ingest = [
        {"batch": 1, "events_per_s": 100.0, "requests_per_s": 100.0},
        {"batch": 100, "events_per_s": 500.0, "requests_per_s": 5.0},
    ]
    alone = merge({}, {"ingest": ingest, "measured": {}})
    assert alone["ratios"] == {}
    both = merge(
        {"empty_endpoint": {"requests_per_s": 400.0}, "kafka": {"records_per_s": 1000.0}},
        {"ingest": ingest, "measured": {}},
    )
    assert both["ratios"] == {
        "ingest_single_rps_vs_empty_endpoint_rps": 0.25,
        "ingest_batch_100_vs_kafka_producer_perf": 0.5,
    }


def test_worker_ratio_is_against_consume_and_decode() -> None:
    worker = {"events_per_s": 300.0, "consume_and_decode_events_per_s": 1200.0}
    assert merge({}, {"worker": worker, "measured": {}})["ratios"] == {
        "worker_vs_consume_and_decode": 0.25
    }


def test_a_bracketed_ceiling_is_the_mean_of_its_runs() -> None:
    runs = [{"requests_per_s": 900.0, "p50_ms": 3.0}, {"requests_per_s": 1100.0, "p50_ms": 2.0}]
    assert bracketed(runs, "requests_per_s") == {
        "requests_per_s": 1000.0,
        "p50_ms": 2.0,
        "runs": [900.0, 1100.0],
    }
