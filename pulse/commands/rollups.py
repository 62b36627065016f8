"""`pulse rollups rebuild`: recompute the aggregate rollups from the stored facts."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from pulse.local.envfile import ensure_env_file

console = Console()
rollups_app = typer.Typer(
    help="The rollups behind dau, llm_usage_daily, subject_usage_daily and assignment_time.",
    no_args_is_help=True,
)


@rollups_app.command()
def rebuild() -> None:
    """Recompute every rollup from the facts (after a restore, or to check); safe to rerun:
    each key is rewritten with its absolute value, so nothing doubles."""
    from clickhouse.client import writer_client
    from clickhouse.migrate import backfill_rollups

    ensure_env_file()
    client = writer_client()
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("rebuilding rollups", total=None)
            backfill_rollups(
                client,
                client.database or "pulse",
                lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        client.close()
    console.print("[green]rollups rebuilt from the facts[/]")


def register(app: typer.Typer) -> None:
    app.add_typer(rollups_app, name="rollups")
