"""``python -m stream_processors``: apply migrations, then run the Faust worker."""

from __future__ import annotations

import logging
import time

from faust import Worker
from loguru import logger

from clickhouse.client import writer_client
from clickhouse.migrate import apply_migrations
from core.logging import configure_logging
from core.settings import shared_settings
from stream_processors import collector
from stream_processors.config import worker_settings
from stream_processors.exceptions import StartupError
from stream_processors.factory import create_app


def migrate_when_reachable(timeout: float) -> list[str]:
    """Apply migrations, retrying while ClickHouse is not reachable yet (up to ``timeout`` s)."""
    shared = shared_settings()
    deadline = time.monotonic() + timeout
    while True:
        try:
            return apply_migrations(
                writer_client(""), shared.clickhouse_database, shared.retention_days
            )
        except Exception as exc:  # noqa: BLE001 - retried until the deadline, then reported
            if time.monotonic() > deadline:
                raise StartupError(
                    f"cannot apply migrations at {shared.clickhouse_url} ({exc}); "
                    "start ClickHouse or set CLICKHOUSE_URL"
                ) from exc
            logger.info("waiting for ClickHouse: {}", exc)
            time.sleep(1.0)


class PulseWorker(Worker):
    """Faust's worker with every log line (Faust's, aiokafka's) sent through Pulse's loguru."""

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        configure_logging("stream-worker", logging.getLevelName(level or logging.INFO))


def main() -> None:
    """Run one stream worker in the foreground until SIGTERM or Ctrl-C."""
    settings = worker_settings()
    configure_logging("stream-worker", settings.log_level)
    applied = migrate_when_reachable(settings.startup_timeout)
    logger.info("schema up to date ({} migrations applied now)", len(applied))
    app = create_app(settings)
    collector.tune()
    worker = PulseWorker(app, loglevel=settings.log_level.lower(), redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
