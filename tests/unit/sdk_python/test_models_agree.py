"""The SDK's own event models agree with the server's: same JSON Schema, same verdicts.

The SDK cannot import the server's ``schemas`` package (producers install it alone), so it
carries a copy; these tests fail the moment the two drift apart.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulse_client import InvalidEvent, models
from pulse_client.encoding import encode
from pydantic import BaseModel, ValidationError

import schemas
from schemas.jsonschema_export import OUT_DIR

DOCS: dict[str, type[BaseModel]] = {"event.json": models.Event} | {
    f"metadata.{name}.json": model for name, model in models.KNOWN_EVENTS.items()
}


def _without_description(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "description"}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_sdk_model_has_the_servers_json_schema(name: str) -> None:
    server = json.loads((OUT_DIR / name).read_text())
    ours = json.loads(json.dumps(DOCS[name].model_json_schema()))
    assert _without_description(ours) == _without_description(server)


def test_sdk_knows_every_known_event_and_the_limits() -> None:
    assert set(models.KNOWN_EVENTS) == set(schemas.KNOWN_EVENTS)
    assert models.EVENT_NAME_PATTERN == schemas.EVENT_NAME_PATTERN
    assert models.MAX_EVENT_BYTES == schemas.MAX_EVENT_BYTES


NOW = datetime.now(UTC)
texts = st.one_of(st.text(max_size=12), st.sampled_from(["", "hw-7", "math", "a\nb", "x" * 300]))
values = st.one_of(
    st.none(), st.booleans(), st.sampled_from([-1, 0, 1, 100, 101]), st.integers(-5, 200),
    st.floats(allow_nan=False, allow_infinity=False), texts,
    st.sampled_from(["student", "user", "assistant", "admin"]),
)  # fmt: skip
timestamps = st.one_of(
    st.sampled_from(["2026-11-20T14:03:07.120Z", "2026-11-20T14:03:07", "1969-12-31T23:59:59Z",
                     "not a time", (NOW + timedelta(hours=25)).isoformat()]),
    st.integers(0, 2**31),  # JSON numbers: refused by both, not guessed at
)  # fmt: skip
fields = st.sampled_from(
    ["assignment_id", "subject", "course_id", "score", "conversation_id", "role", "chars",
     "model", "prompt_tokens", "completion_tokens", "cost_usd", "provider", "latency_ms"]
)  # fmt: skip
VALID = {
    "assignment": {"assignment_id": "hw-7", "subject": "math"},
    "chat": {"conversation_id": "c-1"},
    "llm": {"model": "m", "prompt_tokens": 3, "completion_tokens": 4, "cost_usd": 0.01},
}


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    """An event near a valid one: a valid base with a few fields changed, added or removed."""
    name = draw(st.sampled_from([*sorted(schemas.KNOWN_EVENTS), "a.b", "Bad"]))
    metadata = dict(VALID.get(name.split(".")[0], {}))
    own = sorted(models.KNOWN_EVENTS[name].model_fields) if name in models.KNOWN_EVENTS else []
    keys = st.sampled_from(own) if own and draw(st.booleans()) else fields
    metadata |= draw(st.dictionaries(keys, values, max_size=3))
    for key in draw(st.lists(st.sampled_from(sorted(metadata) or ["x"]), max_size=1)):
        metadata.pop(key, None)
    item = {"event": name, "user_id": draw(texts), "timestamp": "2026-11-20T14:03:07.120Z"}
    optional = {"metadata": metadata, "source": draw(texts), "session_id": draw(values),
                "timestamp": draw(timestamps), "extra": draw(values)}  # fmt: skip
    keys = draw(st.lists(st.sampled_from(sorted(optional)), unique=True))
    return item | {k: optional[k] for k in keys}


@settings(max_examples=300, deadline=None)
@given(items())
def test_sdk_refuses_exactly_what_the_server_refuses_with_the_same_message(
    item: dict[str, Any],
) -> None:
    item = {k: v for k, v in item.items() if v is not None}  # the SDK omits absent fields
    try:
        schemas.Event.model_validate(item)
        server_error = None
    except ValidationError as exc:
        server_error = schemas.describe_errors(exc)
    try:
        encode(dict(item))
        sdk_error = None
    except InvalidEvent as exc:
        sdk_error = str(exc)
    assert sdk_error == server_error


PROBES = [None, -1, 0, 1, 0.5, 100, 100.5, 101, True, "", "x", "x" * 257, "student", "user"]


def _verdicts(item: dict[str, Any]) -> tuple[str | None, str | None]:
    try:
        schemas.Event.model_validate(item)
        server = None
    except ValidationError as exc:
        server = schemas.describe_errors(exc)
    try:
        encode(dict(item))
        sdk = None
    except InvalidEvent as exc:
        sdk = str(exc)
    return server, sdk


@pytest.mark.parametrize("name", sorted(schemas.KNOWN_EVENTS))
def test_every_metadata_field_at_its_edges_gets_the_servers_verdict(name: str) -> None:
    base = VALID.get(name.split(".")[0], {})
    cases = [{k: v for k, v in base.items() if k != gone} for gone in base]
    for field in schemas.KNOWN_EVENTS[name].model_fields:
        cases += [base | {field: probe} for probe in PROBES]
    for metadata in cases:
        item = {"event": name, "user_id": "u", "timestamp": "2026-11-20T14:03:07Z"}
        server, sdk = _verdicts(item | {"metadata": metadata})
        assert sdk == server, metadata
