from datetime import UTC, datetime
from uuid import uuid4

import orjson
import pytest

from schemas.records import InvalidRecord, parse_record


def record(**overrides: object) -> bytes:
    doc = {
        "v": 1,
        "event_id": str(uuid4()),
        "event": "user.login",
        "user_id": "u-1",
        "timestamp": datetime.now(UTC).isoformat(),
        "received_at": datetime.now(UTC).isoformat(),
        "metadata": {},
    }
    return orjson.dumps({**doc, **overrides})


def test_a_valid_record_parses() -> None:
    assert parse_record(record(user_id="u-7")).user_id == "u-7"


@pytest.mark.parametrize(
    ("value", "reason", "says"),
    [
        (b"\x00 not json", "not_json", "not JSON"),
        (b"", "not_json", "not JSON"),
        (b"[1, 2]", "invalid_record", "not a JSON object"),
        (record(v=2), "schema_version", "version 2"),
        (b'{"v": 1, "event": "user.login"}', "invalid_record", "event_id"),
        (record(event="llm.call", metadata={"model": "m"}), "invalid_record", "prompt_tokens"),
        (
            record(event="custom.num", metadata={"x": 1}).replace(b'"x":1', b'"x":%d' % 2**65),
            "invalid_record",
            "beyond 64 bits",
        ),
    ],
)
def test_an_unacceptable_value_says_why(value: bytes, reason: str, says: str) -> None:
    with pytest.raises(InvalidRecord, match=says) as refused:
        parse_record(value)
    assert refused.value.reason == reason


def test_integers_within_64_bits_and_long_digit_strings_parse_exactly() -> None:
    value = record(user_id="12345678901234567890123", metadata={"a": 2**64 - 1, "b": -(2**63)})
    parsed = parse_record(value)
    assert (parsed.user_id, parsed.metadata) == (
        "12345678901234567890123",
        {"a": 2**64 - 1, "b": -(2**63)},
    )


def test_a_record_accepted_before_the_token_bound_still_parses() -> None:
    # The API accepted any 64-bit count until token counts were bounded at 10^12 a call.
    metadata = {"model": "m", "prompt_tokens": 2**63 - 1, "completion_tokens": 0, "cost_usd": 0.1}
    assert parse_record(record(event="llm.call", metadata=metadata)).metadata == metadata


def test_a_deep_record_with_a_long_digit_string_is_not_taken_for_a_long_integer() -> None:
    deep: object = "12345678901234567890123"
    for _ in range(220):  # deeper than pydantic-core's JSON parser goes
        deep = [deep]
    assert parse_record(record(event="custom.deep", metadata={"deep": deep})).event == "custom.deep"
