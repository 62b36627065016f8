"""The endpoint's ASGI app: ``/ping``, and ``/`` for queries; chDB opened for its lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from clickhouse.config import EndpointSettings
from clickhouse.server.auth import Authenticator
from clickhouse.server.engine import Engine
from clickhouse.server.handler import execute
from clickhouse.server.sessions import SessionRegistry
from clickhouse.server.state import EndpointState

# Threads that may run chDB calls at once; a request holds one only while chDB works for it.
WORKER_THREADS = 64


async def ping(request: Request) -> PlainTextResponse:
    """Liveness, as ClickHouse answers it."""
    return PlainTextResponse("Ok.\n")


def create_app(settings: EndpointSettings) -> Starlette:
    """The endpoint app for these settings."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        engine = await anyio.to_thread.run_sync(Engine, settings.data_dir)
        sessions = SessionRegistry(settings.session_timeout, settings.max_session_timeout)
        app.state.endpoint = EndpointState(settings, engine, Authenticator(settings), sessions)
        try:
            yield
        finally:
            sessions.close()
            engine.close()

    routes = [
        Route("/ping", ping, methods=["GET", "HEAD"]),
        Route("/", execute, methods=["GET", "POST", "HEAD"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
