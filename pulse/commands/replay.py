"""`pulse replay --since TIME | --from-offsets P:O,...`: re-read the events into ClickHouse."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from core.settings import SharedSettings
from pulse.replay.exceptions import ReplayError
from pulse.replay.run import plan, replay
from pulse.replay.start import parse_start

console = Console()
HELP = (
    "Re-read the events topic (PULSE_EVENTS_TOPIC) into ClickHouse: after a restore, a bug "
    "fix or a new rollup. Writes the worker's own fact rows and recomputes the rollups of the "
    "keys they touch, so nothing doubles: run it as often as you like, beside a live worker.\n\n"
    "The read stops at the end of the topic as it was when the replay started; the worker's "
    "consumer group and offsets are not touched."
)


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except ReplayError as exc:
        console.print(f"[red]{exc}[/]")
    except (KafkaError, TimeoutError) as exc:
        bootstrap = SharedSettings().kafka_bootstrap_servers
        console.print(f"[red]Kafka at {bootstrap} did not answer ({exc!r}); is it running?[/]")
    raise typer.Exit(1)


def replay_command(
    since: Annotated[
        str | None,
        typer.Option(help="from this time: 2026-11-20T14:00:00Z, 2026-11-20, or an age (6h, 2d)"),
    ] = None,
    from_offsets: Annotated[
        str | None,
        typer.Option("--from-offsets", help="only these partitions, from these offsets: 0:120,1:0"),
    ] = None,
    batch: Annotated[int, typer.Option(help="messages per ClickHouse write", min=1)] = 5000,
    dry_run: Annotated[
        bool, typer.Option(help="show what would be re-read, write nothing")
    ] = False,
) -> None:
    settings = SharedSettings()
    try:
        start = parse_start(since, from_offsets)
    except ReplayError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    spans = _run(plan(settings, start))
    total = sum(len(s) for s in spans)
    table = Table("partition", "from offset", "to offset", "messages", title=settings.events_topic)
    for span in spans:
        table.add_row(str(span.partition), str(span.start), str(span.end), f"{len(span):,}")
    console.print(table)
    if dry_run or not total:
        console.print(f"{'would re-read' if dry_run else 'nothing to re-read:'} {total:,} offsets")
        return
    columns = ("replaying", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("replay", total=total)
        report = _run(
            replay(settings, spans, batch, lambda done: progress.update(task, completed=done))
        )
    console.print(
        f"replayed {report.events:,} events ({report.rows:,} fact rows) into "
        f"{settings.clickhouse_database}; rollups of their keys recomputed"
    )
    for reason, count in sorted(report.undecodable.items()):
        console.print(f"  skipped {count:,} undecodable ({reason}): see `pulse dlq list`")
    if report.refused:
        console.print(f"[yellow]ClickHouse refused {len(report.refused)} rows:[/]")
        for line in report.refused[:10]:
            console.print(f"  {line}", markup=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("replay", help=HELP)(replay_command)
