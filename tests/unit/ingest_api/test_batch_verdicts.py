"""The one-pass path gives exactly what the per-item path gives: records, ids, answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest_api.batch_verdicts import Outcome, assess
from ingest_api.body import parse_events
from ingest_api.records import to_messages
from ingest_api.verdicts import judge
from tests.unit.ingest_api.test_event_properties import valid_events

NOW = datetime.now(UTC)


def viewed(user: str = "student-42", **changes: Any) -> dict[str, Any]:
    return {
        "event": "assignment.viewed",
        "user_id": user,
        "timestamp": "2026-11-20T14:03:07.120Z",
        "metadata": {"assignment_id": "hw-7", "subject": "math"},
    } | changes


def per_item(items: list[Any], request_id: str | None = "req-1") -> Outcome:
    verdicts = judge(items, NOW, request_id)
    return Outcome(
        messages=to_messages(verdicts.records),
        accepted_events=[r.event for r in verdicts.records],
        rejected_reasons=verdicts.rejected_reasons,
        answer=orjson.dumps(verdicts.response().model_dump(mode="json", exclude_none=True)),
    )


def both(payload: Any, request_id: str | None = "req-1") -> tuple[Outcome, Outcome]:
    items = payload if isinstance(payload, list) else [payload]
    return assess(orjson.dumps(payload), items, NOW, request_id), per_item(items, request_id)


def one_pass(payload: Any, request_id: str | None = "req-1") -> Outcome:
    """:func:`assess` with the per-item path out of reach: it must not be needed."""
    items = payload if isinstance(payload, list) else [payload]
    with patch("ingest_api.batch_verdicts.judge", side_effect=AssertionError("per-item path")):
        return assess(orjson.dumps(payload), items, NOW, request_id)


@settings(max_examples=150, deadline=None)
@given(st.lists(valid_events, min_size=1, max_size=8))
def test_a_valid_batch_gives_the_per_item_records_and_answer(items: list[dict[str, Any]]) -> None:
    slow = per_item(items)
    if len(slow.messages) == len(items):  # no repeated event: one pass is enough
        assert one_pass(items) == slow
    else:
        assert both(items)[0] == slow


@settings(max_examples=50, deadline=None)
@given(valid_events)
def test_a_single_event_body_gives_the_per_item_record_and_answer(item: dict[str, Any]) -> None:
    assert one_pass(item, request_id=None) == per_item([item], request_id=None)


def test_a_batch_with_one_bad_event_gets_the_per_item_verdicts() -> None:
    fast, slow = both([viewed("a"), viewed("b", timestamp=12), viewed("c")])
    assert fast == slow
    answer = orjson.loads(fast.answer)
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    assert answer["results"][1]["error"].startswith("timestamp: must be RFC 3339 text")
    assert fast.rejected_reasons == ["validation"]


def test_repeated_event_ids_keep_the_per_item_rules() -> None:
    same = viewed("a", event_id="0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11")
    other = same | {"user_id": "b"}
    fast, slow = both([same, same, other])
    assert fast == slow
    assert len(fast.messages) == 1 and fast.rejected_reasons == ["duplicate_conflict"]


def test_same_content_without_ids_is_stored_once() -> None:
    fast, slow = both([viewed("a"), viewed("a")])
    assert fast == slow and len(fast.messages) == 1


def test_an_oversized_event_is_judged_alone() -> None:
    fast, slow = both([viewed("a", metadata={"notes": "x" * 40_000}), viewed("b")])
    assert fast == slow and fast.rejected_reasons == ["too_large"]


def test_pseudonymised_ids_match_the_per_item_path() -> None:
    def mask(user: str) -> str:
        return "p-" + user[::-1]

    items = [viewed("a"), viewed("b")]
    fast = assess(orjson.dumps(items), items, NOW, None, mask)
    verdicts = judge(items, NOW, None, mask)
    assert fast.messages == to_messages(verdicts.records)
    assert [m.key for m in fast.messages] == [b"p-a", b"p-b"]


@pytest.mark.parametrize("number", [2**64, 2**65 + 1, -(2**63) - 1, 10**30])
def test_an_integer_beyond_64_bits_rejects_its_event_alone_never_stored_rounded(
    number: int,
) -> None:
    custom = {"event": "custom.num", "user_id": "u", "timestamp": "2026-11-20T14:03:07Z"}
    body = b"[%s, %s]" % (
        orjson.dumps(viewed("a")),
        orjson.dumps(custom)[:-1] + b',"metadata":{"x":%d}}' % number,
    )
    outcome = assess(body, parse_events(body, 1000), NOW, None)
    answer = orjson.loads(outcome.answer)
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    assert "integers within 64 bits" in answer["results"][1]["error"]
    assert [orjson.loads(m.value)["user_id"] for m in outcome.messages] == ["a"]


def test_integers_within_64_bits_and_long_digit_strings_are_kept_exactly() -> None:
    item = viewed("a", metadata={"assignment_id": "12345678901234567890123", "subject": "m"})
    custom = {"event": "custom.num", "user_id": "u", "timestamp": "2026-11-20T14:03:07Z"}
    body = orjson.dumps([item, custom | {"metadata": {"big": 2**64 - 1, "low": -(2**63)}}])
    outcome = assess(body, parse_events(body, 1000), NOW, None)
    values = [orjson.loads(m.value)["metadata"] for m in outcome.messages]
    assert values[0]["assignment_id"] == "12345678901234567890123"
    assert values[1] == {"big": 2**64 - 1, "low": -(2**63)}


def test_a_deep_item_beside_a_long_number_is_refused_alone_and_the_rest_kept() -> None:
    deep: Any = "12345678901234567890123"
    for _ in range(600):
        deep = [deep]
    custom = {"event": "custom.deep", "user_id": "d", "timestamp": "2026-11-20T14:03:07Z"}
    big = orjson.dumps(custom | {"event": "custom.num", "metadata": {"x": 1}})
    body = b"[%s, %s, %s]" % (
        orjson.dumps(viewed("a")),
        json.dumps(custom | {"metadata": {"deep": deep}}).encode(),
        big.replace(b'"x":1', b'"x":%d' % 2**65),
    )
    outcome = assess(body, parse_events(body, 1000), NOW, None)
    answer = orjson.loads(outcome.answer)
    assert [r["status"] for r in answer["results"]] == ["accepted", "rejected", "rejected"]
    assert "integers within 64 bits" in answer["results"][2]["error"]
