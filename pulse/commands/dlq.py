"""`pulse dlq list | show | replay`: what is in the dead-letter topic, why, and back once fixed."""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from datetime import datetime
from typing import Annotated, Any

import orjson
import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table

from core.settings import SharedSettings
from pulse.dlq.reader import DeadLetter, DlqError, parse_position, scan
from pulse.dlq.replay import read_selected, replay

console = Console()
dlq_app = typer.Typer(
    help="Dead letters of pulse.events.dlq: what is there and why, then replay once fixed.",
    no_args_is_help=True,
)
REPLAY_HELP = (
    "Re-validate dead letters as the worker does; send the now-valid ones back to the events "
    "topic with their original key and event_id (acks=all, in Kafka transactions).\n\n"
    "Safe to rerun: each replayed dead letter is marked in <dlq topic>.replayed in the same "
    "transaction, so a second replay sends nothing again; and the events tables keep one row "
    "per event_id, so even an event sent twice is stored once.\n\n"
    "Still-invalid dead letters stay in the DLQ, are not sent, and are listed with the error "
    "they get now (replay them again after a fix)."
)
Reason = Annotated[str | None, typer.Option("--reason", help="only this reason, e.g. not_json")]


def _settings() -> SharedSettings:
    return SharedSettings()


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except DlqError as exc:
        console.print(f"[red]{exc}[/]")
    except (KafkaError, TimeoutError) as exc:
        bootstrap = _settings().kafka_bootstrap_servers
        console.print(
            f"[red]Kafka at {bootstrap} did not answer ({exc!r}); is it running? "
            "(KAFKA_BOOTSTRAP_SERVERS)[/]"
        )
    raise typer.Exit(1)


def _brief(letter: DeadLetter) -> dict[str, Any]:
    return {
        "dlq": str(letter.position),
        "time": letter.time.isoformat(timespec="milliseconds"),
        "reason": letter.reason,
        "error": letter.error,
        "source": letter.source,
        "request_id": letter.headers.get("request_id", ""),
    }


def _recency(letter: DeadLetter) -> tuple[datetime, int, int]:
    """Newest first: letters written within one millisecond share a time, and then the later
    offset is the newer one."""
    return (letter.time, letter.position.offset, letter.position.partition)


async def _summary(reason: str | None, limit: int) -> tuple[Counter[str], list[DeadLetter]]:
    settings = _settings()
    counts: Counter[str] = Counter()
    newest: deque[DeadLetter] = deque(maxlen=limit)
    async for record in scan(settings.kafka_bootstrap_servers, settings.dlq_topic):
        letter = DeadLetter.from_record(record)
        if reason is None or letter.reason == reason:
            counts[letter.reason] += 1
            newest.append(letter)
    return counts, sorted(newest, key=_recency, reverse=True)


@dlq_app.command("list")
def list_letters(
    reason: Reason = None,
    limit: Annotated[int, typer.Option(help="newest entries to show", min=0)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Count dead letters per reason and show the newest ones (reads to the current end)."""
    counts, newest = _run(_summary(reason, limit))
    if as_json:
        doc = {
            "total": sum(counts.values()),
            "by_reason": dict(counts.most_common()),
            "newest": [_brief(x) for x in newest],
        }
        typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    by_reason = Table("reason", "dead letters", title=f"{_settings().dlq_topic}")
    for name, count in counts.most_common():
        by_reason.add_row(name, f"{count:,}")
    by_reason.add_row("[bold]total[/]", f"[bold]{sum(counts.values()):,}[/]")
    console.print(by_reason)
    entries = Table("dlq", "time (UTC)", "reason", "error", "source", title=f"newest {len(newest)}")
    for letter in newest:
        entries.add_row(
            str(letter.position),
            letter.time.strftime("%Y-%m-%d %H:%M:%S"),
            letter.reason,
            letter.error[:80],
            letter.source,
        )
    console.print(entries)


@dlq_app.command()
def show(
    offset: Annotated[str, typer.Argument(help="PARTITION@OFFSET, or OFFSET with --partition")],
    partition: Annotated[int, typer.Option(help="partition of a bare OFFSET")] = 0,
) -> None:
    """Show one dead letter: every header, the full error and the payload."""
    settings = _settings()
    try:
        position = parse_position(offset, partition)
    except DlqError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    found = _run(
        read_selected(
            settings.kafka_bootstrap_servers, settings.dlq_topic, lambda _: True, [position]
        )
    )
    if not found:
        console.print(f"[red]no dead letter at {position} in {settings.dlq_topic}[/]")
        raise typer.Exit(1)
    letter = found[0]
    headers = Table("header", "value", title=f"dead letter {position} ({letter.time:%c} UTC)")
    headers.add_row("key", repr(letter.key))
    for name, value in letter.headers.items():
        headers.add_row(name, value)
    console.print(headers)
    console.print(f"[bold]error[/] ({letter.reason}): {letter.error}")
    console.print("[bold]payload[/]")
    try:
        pretty = orjson.dumps(orjson.loads(letter.value), option=orjson.OPT_INDENT_2).decode()
        console.print(Syntax(pretty, "json", word_wrap=True))
    except orjson.JSONDecodeError:
        console.print(repr(letter.value), markup=False)


@dlq_app.command("replay", help=REPLAY_HELP)
def replay_letters(
    reason: Reason = None,
    offset: Annotated[
        list[str] | None,
        typer.Option(
            "--offset",
            help="only PARTITION@OFFSET (or OFFSET in partition 0); repeatable",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="re-validate and report, send nothing")] = False,
    limit: Annotated[int, typer.Option(help="still-invalid ones to list", min=0)] = 20,
) -> None:
    settings = _settings()
    try:
        positions = [parse_position(o) for o in offset or ()]
    except DlqError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    bootstrap, topic = settings.kafka_bootstrap_servers, settings.dlq_topic
    letters = _run(
        read_selected(bootstrap, topic, lambda x: reason is None or x.reason == reason, positions)
    )
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("checking" if dry_run else "replaying", total=len(letters))
        report = _run(
            replay(
                bootstrap,
                topic,
                settings.events_topic,
                letters,
                dry_run,
                lambda n: progress.advance(task, n),
            )
        )
    verb = "would replay" if dry_run else "replayed"
    console.print(
        f"{verb} {len(report.replayed)} to {settings.events_topic}, "
        f"{len(report.already)} replayed before, {len(report.invalid)} still invalid"
    )
    if report.invalid:
        table = Table("dlq", "reason", "error now", title="still invalid (left in the DLQ)")
        for letter, error in report.invalid[:limit]:
            table.add_row(str(letter.position), letter.reason, error)
        console.print(table)
        if len(report.invalid) > limit:
            console.print(f"… and {len(report.invalid) - limit:,} more (--limit to see them)")


def register(app: typer.Typer) -> None:
    app.add_typer(dlq_app, name="dlq")
