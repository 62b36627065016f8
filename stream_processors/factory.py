"""Builds the worker: the Faust app, with its agent, timers and pages registered on it.

Nothing here runs at import; :func:`create_app` receives the settings and hands every part what
it needs (the ClickHouse client, the topics, the limits), so each module imports on its own.
"""

from __future__ import annotations

import faust
from faust.types import TP, TransportT

from core.settings import SharedSettings, shared_settings
from stream_processors.agents import llm_usage
from stream_processors.agents.batching import BatchStore, DeferPolicy
from stream_processors.agents.pipeline import FIXED_PROJECTIONS, Projections, register_agent
from stream_processors.config import WorkerSettings, worker_settings
from stream_processors.connection import SharedClickHouse
from stream_processors.dlq import DeadLetters
from stream_processors.inbox import Inbox
from stream_processors.labels import BoundedLabel
from stream_processors.live import LiveFigures, register_timers
from stream_processors.rollup_refresh import RollupRefresher
from stream_processors.rows import COLUMNS
from stream_processors.sink import Backoff, ClickHouseWriter, Sink
from stream_processors.topics import declare_topics
from stream_processors.transport import ReadCommittedTransport
from stream_processors.views import register_pages


class PulseApp(faust.App):
    """A Faust app whose consumers read with ``isolation_level=read_committed``."""

    clickhouse: SharedClickHouse
    # Topics whose messages the consumer delivers a fetch at a time (``transport``).
    batch_inboxes: dict[str, Inbox]
    # The broker holds a fetch that finds nothing new at most this long (``transport``).
    fetch_max_wait_ms: int

    async def on_stop(self) -> None:
        await super().on_stop()
        await self.clickhouse.close()

    def _new_transport(self) -> TransportT:
        return ReadCommittedTransport(self.conf.broker_consumer, self)


def faust_app(settings: WorkerSettings, shared: SharedSettings) -> PulseApp:
    """The bare app: one consumer group (``PULSE_WORKER_APP_ID``), at-least-once."""
    data_dir = settings.faust_data_dir(shared)
    data_dir.mkdir(parents=True, exist_ok=True)
    brokers = [f"kafka://{host.strip()}" for host in shared.kafka_bootstrap_servers.split(",")]
    app = PulseApp(
        settings.app_id,
        broker=brokers,
        store=settings.store,
        datadir=str(data_dir),
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
        consumer_group_instance_id=settings.group_instance_id(),
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        autodiscover=False,
    )
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
    return app


def batch_store(
    settings: WorkerSettings, clickhouse: SharedClickHouse, dead_letters: DeadLetters
) -> BatchStore:
    """Every projection's rows through one sink, the rollups refreshed after each batch."""
    model_label = BoundedLabel(settings.llm_models, settings.llm_model_label_limit)
    projections = Projections((*FIXED_PROJECTIONS, llm_usage.projection(model_label)))
    backoff = Backoff(settings.sink_retry_min_seconds, settings.sink_retry_max_seconds)
    sink = Sink(
        ClickHouseWriter(clickhouse.get, clickhouse.database),
        {table: COLUMNS[table] for table in projections.tables},
        backoff,
        max_partitions=settings.sink_max_partitions,
    )
    refresher = RollupRefresher(
        clickhouse.get, clickhouse.database, backoff, max_partitions=settings.sink_max_partitions
    )
    return BatchStore(
        sink,
        projections.rows,
        dead_letters,
        projections.on_stored,
        refresher,
        to_columns=projections.columns,
    )


def create_app(
    settings: WorkerSettings | None = None, shared: SharedSettings | None = None
) -> PulseApp:
    """A new worker app with its agent, timers and pages (settings default to the process's)."""
    settings = settings or worker_settings()
    shared = shared or shared_settings()
    app = faust_app(settings, shared)
    app.clickhouse = SharedClickHouse(shared.clickhouse_database)
    topics = declare_topics(app, shared)
    store = batch_store(settings, app.clickhouse, DeadLetters(topics.dlq))
    inbox = Inbox(capacity=2 * settings.sink_max_rows)
    app.batch_inboxes = {topics.events.get_topic_name(): inbox}
    app.topics.add(topics.events)  # subscribed, acknowledged and committed as an agent's

    # Faust types receivers as taking any positional arguments; this one names the set of
    # partitions that on_partitions_revoked sends.
    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def forget_revoked(app: faust.App, revoked: set[TP], **kwargs: object) -> None:
        inbox.drop(revoked)

    defer = DeferPolicy(settings.rollup_defer_after_days, settings.rollup_defer_seconds)
    register_agent(app, inbox, store, settings.sink_max_rows, defer)
    live = LiveFigures(app, app.clickhouse)
    register_timers(app, live, settings)
    register_pages(app, live)
    return app
