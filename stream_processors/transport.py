"""Faust's aiokafka transport, reading with ``isolation_level=read_committed``, whole fetches
at a time.

Faust picks ``read_committed`` only under ``processing_guarantee="exactly_once"``
(``AIOKafkaConsumerThread._create_worker_consumer``). The ingest API publishes inside Kafka
transactions, so an at-least-once worker must still never see aborted or open transactions.

Faust hands each fetched message to its topic's streams one by one (a lock, a decode, an
``Event``, a queue and a task per message: most of a worker's time at thousands per second).
For the topics in ``batch_inboxes`` the consumer instead puts each whole fetch into an
:class:`~stream_processors.inbox.Inbox`, which the batch loop drains; everything else of Faust's
consumer - the group, rebalances, read offsets, gaps, acks and commits - stays as it is.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiokafka
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message
from mode import Service

from stream_processors.inbox import Inbox

READ_COMMITTED = "read_committed"


class ReadCommittedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """The stock consumer thread, with its consumer switched to read_committed, and its fetches'
    longest wait set to the app's ``fetch_max_wait_ms``, before start."""

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands these attributes to its Fetcher in start(); they are the constructor's
        # ``isolation_level`` and ``fetch_max_wait_ms`` arguments, which Faust does not let us
        # pass (it asks for 1 500 ms).
        consumer._isolation_level = READ_COMMITTED
        consumer._fetch_max_wait_ms = transport.app.fetch_max_wait_ms
        return consumer


class ReadCommittedConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer using :class:`ReadCommittedConsumerThread`, delivering the
    messages of the app's ``batch_inboxes`` topics a whole fetch at a time."""

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ReadCommittedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - needs Kafka
        """Faust's fetch loop (``Consumer._drain_messages``), one inbox put per fetch."""
        inboxes: dict[str, Inbox] = getattr(self.app, "batch_inboxes", {})
        consumer_should_stop = cast(Service, self)._stopped.is_set
        fetcher_should_stop = cast(Service, fetcher)._stopped.is_set
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                fetched = await self._fetch(timeout=1.0)
                await self.sleep(0)
                if not self.should_stop:
                    await self._deliver(fetched, inboxes)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _fetch(self, timeout: float) -> list[tuple[TP, list[Message]]]:
        """One fetch as Faust's ``getmany`` makes it, a partition's records at a time (its
        per-record checks of flow and generation cannot change within one synchronous pass)."""
        records, active = await self._wait_next_records(timeout)
        if records is None or self.should_stop:
            return []
        if not self.flow_active:
            try:
                await self.perform_seek()  # as getmany: back to the committed offsets
            except Exception as exc:  # noqa: BLE001 - as getmany: logged, retried next fetch
                self.log.warning(f"exception performing seek when flow not active {exc}")
            return []
        fetched: list[tuple[TP, list[Message]]] = []
        for tp, partition_records in records.items():
            if active is None or tp in active or tp in self._buffered_partitions:
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                fetched.append((tp, [self._to_message(tp, r) for r in partition_records]))
        return fetched

    async def _deliver(
        self, fetched: list[tuple[TP, list[Message]]], inboxes: dict[str, Inbox]
    ) -> None:
        """Keep Faust's read offsets and gaps for each new message, then deliver the fetch."""
        read_offset = self._read_offset
        batches: dict[str, list[Message]] = {}
        for tp, messages in fetched:
            inbox = inboxes.get(tp.topic)
            acking = self.app.topics.acks_enabled_for(tp.topic)
            fresh = []
            for message in messages:
                offset = message.offset
                last = read_offset[tp]
                if last is not None and offset < last:
                    continue  # already read: Faust drops these too
                if last and offset - last > 1 and acking:
                    await self._add_gap(tp, last + 1, offset)
                if inbox is None:
                    await self.wait_first(self.callback(message), self.suspend_flow.wait())
                else:
                    fresh.append(message)
                read_offset[tp] = offset
            if inbox is not None:
                batches.setdefault(tp.topic, []).extend(fresh)
        if self._commit_every is not None and self._n_acked >= self._commit_every:
            self._n_acked = 0
            await self.commit()
        for topic, messages in batches.items():
            await self.wait_first(inboxes[topic].put(messages), self.suspend_flow.wait())


class ReadCommittedTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport whose consumers read committed data only."""

    Consumer = ReadCommittedConsumer
