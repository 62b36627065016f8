"""Settings of the stream worker (environment and ``.env``), read once per process."""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import SharedSettings


class WorkerSettings(BaseSettings):
    """What the Faust worker needs besides the shared addresses (``core.settings``)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_id: str = Field("pulse-worker", alias="PULSE_WORKER_APP_ID", min_length=1)
    web_host: str = Field("127.0.0.1", alias="PULSE_WORKER_HOST")
    web_port: int = Field(6066, alias="PULSE_WORKER_PORT", ge=1, le=65535)
    store: str = Field("memory://", alias="PULSE_WORKER_STORE")
    log_level: str = Field("INFO", alias="PULSE_LOG_LEVEL")
    # Most events in one batch; a batch is what arrived while the previous one was stored, so
    # a quiet stream is flushed at once and only a backlog fills batches to this size.
    sink_max_rows: int = Field(20000, alias="PULSE_SINK_MAX_ROWS", ge=1)
    sink_retry_min_seconds: float = Field(0.2, alias="PULSE_SINK_RETRY_MIN_SECONDS", gt=0)
    sink_retry_max_seconds: float = Field(10.0, alias="PULSE_SINK_RETRY_MAX_SECONDS", gt=0)
    # Months one insert may touch; below ClickHouse's max_partitions_per_insert_block (100).
    sink_max_partitions: int = Field(90, alias="PULSE_SINK_MAX_PARTITIONS", ge=1)
    # Rollup keys of event days before today - this many (UTC) are recomputed together, at
    # most PULSE_ROLLUP_DEFER_SECONDS after the first (0: after every batch, as the others).
    rollup_defer_after_days: int = Field(1, alias="PULSE_ROLLUP_DEFER_AFTER_DAYS", ge=0)
    rollup_defer_seconds: float = Field(5.0, alias="PULSE_ROLLUP_DEFER_SECONDS", ge=0)
    # llm_* metrics label ``model`` by name for these models, plus the first others seen up
    # to the limit; any further model counts as "other", so producers cannot grow the series.
    llm_model_labels: str = Field("", alias="PULSE_LLM_MODEL_LABELS")
    llm_model_label_limit: int = Field(20, alias="PULSE_LLM_MODEL_LABEL_LIMIT", ge=0)
    rolling_dau_interval: float = Field(15.0, alias="PULSE_ROLLING_DAU_INTERVAL", gt=0)
    lag_interval: float = Field(5.0, alias="PULSE_LAG_INTERVAL", gt=0)
    session_timeout: float = Field(30.0, alias="PULSE_WORKER_SESSION_TIMEOUT", ge=6)
    # Static group membership (Kafka's group.instance.id): a worker restarted under the same id
    # takes its partitions back at once instead of waiting out its dead predecessor's session.
    # Empty: derived from the app id, the host name and the web port (unique per host, stable
    # across restarts); "-": dynamic membership.
    instance_id: str = Field("", alias="PULSE_WORKER_INSTANCE_ID")
    # Longest the broker may hold a fetch that found nothing new. Faust asks for 1 500 ms, and
    # read_committed fetches were held that long although committed records were waiting: at
    # 4 000 events/s the records came a 1.5 s lump at a time (docs/worker.md, "Freshness").
    fetch_max_wait_ms: int = Field(100, alias="PULSE_WORKER_FETCH_MAX_WAIT_MS", ge=1, le=30000)
    startup_timeout: float = Field(60.0, alias="PULSE_WORKER_STARTUP_TIMEOUT", gt=0)

    @property
    def llm_models(self) -> tuple[str, ...]:
        """The models always labelled by name (``PULSE_LLM_MODEL_LABELS``, a comma list)."""
        return tuple(m.strip() for m in self.llm_model_labels.split(",") if m.strip())

    def group_instance_id(self) -> str | None:
        """The consumer's ``group.instance.id``, or None for dynamic membership."""
        if self.instance_id == "-":
            return None
        return self.instance_id or f"{self.app_id}@{socket.gethostname()}:{self.web_port}"

    def faust_data_dir(self, shared: SharedSettings) -> Path:
        """Where Faust keeps its local state (table stores, the worker's lock)."""
        return shared.data_dir / "worker" / self.app_id


@lru_cache(maxsize=1)
def worker_settings() -> WorkerSettings:
    """The process's worker settings, read once."""
    return WorkerSettings()
