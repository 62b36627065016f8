"""The `pulse` command line: run the local stack, migrate, query, send and generate events."""

from __future__ import annotations

import sys

import typer
from loguru import logger

from pulse.commands import admin, data, dlq, importing, replay, rollups, stack

app = typer.Typer(
    help="Pulse: event-streaming analytics for learning platforms.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _human_logs() -> None:
    """Library log lines reach a person at INFO and above; debug detail stays in services' logs."""
    logger.remove()
    logger.add(sys.stderr, level="INFO")


stack.register(app)
data.register(app)
admin.register(app)
rollups.register(app)
dlq.register(app)
replay.register(app)
importing.register(app)

if __name__ == "__main__":
    app()
