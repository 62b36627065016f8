"""Generated request ids read as ``uuid4().hex`` does; a sane caller's id is kept."""

from __future__ import annotations

from uuid import UUID

from ingest_api.metrics import ApiMetrics
from ingest_api.middleware import incoming_request_id, new_request_id


def test_a_new_request_id_is_a_random_uuid4_in_32_hex_digits() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = UUID(value)
        assert parsed.version == 4 and parsed.variant == "specified in RFC 4122"
        assert parsed.hex == value and len(value) == 32


def test_the_callers_request_id_is_kept_when_sane_else_replaced() -> None:
    assert incoming_request_id("abc-123") == "abc-123"
    for bad in (None, "", "x" * 129, "tab\there", "é"):
        assert UUID(incoming_request_id(bad)).version == 4


def test_accepted_events_count_under_their_name_or_custom() -> None:
    metrics = ApiMetrics()
    metrics.count_accepted("assignment.viewed", 2)
    metrics.count_accepted("assignment.viewed", 1)
    metrics.count_accepted("quiz.opened", 4)
    got = {
        s.labels["event"]: s.value
        for m in metrics.registry.collect()
        if m.name == "pulse_events_accepted"
        for s in m.samples
        if s.name.endswith("_total")
    }
    assert got == {"assignment.viewed": 3.0, "custom": 4.0}
