"""Properties of the event models the API validates with (``schemas.Event``): every valid event
round-trips through JSON and onto a Kafka record; invalid names, timestamps and ids are always
rejected with a message naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ingest_api.records import to_message
from ingest_api.verdicts import judge
from schemas import EVENT_NAME_PATTERN, Event, EventRecord, describe_errors

NOW = datetime.now(UTC)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
timestamps = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2025, 12, 31), timezones=offsets
)
names = st.from_regex(EVENT_NAME_PATTERN, fullmatch=True).filter(lambda n: len(n) <= 128)
user_ids = st.text(min_size=1, max_size=128).filter(str.isprintable)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
custom_events = st.fixed_dictionaries(
    {
        "event": names.filter(
            lambda n: not n.startswith(("user.", "assignment.", "chat.", "llm."))
        ),
        "user_id": user_ids,
        "timestamp": timestamps.map(lambda t: t.isoformat()),
    },
    optional={
        "event_id": st.uuids().map(str),
        "source": st.text(max_size=64),
        "session_id": st.text(max_size=128),
        "metadata": st.dictionaries(st.text(max_size=16), json_values, max_size=6),
    },
)
identifiers = st.text(min_size=1, max_size=40)
known_events = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["assignment.viewed", "assignment.submitted"]),
        "user_id": user_ids,
        "timestamp": timestamps.map(lambda t: t.isoformat()),
        "metadata": st.fixed_dictionaries({"assignment_id": identifiers, "subject": identifiers}),
    }
)
valid_events = custom_events | known_events
bad_names = st.text(max_size=130).filter(lambda n: not re.fullmatch(EVENT_NAME_PATTERN, n))


def rejection(item: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Event.model_validate(item)
    return describe_errors(caught.value)


@settings(max_examples=300, deadline=None)
@given(valid_events)
def test_every_valid_event_round_trips_through_json(item: dict[str, Any]) -> None:
    event = Event.model_validate(item)
    again = Event.model_validate_json(orjson.dumps(event.model_dump(mode="json")))
    assert again == event


@settings(max_examples=200, deadline=None)
@given(valid_events)
def test_every_valid_event_round_trips_onto_its_kafka_record(item: dict[str, Any]) -> None:
    verdicts = judge([item], NOW, "req-1")
    (record,) = verdicts.records
    message = to_message(record)
    assert EventRecord.model_validate_json(message.value) == record
    assert message.key == item["user_id"].encode()
    assert record.timestamp == datetime.fromisoformat(item["timestamp"])


@settings(max_examples=200, deadline=None)
@given(valid_events, bad_names)
def test_invalid_event_names_are_always_rejected_naming_event(
    item: dict[str, Any], name: str
) -> None:
    assert rejection(item | {"event": name}).startswith("event:")


bad_timestamps = (
    st.datetimes(max_value=datetime(2100, 1, 1)).map(lambda t: t.isoformat())  # no offset
    | st.text(max_size=30).filter(lambda s: not s[:4].isdigit())
    | st.integers(min_value=25, max_value=10_000).map(
        lambda h: (datetime.now(UTC) + timedelta(hours=h)).isoformat()
    )
)


@settings(max_examples=200, deadline=None)
@given(valid_events, bad_timestamps)
def test_invalid_timestamps_are_always_rejected_naming_timestamp(
    item: dict[str, Any], timestamp: str
) -> None:
    assert "timestamp" in rejection(item | {"timestamp": timestamp})


def _not_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return True
    return False


@settings(max_examples=200, deadline=None)
@given(valid_events, st.text(max_size=40).filter(_not_uuid))
def test_invalid_event_ids_are_always_rejected_naming_event_id(
    item: dict[str, Any], event_id: str
) -> None:
    assert rejection(item | {"event_id": event_id}).startswith("event_id:")


bad_user_ids = (
    st.just("")
    | st.text(min_size=129, max_size=200)
    # A refused character (control, format other than the joiners, separator) among others.
    | st.tuples(
        st.text(max_size=10),
        st.characters(categories=["Cc", "Cf", "Zl", "Zp"], exclude_characters="\u200c\u200d"),
        st.text(max_size=10),
    ).map("".join)
    | st.integers()
    | st.none()
)


@settings(max_examples=200, deadline=None)
@given(valid_events, bad_user_ids)
def test_invalid_user_ids_are_always_rejected_naming_user_id(
    item: dict[str, Any], user_id: object
) -> None:
    assert rejection(item | {"user_id": user_id}).startswith("user_id:")
