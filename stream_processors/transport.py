"""Faust's aiokafka transport, reading with ``isolation_level=read_committed``.

Faust picks ``read_committed`` only under ``processing_guarantee="exactly_once"``
(``AIOKafkaConsumerThread._create_worker_consumer``). The ingest API publishes inside Kafka
transactions, so an at-least-once worker must still never see aborted or open transactions.
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

READ_COMMITTED = "read_committed"


class ReadCommittedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """The stock consumer thread, with its consumer switched to read_committed before start."""

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka hands this attribute to its Fetcher in start(); it is the constructor's
        # ``isolation_level`` argument, which Faust does not let us pass.
        consumer._isolation_level = READ_COMMITTED
        return consumer


class ReadCommittedConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer using :class:`ReadCommittedConsumerThread`."""

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ReadCommittedConsumerThread(self, loop=self.loop, beacon=self.beacon)


class ReadCommittedTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport whose consumers read committed data only."""

    Consumer = ReadCommittedConsumer
