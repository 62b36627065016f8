"""Dead-letter tooling without a broker: positions, and re-validation exactly as the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import orjson
import pytest

from pulse.dlq.reader import DlqError, Position, parse_position
from pulse.dlq.replay import revalidate
from schemas.events import EventRecord
from stream_processors.decoding import Undecodable, decode_record


def good(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC).isoformat()
    return {
        "v": 1,
        "event_id": str(uuid4()),
        "event": "user.login",
        "user_id": "u-1",
        "timestamp": now,
        "received_at": now,
        **overrides,
    }


LLM = {"model": "m", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.1}
PAYLOADS = [
    orjson.dumps(good()),
    orjson.dumps(good(event="llm.call", metadata=LLM)),
    orjson.dumps(good(event="llm.call", metadata={**LLM, "cost_usd": "0.1"})),
    orjson.dumps(good(event="custom.thing", metadata={"free": ["form"]})),
    orjson.dumps(good(v=2)),
    orjson.dumps({k: v for k, v in good().items() if k != "v"}),
    orjson.dumps(good(timestamp=(datetime.now(UTC) + timedelta(days=3)).isoformat())),
    orjson.dumps({k: v for k, v in good().items() if k != "user_id"}),
    orjson.dumps([1, 2]),
    b"{not json",
    b"",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_revalidation_agrees_with_the_worker(payload: bytes) -> None:
    worker, replay = decode_record(payload), revalidate(payload)
    if isinstance(worker, Undecodable):
        assert replay == worker.error
    else:
        assert isinstance(replay, EventRecord) and replay == worker


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("17", Position(0, 17)),
        ("2@5", Position(2, 5)),
        (" 0@0 ", Position(0, 0)),
    ],
)
def test_positions_parse(text: str, position: Position) -> None:
    assert parse_position(text) == position


def test_bare_offset_takes_the_given_partition() -> None:
    assert parse_position("9", partition=3) == Position(3, 9)
    assert str(Position(3, 9)) == "3@9"


@pytest.mark.parametrize("text", ["", "x", "1@", "@1", "-1", "1@-2", "1.5"])
def test_bad_positions_say_what_to_give(text: str) -> None:
    with pytest.raises(DlqError, match="OFFSET|negative"):
        parse_position(text)
