"""``python -m clickhouse.server``: serve chDB over ClickHouse's HTTP interface."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import uvicorn
from loguru import logger

from clickhouse.config import EndpointSettings
from clickhouse.exceptions import EndpointConfigError
from clickhouse.server.app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; every option defaults to the settings (CLICKHOUSE_HTTP_HOST, ...)."""
    parser = argparse.ArgumentParser(prog="python -m clickhouse.server", description=__doc__)
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8123)")
    parser.add_argument("--data-dir", type=Path, help="chDB data directory")
    parser.add_argument("--certfile", type=Path, help="TLS certificate (PEM): serve HTTPS")
    parser.add_argument("--keyfile", type=Path, help="TLS private key (PEM)")
    parser.add_argument("--log-level", default="INFO", help="loguru level (default INFO)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the endpoint in the foreground until SIGINT or SIGTERM."""
    args = parse_args(argv)
    overrides: dict[str, Any] = {
        name: value
        for name in ("host", "port", "data_dir", "certfile", "keyfile")
        if (value := getattr(args, name)) is not None
    }
    try:
        settings = EndpointSettings(**overrides)
    except EndpointConfigError as exc:
        sys.exit(f"clickhouse endpoint: {exc}")
    logger.remove()
    logger.add(sys.stderr, level=args.log_level.upper())
    scheme = "https" if settings.tls else "http"
    logger.info("ClickHouse endpoint on {}://{}:{}", scheme, settings.host, settings.port)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.certfile) if settings.certfile else None,
        ssl_keyfile=str(settings.keyfile) if settings.keyfile else None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
