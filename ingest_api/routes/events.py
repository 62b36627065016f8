"""``POST /v1/events``: validate each event, commit the accepted ones to Kafka, answer verdicts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from string import Template
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from core.logging import current_request_id
from ingest_api.batch_verdicts import Outcome, assess
from ingest_api.body import (
    ClientGone,
    check_content_type,
    check_declared_length,
    parse_events,
    receive_within,
)
from ingest_api.config import ApiSettings, PublishMode
from ingest_api.deps import BEARER_SECURITY, PRODUCER_ROLES, admit
from ingest_api.exceptions import InvalidBody
from ingest_api.responses import AUTH_ERRORS, RETRY_AFTER, error
from ingest_api.state import ApiState
from ingest_api.verdicts import IngestResponse
from schemas import Event

DESCRIPTION = """
Send one event (a JSON object) or a JSON array of at most $max_events events; the body may be
at most $max_body once `Content-Encoding: gzip` (optional) is undone. A gzip body of several
members (as `cat a.gz b.gz` makes) is read whole, every member counting towards the
$max_body. Each event is
validated on its own and may be at most 32 KiB: the answer (202) gives a verdict per item, by
its index in the body; rejected events carry an error saying which field to fix, and never
sink the other events of the batch. A 202 means every accepted event is durably in Kafka
(acks=all); $on_503

**Event time.** `timestamp` is RFC 3339 with an offset, from `1970-01-01T00:00:00Z` to at most
24 h after the moment the server received the request. An event outside that range, or with a
time that UTC cannot hold (year 1 with a positive offset, year 9999 with a negative one), is
rejected by itself: `timestamp: ... must be between 1970-01-01T00:00:00Z and 24 h from now`.
Fractions of a second are kept to the microsecond.

