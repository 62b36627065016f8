"""Answers classified, Retry-After honoured, options checked."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pulse_client import Options
from pulse_client.encoding import Encoded
from pulse_client.transport import Backoff, Outcome, body_of, classify, parse_retry_after


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body or {}).encode(), headers=headers)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(202, "delivered"), (503, "retry"), (500, "retry"), (429, "retry"), (408, "retry"),
     (413, "too_large"), (400, "fatal"), (401, "fatal"), (403, "fatal"), (415, "fatal")],
)  # fmt: skip
def test_each_status_has_its_outcome(status: int, kind: str) -> None:
    assert classify(answer(status, {"results": []})).kind == kind


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert parse_retry_after("5") == 5.0
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (parse_retry_after(when) or 0) <= 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert classify(answer(503, **{"Retry-After": "7"})).retry_after == 7.0


def test_backoff_doubles_with_jitter_and_never_undercuts_retry_after() -> None:
    backoff = Backoff(initial=0.5, maximum=4.0)
    plain = [backoff.delay(Outcome("retry")) for _ in range(6)]
    assert all(0.25 <= d <= 0.5 for d in plain[:1]) and all(2 <= d <= 4 for d in plain[-2:])
    assert backoff.delay(Outcome("retry", retry_after=60)) == 60  # longer than the maximum
    assert backoff.delay(Outcome("retry", retry_after=10_000)) == 300  # a hostile header


def test_batch_body_is_a_json_array_and_gzip_when_asked() -> None:
    batch = [Encoded("1", "a.b", b'{"a":1}'), Encoded("2", "a.b", b'{"b":2}')]
    assert body_of(batch, compress=False) == b'[{"a":1},{"b":2}]'
    assert json.loads(gzip.decompress(body_of(batch, compress=True))) == [{"a": 1}, {"b": 2}]


def test_options_name_the_valid_ones_when_misspelt() -> None:
    with pytest.raises(TypeError, match="max_batch_events"):
        Options.of(max_batch_event=10)
    with pytest.raises(ValueError, match="max_batch_events must be 1..1000"):
        Options.of(max_batch_events=5000)
