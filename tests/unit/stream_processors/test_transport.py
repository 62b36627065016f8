"""The worker's Kafka consumer as Faust builds it: read_committed, and its fetch wait ours."""

import asyncio

from core.settings import SharedSettings
from stream_processors.config import WorkerSettings
from stream_processors.factory import create_app
from stream_processors.transport import READ_COMMITTED, ReadCommittedConsumerThread


def consumer_of(settings: WorkerSettings, shared: SharedSettings) -> object:
    """The aiokafka consumer the worker's consumer thread would start (nothing is contacted)."""

    async def build() -> object:
        app = create_app(settings, shared)
        thread = app.consumer._thread
        assert isinstance(thread, ReadCommittedConsumerThread)
        return thread._create_worker_consumer(app.transport)

    return asyncio.run(build())


def test_the_consumer_reads_committed_and_waits_at_most_the_setting(
    shared: SharedSettings,
) -> None:
    settings = WorkerSettings(PULSE_WORKER_FETCH_MAX_WAIT_MS=40)  # type: ignore[call-arg]
    consumer = consumer_of(settings, shared)
    assert consumer._isolation_level == READ_COMMITTED  # type: ignore[attr-defined]
    # Faust's own 1 500 ms held read_committed fetches that long with records waiting.
    assert consumer._fetch_max_wait_ms == 40  # type: ignore[attr-defined]


def test_the_default_fetch_wait_is_well_under_faust_s(
    settings: WorkerSettings, shared: SharedSettings
) -> None:
    consumer = consumer_of(settings, shared)
    assert consumer._fetch_max_wait_ms == settings.fetch_max_wait_ms == 100  # type: ignore[attr-defined]
