"""Per-request context: the X-Request-ID, an access log line, and the HTTP metrics.

The access line is INFO, except for the probes, ``/metrics`` and accepted event posts (DEBUG).

A pure ASGI middleware, so it sees the status of every answer, errors included, and the route
template FastAPI matched (``scope["route"]``) once the app has run.
"""

from __future__ import annotations

import time
from random import getrandbits

from loguru import logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import request_id_var
from ingest_api.metrics import ApiMetrics

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
# Accepted event posts are the bulk of the traffic: their line is DEBUG (writing one JSON log
# line cost ~8% of a single-event request). http_requests_total and pulse_events_accepted_total
# count them; every other answer of the route (4xx, 503) is still logged at INFO.
_QUIET_ANSWERS = frozenset({("/v1/events", 202)})


# A UUID4's version and variant bits: a new request id reads as uuid4().hex does.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_request_id() -> str:
    """A random UUID4 as 32 hex digits, as ``uuid4().hex`` gives.

    From the process's Mersenne Twister (seeded from the OS, reseeded in a forked child)
    rather than ``os.urandom``: a request id must be unique, not secret, and a system call per
    request was measurable on single-event posts.
    """
    return f"{getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"


def incoming_request_id(value: str | None) -> str:
    """The caller's request id if it is sane (printable, at most 128 chars), else a new one."""
    if value and len(value) <= 128 and value.isprintable() and value.isascii():
        return value
    return new_request_id()


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case) in the raw ASGI headers, if any."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def route_template(scope: Scope) -> str:
    """The path template of the matched route (never the raw path), or ``unmatched``; named as
    OpenAPI names it (``path_format``: ``/v1/users/{user_id}/summary``, not ``{user_id:path}``)."""
    route = scope.get("route")
    path = getattr(route, "path_format", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    """Binds the request id for logs, returns it in ``X-Request-ID``, records metrics."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(_header(scope, _REQUEST_ID_KEY))
        id_header = (_REQUEST_ID_KEY, request_id.encode("latin-1"))
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        self.metrics.observe_request(scope["method"], route, status, seconds)
        quiet = route in _QUIET_ROUTES or (route, status) in _QUIET_ANSWERS
        level = "DEBUG" if quiet else "INFO"
        logger.log(
            level,
            "{} {} -> {} in {:.1f} ms",
            scope["method"],
            route,
            status,
            seconds * 1000,
        )
