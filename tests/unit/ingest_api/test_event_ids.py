from typing import Any
from uuid import UUID

from ingest_api.event_ids import derive_event_id, event_id_of
from schemas import Event


def event(**changes: Any) -> Event:
    fields: dict[str, Any] = {
        "event": "assignment.viewed",
        "user_id": "student-42",
        "timestamp": "2026-11-20T14:03:07.120Z",
        "source": "web",
        "session_id": "s-9",
        "metadata": {"assignment_id": "hw-7", "subject": "math", "extra": {"b": 1, "a": 2}},
    }
    return Event.model_validate(fields | changes)


def test_same_content_gives_the_same_id() -> None:
    assert derive_event_id(event()) == derive_event_id(event())


def test_id_does_not_depend_on_metadata_key_order() -> None:
    reordered = {"extra": {"a": 2, "b": 1}, "subject": "math", "assignment_id": "hw-7"}
    assert derive_event_id(event(metadata=reordered)) == derive_event_id(event())


def test_id_does_not_depend_on_the_timestamp_offset_spelling() -> None:
    same_instant = event(timestamp="2026-11-20T15:03:07.120+01:00")
    assert derive_event_id(same_instant) == derive_event_id(event())


def test_any_change_of_content_changes_the_id() -> None:
    base = derive_event_id(event())
    assert derive_event_id(event(user_id="student-43")) != base
    assert derive_event_id(event(timestamp="2026-11-20T14:03:07.121Z")) != base
    assert derive_event_id(event(session_id="s-10")) != base
    assert derive_event_id(event(source=None)) != base


def test_derived_id_is_a_uuid5() -> None:
    assert derive_event_id(event()).version == 5


def test_id_sent_by_the_client_is_kept() -> None:
    own = UUID("0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11")
    assert event_id_of(event(event_id=str(own))) == own
