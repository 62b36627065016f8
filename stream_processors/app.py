"""The worker's app for ``faust -A stream_processors.app worker``, built on first use."""

from __future__ import annotations

from stream_processors.factory import PulseApp, create_app


def __getattr__(name: str) -> PulseApp:
    """``stream_processors.app:app``, built from the environment's settings on first access."""
    if name != "app":
        raise AttributeError(name)
    application = create_app()
    globals()["app"] = application
    return application
