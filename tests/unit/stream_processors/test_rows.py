from datetime import UTC, date, datetime, timedelta, timezone
from uuid import uuid4

from schemas.events import EventRecord
from stream_processors.rows import (
    COLUMNS,
    assignment_row,
    dau_row,
    events_store_row,
    llm_call_row,
    subject_row,
    to_utc_millis,
)


def record(event: str, metadata: dict, ts: datetime | None = None) -> EventRecord:
    return EventRecord(
        event_id=uuid4(),
        event=event,
        user_id="student-1",
        timestamp=ts or datetime(2026, 11, 20, 23, 30, 0, 123456, tzinfo=UTC),
        received_at=datetime(2026, 11, 21, tzinfo=UTC),
        metadata=metadata,
    )


def test_timestamps_are_cut_to_milliseconds_in_utc() -> None:
    moment = datetime(2026, 11, 21, 1, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert to_utc_millis(moment) == datetime(2026, 11, 20, 23, 0, 0, 999000, tzinfo=UTC)


def test_day_is_the_utc_day_of_the_event_time_not_the_local_one() -> None:
    ts = datetime(2026, 11, 21, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert dau_row(record("user.login", {}, ts)) == (date(2026, 11, 20), "student-1")


def test_events_store_row_matches_its_columns_and_keeps_metadata_as_json() -> None:
    rec = record("assignment.viewed", {"assignment_id": "hw-7", "subject": "math"})
    row = events_store_row(rec, partition=3, offset=42)
    assert len(row) == len(COLUMNS["events_store"])
    named = dict(zip(COLUMNS["events_store"], row, strict=True))
    assert named["subject"] == "math" and named["assignment_id"] == "hw-7"
    assert named["metadata"] == '{"assignment_id":"hw-7","subject":"math"}'
    assert (named["kafka_partition"], named["kafka_offset"]) == (3, 42)
    assert named["source"] == "" and named["request_id"] == ""


def test_llm_call_row_carries_tokens_and_cost_and_other_events_have_none() -> None:
    meta = {"model": "gpt-x", "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.25}
    rec = record("llm.call", meta)
    expected = (date(2026, 11, 20), "student-1", "gpt-x", rec.event_id, 10, 5, 0.25)
    assert llm_call_row(rec) == expected
    assert llm_call_row(record("user.login", {})) is None


def test_subject_row_needs_a_non_empty_string_subject() -> None:
    assert subject_row(record("custom.thing", {"subject": "art"}))[1] == "art"
    assert subject_row(record("custom.thing", {"subject": 5})) is None
    assert subject_row(record("custom.thing", {})) is None


def test_assignment_row_flags_submissions_and_ignores_other_events() -> None:
    meta = {"assignment_id": "hw-7", "subject": "math"}
    assert assignment_row(record("assignment.submitted", meta))[-1] == 1
    assert assignment_row(record("assignment.heartbeat", meta))[-1] == 0
    assert assignment_row(record("chat.message", {"assignment_id": "hw-7"})) is None
    assert len(assignment_row(record("assignment.viewed", meta))) == len(
        COLUMNS["assignment_events"]
    )
