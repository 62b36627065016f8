"""Settings every Pulse component shares: where Kafka and ClickHouse are, where data lives.

Components read their own settings (``ingest_api/config.py``, ``stream_processors/config.py``,
``clickhouse/config.py``); this module holds only what they have in common. Values come from the
environment and from ``.env`` in the working directory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EVENTS_TOPIC = "pulse.events.v1"
DLQ_TOPIC = "pulse.events.dlq"
# Dead letters are rare and read in order by `pulse dlq`: one partition, whoever creates it.
DLQ_PARTITIONS = 1


class SharedSettings(BaseSettings):
    """The outside of the stack: addresses, credentials and the data directory."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field("127.0.0.1:19092", alias="KAFKA_BOOTSTRAP_SERVERS")
    clickhouse_url: str = Field("http://127.0.0.1:8123", alias="CLICKHOUSE_URL")
    clickhouse_database: str = Field("pulse", alias="CLICKHOUSE_DATABASE")
    clickhouse_user: str = Field("default", alias="CLICKHOUSE_USER")
    clickhouse_password: SecretStr = Field(SecretStr(""), alias="CLICKHOUSE_PASSWORD")
    clickhouse_readonly_user: str = Field("analyst", alias="CLICKHOUSE_READONLY_USER")
    clickhouse_readonly_password: SecretStr = Field(
        SecretStr(""), alias="CLICKHOUSE_READONLY_PASSWORD"
    )
    data_dir: Path = Field(Path("data"), alias="PULSE_DATA_DIR")
    events_topic: str = Field(EVENTS_TOPIC, alias="PULSE_EVENTS_TOPIC")
    dlq_topic: str = Field(DLQ_TOPIC, alias="PULSE_DLQ_TOPIC")
    events_partitions: int = Field(6, alias="PULSE_EVENTS_PARTITIONS", ge=1)
    # Days of event time ClickHouse keeps (a TTL written when the tables are created); unset
    # keeps everything, since every accepted event counts however old. Read by whoever migrates.
    retention_days: int | None = Field(None, alias="PULSE_RETENTION_DAYS", ge=1)

    @property
    def dlq_partitions(self) -> int:
        """Partitions of the dead-letter topic when Pulse creates it."""
        return DLQ_PARTITIONS

    def topic_partitions(self) -> dict[str, int]:
        """``{topic: partitions}`` of the topics Pulse creates when they are missing."""
        return {self.events_topic: self.events_partitions, self.dlq_topic: self.dlq_partitions}


@lru_cache(maxsize=1)
def shared_settings() -> SharedSettings:
    """The process's shared settings, read once."""
    return SharedSettings()
