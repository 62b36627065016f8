"""`pulse forget | backup | restore`: privacy erasure and data safety for operators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from clickhouse.backup import BackupError
from pulse.local.envfile import ensure_env_file

console = Console()
BackupAction = Callable[[Any, str, Path, Callable[[str, int], None]], dict[str, int]]


def _rows_table(title: str, counts: dict[str, int]) -> Table:
    table = Table("table", "rows", title=title)
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    table.add_row("[bold]total[/]", f"[bold]{sum(counts.values()):,}[/]")
    return table


def forget(user_id: Annotated[str, typer.Argument(help="the user_id to erase")]) -> None:
    """Remove a user from every table and say how many rows went.

    With ``PULSE_PSEUDONYMISE_KEY`` set, the tables hold the user's pseudonym, not the raw id:
    the same HMAC the API applies finds those rows (and any raw-id rows from before).
    """
    from clickhouse.client import writer_client
    from clickhouse.privacy import forget_user
    from ingest_api.config import ApiSettings
    from ingest_api.pseudonyms import Pseudonymiser

    ensure_env_file()
    settings = ApiSettings()
    pseudonymise = Pseudonymiser(settings.pseudonymise_key)
    client = writer_client(settings=settings)
    try:
        removed = forget_user(
            client,
            client.database or "pulse",
            user_id,
            pseudonymise if pseudonymise.enabled else None,
        )
    finally:
        client.close()
    stored = " (and its pseudonym)" if pseudonymise.enabled else ""
    console.print(_rows_table(f"forgot {user_id}{stored}", removed))


def _transfer(verb: str, path: Path, action: BackupAction) -> None:
    """Run a backup or restore ``action`` with the writer's client, showing progress per table."""
    from clickhouse.client import writer_client

    ensure_env_file()
    client = writer_client()
    try:
        with console.status(f"{verb}…") as status:
            counts = action(
                client,
                client.database or "pulse",
                path,
                lambda t, n: status.update(f"{verb}: {t} ({n:,} rows)"),
            )
    except BackupError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    console.print(_rows_table(f"{verb}: {path}", counts))


def backup(target: Annotated[Path, typer.Argument(help="a new, empty directory")]) -> None:
    """Back up every ClickHouse table of the stack into a directory."""
    from clickhouse.backup import backup as take

    _transfer("backing up", target, take)


def restore(source: Annotated[Path, typer.Argument(help="made by `pulse backup`")]) -> None:
    """Restore a backup into the stack's (empty) ClickHouse database and check the row counts."""
    from clickhouse.backup import restore as load

    _transfer("restoring", source, load)


def register(app: typer.Typer) -> None:
    for command in (forget, backup, restore):
        app.command()(command)
