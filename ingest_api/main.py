"""The ingest API application: ``create_app()``; ``uvicorn ingest_api.main:app`` serves it."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from loguru import logger

from core.logging import configure_logging
from ingest_api.config import ApiSettings, api_settings
from ingest_api.cors import install_cors
from ingest_api.handlers import install_handlers
from ingest_api.middleware import RequestContextMiddleware
from ingest_api.routes import events, health, metrics, reports, users
from ingest_api.state import ApiState


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A new app instance with its own state, metrics registry and (in its lifespan) producer."""
    state = ApiState.build(settings or api_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not len(state.keyring):
            logger.warning("PULSE_API_KEYS is empty: every event request will get 401")
        await state.publisher.start()
        # Everything built so far lives as long as the process: out of the collector's sight,
        # a request's garbage collection no longer walks it (it halved the cost of a 1000-event
        # batch, where validation allocates many objects).
        gc.freeze()
        try:
            yield
        finally:
            await state.publisher.close()

    app = FastAPI(
        title="Pulse ingest API",
        version="1.0.0",
        summary="Learning-platform events in, to Kafka, per-event verdicts out.",
        lifespan=lifespan,
    )
    app.state.api = state
    app.add_middleware(RequestContextMiddleware, metrics=state.metrics)
    install_cors(app, state.settings.cors_origins)
    install_handlers(app)
    events.install(app, state.settings)
    for router in (health.router, metrics.router, reports.router, users.router):
        app.include_router(router)
    return app


def __getattr__(name: str) -> FastAPI:
    """``ingest_api.main:app``, built on first use from the environment's settings."""
    if name != "app":
        raise AttributeError(name)
    settings = api_settings()
    configure_logging("ingest_api", settings.log_level)
    application = create_app(settings)
    globals()["app"] = application
    return application