**Event ids.** An event sent without `event_id` gets one from the server: a UUIDv5 of its
canonical content (`event`, `user_id`, `timestamp` in UTC, `source`, `session_id`,
`metadata`). Retrying the same batch after a timeout therefore yields the same ids, and Pulse
stores each `event_id` once, so retries are safe. Two items of one request with the same
`event_id`: with the same content, both are accepted and the event is stored once; with
different content, the later item is rejected (`event_id: duplicates item N of this request
with different content`). Known event names validate their metadata strictly; other names are
custom events with free-form metadata.
"""


ON_503 = {
    PublishMode.TRANSACTIONAL: "a 503 means none of this request's events was stored (retry it "
    "after `Retry-After` seconds).",
    PublishMode.IDEMPOTENT: "a 503 means Kafka did not take all of this request's events, some "
    "of which may be stored: retry it after `Retry-After` seconds; the retry's events carry the "
    "same ids and each is stored once.",
}
_503 = {
    PublishMode.TRANSACTIONAL: "Kafka did not take the events; nothing was stored.",
    PublishMode.IDEMPOTENT: "Kafka did not take all the events; some may be stored, and the "
    "retry stores each once.",
}


def _size(n: int) -> str:
    """``1048576`` as ``1 MiB``, ``65536`` as ``64 KiB``; other sizes in bytes."""
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def _request_body_schema(max_events: int) -> dict[str, Any]:
    event = TypeAdapter(Event).json_schema()
    batch = {"type": "array", "items": event, "maxItems": max_events, "title": "Batch"}
    return {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [event, batch]}}},
    }


# The request headers the route reads, by their raw ASGI (lower-case) names.
_CONTENT_TYPE, _CONTENT_ENCODING, _CONTENT_LENGTH, _AUTHORIZATION = (
    b"content-type",
    b"content-encoding",
    b"content-length",
    b"authorization",
)
_READ = frozenset({_CONTENT_TYPE, _CONTENT_ENCODING, _CONTENT_LENGTH, _AUTHORIZATION})


def _headers(request: Request) -> dict[bytes, str]:
    """The first value of each header the route reads, in one pass over the raw headers
    (``request.headers.get`` scans them again for every name)."""
    found: dict[bytes, str] = {}
    for name, value in request.scope["headers"]:
        if name in _READ and name not in found:
            found[name] = value.decode("latin-1")
    return found


async def _read_body(request: Request, headers: dict[bytes, str], state: ApiState) -> bytes:
    gzipped = check_content_type(headers.get(_CONTENT_TYPE), headers.get(_CONTENT_ENCODING))
    limit = state.settings.max_body_bytes
    check_declared_length(headers.get(_CONTENT_LENGTH), limit, gzipped)
    try:
        return await receive_within(request.receive, limit, gzipped, state.settings.body_timeout_s)
    except ClientGone:
        raise InvalidBody("the connection was closed before the whole body was sent") from None


def _count(state: ApiState, outcome: Outcome) -> None:
    counted = state.metrics.count_accepted
    if len(outcome.accepted_events) == 1:  # a single event: no tally to build
        counted(outcome.accepted_events[0], 1)
        return
    for name, n in Counter(outcome.accepted_events).items():
        counted(name, n)


async def post_events(request: Request) -> Response:
    """Validate, publish in one group commit, answer per-event verdicts."""
    # The caller is checked by hand, not by dependencies: see ingest_api.deps.admit.
    headers = _headers(request)
    state, _ = admit(request, PRODUCER_ROLES, headers.get(_AUTHORIZATION))
    body = await _read_body(request, headers, state)
    items = parse_events(body, state.settings.max_batch_events)
    pseudonymise = state.pseudonymise if state.pseudonymise.enabled else None
    outcome = assess(body, items, datetime.now(UTC), current_request_id(), pseudonymise)
    for reason, n in Counter(outcome.rejected_reasons).items():
        state.metrics.events_rejected.labels(reason).inc(n)
    await state.publisher.publish(outcome.messages)
    _count(state, outcome)
    # The answer is encoded once by orjson; response_model above documents its shape.
    return Response(outcome.answer, status_code=202, media_type="application/json")


class EventsRoute(APIRoute):
    """``POST /v1/events`` as FastAPI matches, documents and wraps any route (its exception
    handlers included), with :func:`post_events` itself as the handler.

    FastAPI's generic handler solves the endpoint's dependencies and serializes what it
    returns; :func:`post_events` has none to solve (it checks the caller by hand, see
    :func:`ingest_api.deps.admit`) and returns its own :class:`Response`, so that handler was
    only overhead on the API's hottest path.
    """

    def get_route_handler(self) -> Any:
        return post_events


def _route(settings: ApiSettings) -> dict[str, Any]:
    """The keyword arguments of the route, documented with the limits these settings set."""
    limits = {
        "max_events": settings.max_batch_events,
        "max_body": _size(settings.max_body_bytes),
        "timeout": f"{settings.body_timeout_s:g} s",
        "on_503": ON_503[settings.publish_mode],
    }
    return dict(
        endpoint=post_events,
        methods=["POST"],
        status_code=202,
        tags=["events"],
        response_model=IngestResponse,
        response_model_exclude_none=True,
        summary="Ingest one event or a batch",
        description=Template(DESCRIPTION).substitute(limits),
        openapi_extra={
            "requestBody": _request_body_schema(settings.max_batch_events),
            "security": BEARER_SECURITY,
        },
        responses={
            202: {
                "description": "Every item has a verdict (`results`, by index); the accepted ones "
                "are durably in Kafka. Rejected items say which field to fix."
            },
            400: error(
                "The body is not UTF-8 JSON, not gzip as announced (corrupt, truncated, or bytes "
                "after a member that are not another gzip member), or not an object/array."
            ),
            **AUTH_ERRORS,
            408: error(
                Template(
                    "The body did not arrive within PULSE_API_BODY_TIMEOUT_S ($timeout)."
                ).substitute(limits)
            ),
            413: error(
                Template(
                    "The body is over $max_body (after gzip, all members together) or holds more "
                    "than $max_events events."
                ).substitute(limits)
            ),
            415: error("Content-Type is not application/json, or the encoding is not gzip."),
            503: error(_503[settings.publish_mode], RETRY_AFTER),
        },
        route_class_override=EventsRoute,
    )


def events_router(settings: ApiSettings) -> APIRouter:
    """``POST /v1/events`` on a router of its own (what the docs' checks list)."""
    router = APIRouter()
    router.add_api_route("/v1/events", **_route(settings))
    return router


def install(app: FastAPI, settings: ApiSettings) -> None:
    """``POST /v1/events`` on the app's own router: an included router puts another layer of
    matching and dispatch in front of every request."""
    app.router.add_api_route("/v1/events", **_route(settings))
