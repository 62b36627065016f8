"""`pulse import FILE`: historical events (JSON lines, CSV, Parquet) through the ingest API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from pulse.importer.checkpoint import Checkpoint
from pulse.importer.exceptions import ImporterError
from pulse.importer.mapping import PRESETS, parse_overrides
from pulse.importer.readers import count_rows, detect_format, read_rows
from pulse.importer.run import Importer
from pulse.local.config import StackSettings
from pulse.local.envfile import ensure_env_file, keys_by_role

console = Console()
HELP = (
    "Import historical events from a JSON-lines, CSV or Parquet file through the ingest API "
    "(the same validation, ids and privacy rules as live traffic). Presets map the seed "
    "formats: native (Pulse events), fastapi (ts/type/src/payload), studyin "
    "(event_type/properties); --map FIELD=COLUMN overrides one field.\n\n"
    "Rows the importer or the API refuse go to the rejects file (JSON lines: row, reason). "
    "Interrupted? Run the same command again: it resumes after the last confirmed batch. "
    "Every event carries an id derived from its content, so a rerun never stores one twice."
)


def _producer_key(key: str | None) -> str:
    found = key or keys_by_role(ensure_env_file()).get("producer")
    if not found:
        console.print("[red]no producer key: pass --key or set PULSE_API_KEYS in .env[/]")
        raise typer.Exit(2)
    return found


def import_command(
    file: Annotated[Path, typer.Argument(help="the file; .gz is read through gzip", exists=True)],
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or parquet")] = None,
    preset: Annotated[str, typer.Option(help=f"auto, {', '.join(PRESETS)}")] = "auto",
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="FIELD=COLUMN (a.b: key b of column a)")
    ] = None,
    rejects: Annotated[Path | None, typer.Option(help="default: FILE.rejects.jsonl")] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="default: FILE.import.json")] = None,
    restart: Annotated[bool, typer.Option(help="ignore the checkpoint, start at row 1")] = False,
    api_url: Annotated[str | None, typer.Option(help="default: the local stack's API")] = None,
    key: Annotated[str | None, typer.Option(help="API key (default: producer key in .env)")] = None,
    batch: Annotated[int, typer.Option(help="events per request", min=1, max=1000)] = 1000,
    concurrency: Annotated[int, typer.Option(help="requests in flight", min=1, max=32)] = 4,
) -> None:
    rejects = rejects or file.with_name(file.name + ".rejects.jsonl")
    checkpoint = checkpoint or file.with_name(file.name + ".import.json")
    try:
        overrides = parse_overrides(mapping or [])
        kind = fmt or detect_format(file)
        state = Checkpoint.open(checkpoint, file, restart)
    except ImporterError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if state.complete:
        console.print(
            f"{file} was imported already ({state.accepted:,} accepted, {state.rejected:,} "
            f"rejected, see {rejects}); --restart sends it again (nothing is stored twice)"
        )
        return
    if state.next_row > 1:
        console.print(f"resuming {file} at row {state.next_row:,} (checkpoint {checkpoint})")
    settings = StackSettings()
    url = api_url or f"http://{settings.api_host}:{settings.api_port}"
    headers = {"Authorization": f"Bearer {_producer_key(key)}"}
    total = count_rows(file, kind)
    rejects.touch()
    with rejects.open("r+b") as out:
        out.truncate(state.rejects_bytes)
        out.seek(state.rejects_bytes)
        columns = ("importing", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("import", total=total)

            async def run() -> Checkpoint:
                async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
                    importer = Importer(
                        client,
                        state,
                        checkpoint,
                        out,
                        preset,
                        overrides,
                        batch,
                        concurrency,
                        lambda n: progress.advance(task, n),
                    )
                    return await importer.run(read_rows(file, kind))

            try:
                done = asyncio.run(run())
            except ImporterError as exc:
                console.print(f"[red]{exc}[/]")
                raise typer.Exit(1) from None
    console.print(f"imported {file}: {done.accepted:,} accepted, {done.rejected:,} rejected")
    if done.rejected:
        console.print(f"  rejected rows and why: {rejects}")


def register(app: typer.Typer) -> None:
    app.command("import", help=HELP)(import_command)
