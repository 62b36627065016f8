"""Settings of the local stack that `pulse up` / `pulse run` start on this machine.

Where the API and the worker listen is theirs to declare (``ingest_api.config.ApiSettings``,
``stream_processors.config.WorkerSettings``); the launcher reads those classes and declares only
what is its own: which parts to start, the broker's heap, how long to wait, the jar cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest_api.config import ApiSettings
from stream_processors.config import WorkerSettings

__all__ = ["CacheSettings", "StackSettings", "host_port"]

REPO_ROOT = Path(__file__).resolve().parents[2]


class StackSettings(BaseSettings):
    """Which parts to start and how; addresses come from the shared and component settings.

    Values given by name (``StackSettings(PULSE_API_PORT=8001)``) reach whichever class declares
    them: the launcher's own fields here, the API's and the worker's in :attr:`api` and
    :attr:`worker`.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    start_kafka: bool = Field(True, alias="PULSE_START_KAFKA")
    start_clickhouse: bool = Field(True, alias="PULSE_START_CLICKHOUSE")
    kafka_heap: str = Field("512m", alias="PULSE_KAFKA_HEAP")
    ready_timeout: float = Field(120.0, alias="PULSE_READY_TIMEOUT", gt=0)

    _api: ApiSettings = PrivateAttr()
    _worker: WorkerSettings = PrivateAttr()

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._api = ApiSettings(**values)
        self._worker = WorkerSettings(**values)

    @property
    def api(self) -> ApiSettings:
        """The API's settings as the started API will read them."""
        return self._api

    @property
    def worker(self) -> WorkerSettings:
        """The worker's settings as the started worker will read them."""
        return self._worker

    @property
    def api_host(self) -> str:
        return self._api.host

    @property
    def api_port(self) -> int:
        return self._api.port

    @property
    def worker_port(self) -> int:
        return self._worker.web_port


class CacheSettings(BaseSettings):
    """Where downloads the local stack needs (Kafka's jars) are kept between runs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    cache_dir: Path = Field(REPO_ROOT / ".cache", alias="PULSE_CACHE_DIR")


def host_port(address: str, default_port: int) -> tuple[str, int]:
    """``host:port`` (or a URL) split into its parts."""
    parsed = urlparse(address if "//" in address else f"//{address}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port
