"""Rows of the seed formats become Pulse events: fields, names, timestamps, ids, verdicts."""

from typing import Any

import pytest

from pulse.importer.exceptions import ImporterError, RowError
from pulse.importer.mapping import Mapper, detect_preset, event_name, parse_overrides

FASTAPI = {
    "ts": 1763647387.12,
    "type": "AssignmentViewed",
    "src": "web",
    "payload": {"user_id": "student-42", "assignment_id": "hw-7", "subject": "math"},
}
STUDYIN = {
    "event_type": "lesson_completed",
    "timestamp": "2026-11-20T14:03:07.120Z",
    "user_id": 42,
    "properties": '{"lesson_id": "l-1", "duration_sec": 120}',
    "page": "/lessons/1",
}


def test_fastapi_rows_are_mapped_with_the_user_lifted_out_of_the_payload() -> None:
    event = Mapper(detect_preset(FASTAPI)).event(FASTAPI)
    assert event["event"] == "assignment.viewed"
    assert event["user_id"] == "student-42"
    assert event["source"] == "web"
    assert event["timestamp"].startswith("2025-11-20T14:03:07.12")
    assert event["metadata"] == {"assignment_id": "hw-7", "subject": "math"}


def test_studyin_rows_get_a_namespace_and_keep_extra_columns_as_metadata() -> None:
    event = Mapper(detect_preset(STUDYIN)).event(STUDYIN)
    assert event["event"] == "studyin.lesson_completed"
    assert event["user_id"] == "42"
    assert event["source"] == "studyin"
    assert event["metadata"] == {"lesson_id": "l-1", "duration_sec": 120, "page": "/lessons/1"}


def test_the_same_row_gets_the_same_id_and_another_row_another() -> None:
    mapper = Mapper("fastapi")
    other = FASTAPI | {"ts": FASTAPI["ts"] + 1}
    assert mapper.event(FASTAPI)["event_id"] == mapper.event(dict(FASTAPI))["event_id"]
    assert mapper.event(FASTAPI)["event_id"] != mapper.event(other)["event_id"]


def test_native_rows_keep_their_own_id_and_refuse_unknown_columns() -> None:
    row: dict[str, Any] = {
        "event_id": "0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11",
        "event": "user.login",
        "user_id": "u1",
        "timestamp": "2026-11-20T14:03:07Z",
        "v": 1,
        "received_at": "2026-11-20T14:03:08Z",
    }
    assert Mapper("native").event(row)["event_id"] == row["event_id"]
    with pytest.raises(RowError, match="unknown columns"):
        Mapper("native").event(row | {"colour": "red"})


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (FASTAPI | {"payload": {"user_id": "u", "subject": "m"}}, "assignment_id"),
        (FASTAPI | {"ts": "yesterday"}, "timestamp"),
        (FASTAPI | {"payload": "[1, 2]"}, "not a JSON object"),
        ({k: v for k, v in STUDYIN.items() if k != "user_id"}, "user_id"),
    ],
)
def test_bad_rows_are_refused_with_the_field_named(row: dict[str, Any], reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        Mapper(detect_preset(row)).event(row)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("llm.call", "llm.call"),
        ("LlmCall", "llm.call"),
        ("user_login", "user.login"),
        ("Page View", "fastapi.page_view"),
    ],
)
def test_event_names_become_pulse_names(raw: str, expected: str) -> None:
    assert event_name(raw, "fastapi") == expected


def test_millisecond_epochs_and_column_overrides() -> None:
    row = {"when": 1763647387120, "kind": "user.login", "who": "u1"}
    overrides = parse_overrides(["timestamp=when", "event=kind", "user_id=who"])
    event = Mapper("studyin", overrides).event(row)
    assert event["timestamp"].startswith("2025-11-20T14:03:07.12")
    with pytest.raises(ImporterError, match="FIELD=COLUMN"):
        parse_overrides(["colour=red"])
