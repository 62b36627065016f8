"""Event time runs from the Unix epoch to 24 h after receipt; outside it is refused, not raised."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from schemas import Event, EventRecord, describe_errors

RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RANGE = "must be between 1970-01-01T00:00:00Z and 24 h from now"


def event_error(timestamp: object, now: datetime = RECEIVED) -> str:
    with pytest.raises(ValidationError) as exc:
        Event.model_validate(
            {"event": "a.b", "user_id": "u", "timestamp": timestamp}, context={"now": now}
        )
    return describe_errors(exc.value)


def record(timestamp: str, received_at: str = "2026-11-20T12:00:00Z") -> dict[str, object]:
    return {"event_id": str(uuid4()), "event": "a.b", "user_id": "u",
            "timestamp": timestamp, "received_at": received_at}  # fmt: skip


def test_a_1969_timestamp_is_rejected_naming_the_range() -> None:
    assert event_error("1969-12-31T23:59:59.999Z") == (
        f"timestamp: is before 1970-01-01T00:00:00Z: {RANGE}"
    )


def test_the_epoch_itself_and_an_offset_reaching_it_are_accepted() -> None:
    for stamp in ("1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00"):
        event = Event.model_validate({"event": "a.b", "user_id": "u", "timestamp": stamp})
        assert event.timestamp.astimezone(UTC) == datetime(1970, 1, 1, tzinfo=UTC)


def test_an_offset_pulling_a_local_1970_time_before_the_epoch_is_rejected() -> None:
    assert "before 1970" in event_error("1970-01-01T00:59:59+01:00")


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00Z"]
)
def test_a_time_utc_cannot_hold_is_a_validation_error_not_an_overflow(stamp: str) -> None:
    assert event_error(stamp).startswith("timestamp: ")


def test_huge_fractional_seconds_are_kept_to_the_microsecond() -> None:
    stamp = "2026-11-20T14:03:07." + "1" * 400 + "Z"
    event = Event.model_validate({"event": "a.b", "user_id": "u", "timestamp": stamp})
    assert event.timestamp.microsecond == 111111


def test_24_h_ahead_of_the_given_now_is_accepted_and_a_millisecond_more_is_not() -> None:
    edge = RECEIVED + timedelta(hours=24)
    Event.model_validate(
        {"event": "a.b", "user_id": "u", "timestamp": edge.isoformat()}, context={"now": RECEIVED}
    )
    later = (edge + timedelta(milliseconds=1)).isoformat()
    assert event_error(later) == f"timestamp: is more than 24 h in the future: {RANGE}"


def test_without_a_given_now_the_clock_bounds_the_future() -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    with pytest.raises(ValidationError, match="24 h in the future"):
        Event.model_validate({"event": "a.b", "user_id": "u", "timestamp": ahead})


def test_a_record_before_1970_is_invalid() -> None:
    with pytest.raises(ValidationError, match="before 1970"):
        EventRecord.model_validate(record("1969-07-20T20:17:40Z"))


def test_a_record_utc_cannot_hold_is_invalid() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        EventRecord.model_validate(record("0001-01-01T00:30:00+01:00"))


def test_an_old_record_still_decodes_long_after_it_was_received() -> None:
    old = EventRecord.model_validate(record("2001-01-01T00:00:00Z", "2001-01-01T00:05:00Z"))
    assert old.timestamp.year == 2001


def test_a_record_more_than_24_h_after_its_receipt_is_invalid() -> None:
    with pytest.raises(ValidationError, match="24 h after received_at"):
        EventRecord.model_validate(record("2026-11-21T12:00:00.001Z"))


def test_a_number_as_timestamp_is_refused_not_read_as_unix_seconds() -> None:
    with pytest.raises(ValidationError, match="RFC 3339 text"):
        Event.model_validate({"event": "a.b", "user_id": "u", "timestamp": 1_700_000_000})


@pytest.mark.parametrize("text", ["1700000000", "0.", "1700000000.5", "20261120T140307Z"])
def test_digits_as_timestamp_text_are_refused_not_read_as_unix_seconds(text: str) -> None:
    with pytest.raises(ValidationError, match="RFC 3339 text"):
        Event.model_validate({"event": "a.b", "user_id": "u", "timestamp": text})


@pytest.mark.parametrize(
    "text", ["2026-11-20T14:03:07Z", "2026-11-20t14:03:07Z", "2026-11-20 14:03:07+01:00"]
)
def test_rfc3339_separators_are_accepted(text: str) -> None:
    assert Event.model_validate({"event": "a.b", "user_id": "u", "timestamp": text}).timestamp
