"""``python -m ingest_api``: serve the API with uvicorn on PULSE_API_HOST:PULSE_API_PORT.

HTTPS when ``PULSE_API_TLS_CERTFILE`` and ``PULSE_API_TLS_KEYFILE`` are set (PEM files).
"""

from __future__ import annotations

from typing import Any

import uvicorn

from core.logging import configure_logging
from ingest_api.config import ApiSettings, api_settings
from ingest_api.main import create_app


def server_options(settings: ApiSettings) -> dict[str, Any]:
    """uvicorn's keyword arguments for ``settings``: address, limits and TLS."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": 15,
        # Bounds open connections and tasks (so memory) under a flood of slow clients: past
        # it, uvicorn answers 503 at once. Each request body is itself capped in size and time.
        "limit_concurrency": settings.limit_concurrency,
    }
    if settings.tls_certfile is not None and settings.tls_keyfile is not None:
        options["ssl_certfile"] = str(settings.tls_certfile)
        options["ssl_keyfile"] = str(settings.tls_keyfile)
    return options


def main() -> None:
    """Run the API in the foreground until interrupted."""
    settings = api_settings()
    configure_logging("ingest_api", settings.log_level)
    uvicorn.run(create_app(settings), **server_options(settings))


if __name__ == "__main__":
    main()
