"""`pulse run | up | down | status | migrate`: the local stack's life cycle."""

from __future__ import annotations

import signal
import threading

import typer
from rich.console import Console
from rich.table import Table

from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.envfile import ensure_env_file, keys_by_role
from pulse.local.process import StartupError
from pulse.local.stack import Part, Stack

console = Console()


def _stack() -> Stack:
    ensure_env_file()
    return Stack(SharedSettings(), StackSettings())


def _report(part: Part, how: str) -> None:
    console.print(f"[green]✓[/] {part.name:<14} {how:<16} {part.url}")


def _up(stack: Stack) -> None:
    try:
        with console.status("starting the stack (first run fetches Kafka and Python packages)…"):
            stack.up(on_ready=_report)
    except StartupError as exc:
        console.print(f"[red]✗ {exc}[/]")
        raise typer.Exit(1) from None


def _print_urls(stack: Stack) -> None:
    keys = keys_by_role(ensure_env_file())
    api = next(p.url for p in stack if p.name == "ingest_api")
    worker = next(p.url for p in stack if p.name == "stream_worker")
    console.print(
        f"\n[bold]Pulse is up[/]\n"
        f"  ingest API      {api}  (docs {api}/docs, metrics {api}/metrics)\n"
        f"  stream worker   {worker}  (metrics {worker}/metrics)\n"
        f"  ClickHouse      {stack.shared.clickhouse_url}"
        f"  (database {stack.shared.clickhouse_database})\n"
        f"  Kafka           {stack.shared.kafka_bootstrap_servers}\n"
        f"  logs            {stack.layout.root / 'logs'}  (one JSON object per line)\n"
        f"  dashboards      infra/grafana/dashboards (Grafana provisioning: infra/grafana)\n"
        f"  producer key    {keys.get('producer', '(see PULSE_API_KEYS in .env)')}\n"
        f"  analyst key     {keys.get('analyst', '(see PULSE_API_KEYS in .env)')}\n"
    )


def up() -> None:
    """Start whatever part of the stack is not running; return when every part is ready."""
    stack = _stack()
    _up(stack)
    _print_urls(stack)


def run() -> None:
    """Start the stack in the foreground, restart parts that die, stop everything on Ctrl-C."""
    stack = _stack()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        _up(stack)
        _print_urls(stack)
        console.print("Press Ctrl-C to stop.")
        while not stop.wait(2.0):
            for name in stack.restart_dead():
                console.print(f"[yellow]restarted {name}[/]")
    finally:
        console.print("stopping…")
        for name in stack.down():
            console.print(f"[green]✓[/] stopped {name}")


def down() -> None:
    """Stop every part of the stack that `up` or `run` started."""
    stopped = _stack().down()
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


def status() -> None:
    """Show each part: running or not, ready or not, where."""
    stack = _stack()
    table = Table("part", "process", "ready", "address")
    all_ready = True
    for part in stack:
        running = (
            "external"
            if not part.managed
            else (f"pid {part.process.pid}" if part.process.is_running() else "stopped")
        )
        ready = part.is_ready()
        all_ready &= ready
        table.add_row(part.name, running, "[green]yes[/]" if ready else "[red]no[/]", part.url)
    console.print(table)
    raise typer.Exit(0 if all_ready else 1)


def migrate() -> None:
    """Apply pending ClickHouse migrations (idempotent)."""
    applied = _stack().migrate()
    console.print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


def register(app: typer.Typer) -> None:
    for command in (run, up, down, status, migrate):
        app.command()(command)
