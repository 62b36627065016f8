"""``python -m ingest_api``: serve the API with uvicorn on PULSE_API_HOST:PULSE_API_PORT."""

from __future__ import annotations

import uvicorn

from ingest_api.config import api_settings
from ingest_api.main import create_app
from pulse.logging import configure_logging


def main() -> None:
    """Run the API in the foreground until interrupted."""
    settings = api_settings()
    configure_logging("ingest_api", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=15,
    )


if __name__ == "__main__":
    main()
