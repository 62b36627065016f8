"""The `pulse` command line: run the local stack, migrate, query, send and generate events."""

from __future__ import annotations

import typer

from pulse.commands import admin, data, stack

app = typer.Typer(
    help="Pulse: event-streaming analytics for learning platforms.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
stack.register(app)
data.register(app)
admin.register(app)

if __name__ == "__main__":
    app()
