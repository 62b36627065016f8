from datetime import UTC, datetime
from typing import Any

from ingest_api.metrics import accepted_label
from ingest_api.records import to_message
from ingest_api.verdicts import judge
from schemas import EventRecord

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def viewed(user: str = "student-42", **metadata: Any) -> dict[str, Any]:
    return {
        "event": "assignment.viewed",
        "user_id": user,
        "timestamp": "2026-11-20T14:03:07.120Z",
        "metadata": {"assignment_id": "hw-7", "subject": "math"} | metadata,
    }


def test_batch_gets_one_verdict_per_item_in_order() -> None:
    bad = viewed()
    del bad["metadata"]["assignment_id"]
    verdicts = judge([viewed("a"), viewed("b"), bad], NOW, "req-1")
    body = verdicts.response().model_dump(exclude_none=True, mode="json")
    assert body["accepted"] == 2
    assert body["rejected"] == 1
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted", "rejected"]
    assert body["results"][2] == {
        "index": 2,
        "status": "rejected",
        "error": "metadata.assignment_id: field required",
    }
    assert set(body["results"][0]) == {"index", "event_id", "status"}


def test_item_that_is_not_an_object_is_rejected_alone() -> None:
    verdicts = judge([viewed(), [1, 2]], NOW, None)
    assert verdicts.rejected_reasons == ["not_an_object"]
    assert len(verdicts.records) == 1


def test_event_over_32_kb_is_rejected_as_too_large() -> None:
    verdicts = judge([viewed(notes="x" * 40_000), viewed("b")], NOW, None)
    assert verdicts.rejected_reasons == ["too_large"]
    assert verdicts.results[0].error is not None and "32768" in verdicts.results[0].error


def test_second_copy_of_an_event_in_one_batch_is_accepted_but_published_once() -> None:
    verdicts = judge([viewed(), viewed()], NOW, None)
    assert [r.status for r in verdicts.results] == ["accepted", "accepted"]
    assert verdicts.results[0].event_id == verdicts.results[1].event_id
    assert len(verdicts.records) == 1 and not verdicts.rejected_reasons


def test_record_message_is_keyed_by_user_and_carries_the_request_id() -> None:
    record = judge([viewed("student-7")], NOW, "req-9").records[0]
    message = to_message(record)
    assert message.key == b"student-7"
    assert message.headers == [("request_id", b"req-9")]
    decoded = EventRecord.model_validate_json(message.value)
    assert decoded == record


def test_unknown_event_names_are_counted_as_custom() -> None:
    assert accepted_label("llm.call") == "llm.call"
    assert accepted_label("quiz.opened") == "custom"


def test_deeply_nested_metadata_is_rejected_alone_not_a_crash() -> None:
    deep: object = []
    for _ in range(600):
        deep = [deep]
    custom = {
        "event": "custom.deep",
        "user_id": "u",
        "timestamp": "2026-11-20T14:00:00Z",
        "metadata": {"deep": deep},
    }
    verdicts = judge([custom, viewed("ok")], NOW, None)
    assert verdicts.rejected_reasons == ["too_large"]
    assert "250 levels" in (verdicts.results[0].error or "")
    assert len(verdicts.records) == 1


def test_integer_beyond_64_bits_is_rejected_alone_not_a_crash() -> None:
    custom = {
        "event": "custom.big",
        "user_id": "u",
        "timestamp": "2026-11-20T14:00:00Z",
        "metadata": {"n": 10**30},
    }
    verdicts = judge([custom, viewed("ok")], NOW, None)
    assert "64 bits" in (verdicts.results[0].error or "")
    assert len(verdicts.records) == 1


def test_same_event_id_with_different_content_is_rejected_naming_the_first_item() -> None:
    event_id = "0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11"
    first, other = viewed() | {"event_id": event_id}, viewed("b") | {"event_id": event_id}
    verdicts = judge([viewed("c"), first, first, other], NOW, None)

    assert [r.status for r in verdicts.results] == ["accepted", "accepted", "accepted", "rejected"]
    assert verdicts.results[3].error == (
        "event_id: duplicates item 1 of this request with different content; give this event "
        "its own event_id, or send the same content"
    )
    assert verdicts.rejected_reasons == ["duplicate_conflict"]
    assert [r.user_id for r in verdicts.records] == ["c", "student-42"]


def test_same_instant_written_with_another_offset_is_the_same_content() -> None:
    event_id = "0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11"
    utc = viewed() | {"event_id": event_id}
    local = utc | {"timestamp": "2026-11-20T15:03:07.120+01:00"}
    verdicts = judge([utc, local], NOW, None)
    assert not verdicts.rejected_reasons and len(verdicts.records) == 1


def test_one_unrepresentable_timestamp_in_1000_rejects_that_item_alone() -> None:
    items = [viewed(f"u-{i}") for i in range(1000)]
    items[500]["timestamp"] = "0001-01-01T00:30:00+01:00"
    verdicts = judge(items, NOW, None)

    assert verdicts.rejected_reasons == ["validation"]
    assert verdicts.results[500].status == "rejected"
    assert (verdicts.results[500].error or "").startswith("timestamp: is out of range in UTC")
    assert len(verdicts.records) == 999


def test_a_1969_timestamp_is_rejected_alone_with_the_range() -> None:
    verdicts = judge([viewed() | {"timestamp": "1969-12-31T23:59:59Z"}, viewed("b")], NOW, None)
    assert verdicts.results[0].error == (
        "timestamp: is before 1970-01-01T00:00:00Z: must be between 1970-01-01T00:00:00Z and "
        "24 h from now"
    )
    assert len(verdicts.records) == 1


def test_the_future_bound_is_24_h_after_receipt() -> None:
    edge = viewed() | {"timestamp": "2026-11-21T15:00:00Z"}
    beyond = viewed("b") | {"timestamp": "2026-11-21T15:00:00.001Z"}
    verdicts = judge([edge, beyond], NOW, None)
    assert [r.status for r in verdicts.results] == ["accepted", "rejected"]
    assert "24 h in the future" in (verdicts.results[1].error or "")
