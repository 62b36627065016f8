from datetime import UTC, datetime
from uuid import uuid4

import orjson

from schemas.events import EventRecord
from stream_processors.decoding import Undecodable, decode_record, decode_values


def good(**overrides: object) -> dict:
    doc = {
        "v": 1,
        "event_id": str(uuid4()),
        "event": "user.login",
        "user_id": "u-1",
        "timestamp": datetime.now(UTC).isoformat(),
        "received_at": datetime.now(UTC).isoformat(),
        "metadata": {},
    }
    return {**doc, **overrides}


def test_valid_record_decodes() -> None:
    assert isinstance(decode_record(orjson.dumps(good())), EventRecord)


def test_non_json_is_not_json() -> None:
    result = decode_record(b"\x00 not json")
    assert isinstance(result, Undecodable) and result.reason == "not_json"
    assert result.raw == b"\x00 not json"


def test_empty_value_is_not_json() -> None:
    assert decode_record(None).reason == "not_json"  # type: ignore[union-attr]


def test_other_schema_version_is_rejected_by_version() -> None:
    result = decode_record(orjson.dumps(good(v=2)))
    assert isinstance(result, Undecodable) and result.reason == "schema_version"
    assert "2" in result.error


def test_json_array_is_an_invalid_record() -> None:
    assert decode_record(b"[1, 2]").reason == "invalid_record"  # type: ignore[union-attr]


def test_missing_field_names_the_field() -> None:
    doc = good()
    del doc["user_id"]
    result = decode_record(orjson.dumps(doc))
    assert isinstance(result, Undecodable) and result.reason == "invalid_record"
    assert "user_id" in result.error


def test_known_event_with_bad_metadata_is_an_invalid_record() -> None:
    result = decode_record(orjson.dumps(good(event="llm.call", metadata={"model": "m"})))
    assert isinstance(result, Undecodable) and result.reason == "invalid_record"
    assert "prompt_tokens" in result.error


def test_an_integer_beyond_64_bits_sets_its_record_aside_never_rounded() -> None:
    big = orjson.dumps(good(event="custom.num", metadata={"x": 1})).replace(
        b'"x":1', b'"x":%d' % 2**65
    )
    first, middle, last = decode_values([orjson.dumps(good()), big, orjson.dumps(good())])
    assert isinstance(first, EventRecord) and isinstance(last, EventRecord)
    assert isinstance(middle, Undecodable) and middle.reason == "invalid_record"
    assert "beyond 64 bits" in middle.error


def test_records_accepted_before_the_token_bound_decode_in_one_pass_too() -> None:
    metadata = {"model": "m", "prompt_tokens": 2**64 - 1, "completion_tokens": 0, "cost_usd": 0.1}
    values = [orjson.dumps(good(event="llm.call", metadata=metadata)), orjson.dumps(good())]
    assert all(isinstance(record, EventRecord) for record in decode_values(values))
