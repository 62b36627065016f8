"""The local stack: Kafka, the ClickHouse endpoint, the ingest API and a stream worker.

Each part is a background process with a pid file under PULSE_DATA_DIR, so `pulse up` is idempotent
(it starts only what is not running), `pulse down` stops what `up` started, and `pulse status`
reports on all of them from any shell.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from loguru import logger

from core.layout import Layout
from core.settings import SharedSettings
from pulse.local.config import StackSettings, host_port
from pulse.local.kafka import KafkaNode, is_ready
from pulse.local.process import ManagedProcess, StartupError, wait_until
from pulse.local.topics import ensure_stack_topics

REPO_ROOT = Path(__file__).resolve().parents[2]


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code < 400
    except httpx.HTTPError:
        return False


@dataclass
class Part:
    """One process of the stack and how to start it and tell that it is ready."""

    name: str
    url: str
    process: ManagedProcess
    launch: Callable[[], None]
    managed: bool = True

    def is_ready(self) -> bool:
        return self.process.ready()


class Stack:
    """The parts in start order; shutting down goes the other way."""

    def __init__(
        self,
        shared: SharedSettings,
        settings: StackSettings,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.shared = shared
        self.settings = settings
        self.layout = Layout(shared)
        self.env = {**self._child_env(), **(extra_env or {})}
        self.parts = [self._kafka(), self._clickhouse(), self._api(), self._worker()]

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts)

    def _child_env(self) -> dict[str, str]:
        s = self.shared
        return {
            "KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
            "CLICKHOUSE_URL": s.clickhouse_url,
            "CLICKHOUSE_DATABASE": s.clickhouse_database,
            "PULSE_DATA_DIR": str(self.layout.root),
            "PULSE_EVENTS_TOPIC": s.events_topic,
            "PULSE_DLQ_TOPIC": s.dlq_topic,
            "PULSE_EVENTS_PARTITIONS": str(s.events_partitions),
            "PULSE_API_HOST": self.settings.api.host,
            "PULSE_API_PORT": str(self.settings.api.port),
            "PULSE_WORKER_HOST": self.settings.worker.web_host,
            "PULSE_WORKER_PORT": str(self.settings.worker.web_port),
            # One stable transactional id per API process: after a crash the restarted API fences
            # the old producer's open transaction at once instead of leaving it to time out.
            "PULSE_API_TRANSACTIONAL_ID": f"pulse-ingest-{self.settings.api.port}",
            "PYTHONUNBUFFERED": "1",
        }

    def _python(self, name: str, ready: Callable[[], bool], url: str, *argv: str) -> Part:
        proc = ManagedProcess(name, self.layout.pid(name), self.layout.log(name), ready=ready)
        return Part(
            name,
            url,
            proc,
            launch=lambda: proc.spawn([sys.executable, *argv], env=self.env, cwd=REPO_ROOT),
        )

    def _kafka(self) -> Part:
        bootstrap = self.shared.kafka_bootstrap_servers.split(",")[0]
        host, port = host_port(bootstrap, 19092)
        node = KafkaNode(
            data_dir=self.layout.data("kafka"),
            host=host,
            port=port,
            controller_port=port + 1,
            partitions=self.shared.events_partitions,
            heap=self.settings.kafka_heap,
        )
        proc = ManagedProcess(
            "kafka",
            self.layout.pid("kafka"),
            self.layout.log("kafka"),
            ready=lambda: is_ready(self.shared.kafka_bootstrap_servers),
        )

        def launch() -> None:
            node.write_config()
            node.format_storage()
            proc.spawn(node.java("kafka.Kafka", str(node.config_file)))

        return Part("kafka", f"kafka://{bootstrap}", proc, launch, self.settings.start_kafka)

    def _clickhouse(self) -> Part:
        url = self.shared.clickhouse_url.rstrip("/")
        host, port = host_port(url, 8123)
        part = self._python(
            "clickhouse",
            lambda: http_ok(f"{url}/ping"),
            url,
            "-m",
            "clickhouse.server",
            "--host",
            host,
            "--port",
            str(port),
            "--data-dir",
            str(self.layout.data("clickhouse")),
        )
        part.managed = self.settings.start_clickhouse
        return part

    def _api(self) -> Part:
        url = f"http://{self.settings.api.host}:{self.settings.api.port}"
        return self._python("ingest_api", lambda: http_ok(f"{url}/readyz"), url, "-m", "ingest_api")

    def _worker(self) -> Part:
        worker = self.settings.worker
        url = f"http://{worker.web_host}:{worker.web_port}"
        return self._python(
            "stream_worker", lambda: http_ok(f"{url}/metrics"), url, "-m", "stream_processors"
        )

    def up(self, on_ready: Callable[[Part, str], None] = lambda p, how: None) -> None:
        """Start every part that is not running, in order, and return when all are ready."""
        for part in self.parts:
            how = self._ensure(part)
            on_ready(part, how)
            if part.name == "kafka":
                ensure_stack_topics(self.shared)
            if part.name == "clickhouse":
                self.migrate()

    def _ensure(self, part: Part) -> str:
        timeout = self.settings.ready_timeout
        if not part.managed:
            wait_until(part.is_ready, timeout, f"external {part.name} at {part.url}")
            return "external"
        if part.process.is_running():
            wait_until(part.is_ready, timeout, part.name, alive=part.process.is_running)
            return "already running"
        if part.is_ready():
            raise StartupError(
                f"something else already answers at {part.url}; stop it or set another address"
            )
        logger.info("starting {} (log: {})", part.name, part.process.log_file)
        part.launch()
        try:
            wait_until(part.is_ready, timeout, part.name, alive=part.process.is_running)
        except StartupError as exc:
            raise StartupError(f"{exc}; see {part.process.log_file}") from None
        return "started"

    def migrate(self) -> list[str]:
        from clickhouse.client import writer_client
        from clickhouse.migrate import apply_migrations

        client = writer_client(database="", settings=self.shared)
        try:
            return apply_migrations(
                client, self.shared.clickhouse_database, self.shared.retention_days
            )
        finally:
            client.close()

    def down(self) -> list[str]:
        """Stop the parts this stack started, last first; return their names."""
        stopped = []
        for part in reversed(self.parts):
            if part.managed and part.process.is_running():
                part.process.stop()
                stopped.append(part.name)
            part.process.pid_file.unlink(missing_ok=True)
        return stopped

    def restart_dead(self) -> list[str]:
        """Start again any managed part whose process has died (the supervisor of `pulse run`)."""
        restarted = []
        for part in self.parts:
            if part.managed and not part.process.is_running():
                logger.warning("{} exited; restarting it", part.name)
                self._ensure(part)
                restarted.append(part.name)
        return restarted
