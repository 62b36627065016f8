"""Structured logging shared by every Pulse service: one JSON object per line on stderr.

Each line holds ``timestamp``, ``level``, ``message``, ``service`` and ``request_id`` (and, for an
exception, ``exception`` and its full ``traceback``); the request id comes from
:data:`request_id_var`, which the ingest API sets for the duration of a request (a worker may set
it while it handles a message). Extra fields bound with ``logger.bind`` are kept.
"""

from __future__ import annotations

import logging
import sys
import traceback
from contextvars import ContextVar
from typing import Any

import orjson
from loguru import logger

request_id_var: ContextVar[str | None] = ContextVar("pulse_request_id", default=None)

_RESERVED = {"service", "request_id", "_json"}


def current_request_id() -> str | None:
    """The request id bound to the running task, if any."""
    return request_id_var.get()


def _to_json(record: Any, service: str) -> str:
    extra = record["extra"]
    line: dict[str, Any] = {
        "timestamp": record["time"].isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "message": record["message"],
        "service": extra.get("service", service),
        "request_id": extra.get("request_id") or request_id_var.get(),
        "logger": record["name"],
    }
    line.update({k: v for k, v in extra.items() if k not in _RESERVED})
    if record["exception"] is not None:
        exc_type, exc, tb = record["exception"]
        line["exception"] = f"{getattr(exc_type, '__name__', exc_type)}: {exc}"
        line["traceback"] = "".join(traceback.format_exception(exc_type, exc, tb))
    return orjson.dumps(line, default=str).decode()


def _line_format(_: Any) -> str:
    # A callable format: loguru then appends no traceback of its own; the JSON line carries the
    # exception and its whole traceback (``traceback``) so one line stays one JSON object.
    return "{extra[_json]}\n"


class _InterceptHandler(logging.Handler):
    """Routes the standard library's records (uvicorn, aiokafka) into loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).log(level, record.getMessage())


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log line of this process, as JSON, to stderr, tagged with ``service``."""

    def patch(record: Any) -> None:
        record["extra"]["_json"] = _to_json(record, service)

    logger.remove()
    logger.configure(patcher=patch)
    logger.add(sys.stderr, level=level.upper(), format=_line_format, colorize=False)
    logging.basicConfig(handlers=[_InterceptHandler()], level=level.upper(), force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
