"""`pulse sql | send | gen`: query ClickHouse, post events, generate realistic traffic."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pulse.local.config import StackSettings
from pulse.local.envfile import ensure_env_file, keys_by_role
from pulse.sender import send_events

console = Console()


def sql(
    query: Annotated[str, typer.Argument(help="the SQL to run")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="any ClickHouse output format")] = (
        "PrettyCompactMonoBlock"
    ),
    writer: Annotated[bool, typer.Option(help="run as the writer instead of read-only")] = False,
) -> None:
    """Run SQL on the stack's ClickHouse (read-only analyst account) and print the result."""
    from clickhouse_connect.driver.exceptions import ClickHouseError

    from clickhouse.client import reader_client, writer_client

    ensure_env_file()
    client = writer_client() if writer else reader_client()
    try:
        out = client.raw_query(query, fmt=fmt)
    except ClickHouseError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    sys.stdout.buffer.write(out)
    sys.stdout.flush()


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Events from a JSON array file or a JSON-lines file."""
    text = path.read_bytes()
    if text.lstrip().startswith(b"["):
        yield from orjson.loads(text)
        return
    for line in text.splitlines():
        if line.strip():
            yield orjson.loads(line)


def _send(events: Iterable[dict[str, Any]], total: int | None, key: str | None, batch: int) -> None:
    values = ensure_env_file()
    settings = StackSettings()
    api_key = key or keys_by_role(values).get("producer") or keys_by_role(values).get("admin")
    if not api_key:
        console.print("[red]no producer key: pass --key or set PULSE_API_KEYS in .env[/]")
        raise typer.Exit(2)
    url = f"http://{settings.api_host}:{settings.api_port}"
    columns = (TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("send", total=total)
        report = asyncio.run(
            send_events(
                url, api_key, events, batch_size=batch, on_batch=lambda n: progress.advance(task, n)
            )
        )
    console.print(f"sent {report.sent}: accepted {report.accepted}, rejected {report.rejected}")
    for error in report.errors[:5]:
        console.print(f"  [yellow]rejected:[/] {error}")


def send(
    file: Annotated[Path | None, typer.Argument(help="JSON array or JSON-lines file")] = None,
    sample: Annotated[int, typer.Option(help="send N generated sample events instead")] = 0,
    key: Annotated[str | None, typer.Option(help="API key (default: producer key in .env)")] = None,
    batch: Annotated[int, typer.Option(help="events per request", min=1, max=1000)] = 500,
) -> None:
    """Post events from a file, or generated samples, to the ingest API."""
    if file is None and not sample:
        console.print("[red]give a FILE or --sample N[/]")
        raise typer.Exit(2)
    if file is not None:
        events = list(read_events(file))
        _send(events, len(events), key, batch)
        return
    from pulse.workload import WorkloadConfig, generate

    _send(generate(WorkloadConfig(limit=sample, days=0.1)), sample, key, batch)


def gen(
    out: Annotated[Path | None, typer.Option(help="write JSON lines here (.gz compresses)")] = None,
    send_to_api: Annotated[bool, typer.Option("--send", help="post to the ingest API")] = False,
    users: Annotated[int, typer.Option(help="number of users")] = 1000,
    days: Annotated[float, typer.Option(help="days of activity, ending now")] = 1.0,
    events: Annotated[int, typer.Option(help="about this many valid events")] = 100_000,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same traffic")] = 42,
    duplicates: Annotated[float, typer.Option(help="fraction of events sent twice")] = 0.0,
    disorder_minutes: Annotated[float, typer.Option(help="shuffle window, minutes")] = 0,
    invalid: Annotated[float, typer.Option(help="fraction of invalid events")] = 0.0,
    historical: Annotated[float, typer.Option(help="fraction of old events sent last")] = 0.0,
    cross_midnight: Annotated[bool, typer.Option(help="centre the window on UTC midnight")] = False,
) -> None:
    """Generate realistic learning-platform traffic, deterministic from a seed."""
    from datetime import timedelta

    from pulse.workload import WorkloadConfig, expected_events, generate, write_jsonl

    config = WorkloadConfig(
        users=users,
        days=days,
        events=events,
        seed=seed,
        duplicate_fraction=duplicates,
        disorder_window=timedelta(minutes=disorder_minutes),
        invalid_fraction=invalid,
        historical_fraction=historical,
        cross_midnight=cross_midnight,
    )
    if out is not None:
        count = write_jsonl(generate(config), out)
        console.print(f"wrote {count} events to {out}")
    if send_to_api:
        _send(generate(config), expected_events(config), None, 500)
    if out is None and not send_to_api:
        console.print("[yellow]nothing to do: give --out FILE and/or --send[/]")


def register(app: typer.Typer) -> None:
    app.command()(sql)
    app.command()(send)
    app.command()(gen)
