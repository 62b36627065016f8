"""Settings of the local stack that `pulse up` / `pulse run` start on this machine."""

from __future__ import annotations

from urllib.parse import urlparse

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.layout import Layout

__all__ = ["Layout", "StackSettings", "host_port"]


class StackSettings(BaseSettings):
    """Which parts to start and where; addresses come from the shared settings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    start_kafka: bool = Field(True, alias="PULSE_START_KAFKA")
    start_clickhouse: bool = Field(True, alias="PULSE_START_CLICKHOUSE")
    api_host: str = Field("127.0.0.1", alias="PULSE_API_HOST")
    api_port: int = Field(8000, alias="PULSE_API_PORT")
    worker_port: int = Field(6066, alias="PULSE_WORKER_PORT")
    kafka_heap: str = Field("512m", alias="PULSE_KAFKA_HEAP")
    ready_timeout: float = Field(120.0, alias="PULSE_READY_TIMEOUT")


def host_port(address: str, default_port: int) -> tuple[str, int]:
    """``host:port`` (or a URL) split into its parts."""
    parsed = urlparse(address if "//" in address else f"//{address}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port
