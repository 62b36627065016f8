"""The testcontainers path: the same fixtures on Kafka and ClickHouse containers.

Used where a Docker engine exists (``PULSE_TEST_BACKEND=testcontainers make test``); where none
does, every test that needs it is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

NO_ENGINE = (
    "no Docker engine here: the testcontainers path needs one (the local broker and the "
    "embedded ClickHouse endpoint are used instead)"
)


def docker_engine_available() -> bool:
    """True when a Docker engine answers a ping."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - no client, no socket, no engine: all mean "no"
        return False
    return True


@contextmanager
def kafka_container() -> Iterator[str]:
    """A Kafka broker in a container (KRaft); its bootstrap address."""
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer().with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


@contextmanager
def clickhouse_container() -> Iterator[tuple[str, int]]:
    """A ClickHouse server in a container; host and HTTP port."""
    from testcontainers.clickhouse import ClickHouseContainer

    with ClickHouseContainer("clickhouse/clickhouse-server:25.8").with_exposed_ports(8123) as ch:
        yield ch.get_container_host_ip(), int(ch.get_exposed_port(8123))
