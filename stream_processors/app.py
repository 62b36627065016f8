"""The Faust application of the stream worker (``faust -A stream_processors.app worker``)."""

from __future__ import annotations

import faust
from faust.types import TransportT

from core.settings import SharedSettings, shared_settings
from stream_processors.config import WorkerSettings, worker_settings
from stream_processors.connection import SharedClickHouse
from stream_processors.transport import ReadCommittedTransport


class PulseApp(faust.App):
    """A Faust app whose consumers read with ``isolation_level=read_committed``."""

    clickhouse: SharedClickHouse

    async def on_stop(self) -> None:
        await super().on_stop()
        await self.clickhouse.close()

    def _new_transport(self) -> TransportT:
        return ReadCommittedTransport(self.conf.broker_consumer, self)


def create_app(settings: WorkerSettings, shared: SharedSettings) -> PulseApp:
    """The worker's app: one consumer group (``PULSE_WORKER_APP_ID``), at-least-once."""
    settings.faust_data_dir.mkdir(parents=True, exist_ok=True)
    brokers = [f"kafka://{host.strip()}" for host in shared.kafka_bootstrap_servers.split(",")]
    app = PulseApp(
        settings.app_id,
        broker=brokers,
        store=settings.store,
        datadir=str(settings.faust_data_dir),
        processing_guarantee="at_least_once",
        topic_partitions=shared.events_partitions,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        # Shutdown does not wait for taken-but-unacknowledged events: they are not committed, so
        # the next owner of the partition re-reads them and ClickHouse collapses any repeat.
        stream_wait_empty=False,
        # A worker killed without leaving the group holds its partitions this long.
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.session_timeout / 10,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        autodiscover=False,
    )
    app.clickhouse = SharedClickHouse(shared.clickhouse_database)
    return app


settings = worker_settings()
shared = shared_settings()
app = create_app(settings, shared)

# Agents, timers and pages register themselves on ``app`` when imported.
from stream_processors import agents, live, views  # noqa: E402, F401
