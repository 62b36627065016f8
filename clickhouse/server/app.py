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


async def ping(request: Request) -> PlainTextResponse:
    """Liveness, as ClickHouse answers it."""
    return PlainTextResponse("Ok.\n")


def create_app(settings: EndpointSettings) -> Starlette:
    """The endpoint app for these settings."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Threads that may run chDB calls at once; a request holds one only while chDB works for
        # it. The writer's pool is the default one; analysts have their own, smaller one.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.writer_threads
        analysts = anyio.CapacityLimiter(settings.analyst_threads)
        engine = await anyio.to_thread.run_sync(Engine, settings.data_dir)
        sessions = SessionRegistry(
            settings.session_timeout, settings.max_session_timeout, settings.max_sessions
        )
        auth = Authenticator(settings)
        app.state.endpoint = EndpointState(settings, engine, auth, sessions, analysts)
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
