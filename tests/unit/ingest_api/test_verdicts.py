from datetime import UTC, datetime
from typing import Any

from ingest_api.records import to_message
from ingest_api.verdicts import event_label, judge
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
    assert event_label("llm.call") == "llm.call"
    assert event_label("quiz.opened") == "custom"


def test_deeply_nested_metadata_is_rejected_alone_not_a_crash() -> None:
    deep: object = []
    for _ in range(600):
        deep = [deep]
    custom = {"event": "custom.deep", "user_id": "u", "timestamp": "2026-11-20T14:00:00Z",
              "metadata": {"deep": deep}}
    verdicts = judge([custom, viewed("ok")], NOW, None)
    assert verdicts.rejected_reasons == ["too_large"]
    assert "250 levels" in (verdicts.results[0].error or "")
    assert len(verdicts.records) == 1


def test_integer_beyond_64_bits_is_rejected_alone_not_a_crash() -> None:
    custom = {"event": "custom.big", "user_id": "u", "timestamp": "2026-11-20T14:00:00Z",
              "metadata": {"n": 10**30}}
    verdicts = judge([custom, viewed("ok")], NOW, None)
    assert "64 bits" in (verdicts.results[0].error or "")
    assert len(verdicts.records) == 1
