"""Settings of the embedded ClickHouse endpoint (chDB behind ClickHouse's HTTP interface).

Credentials use the same environment names as ``pulse/settings.py`` so that the endpoint and its
clients agree without extra wiring. The command line (``python -m clickhouse.server``) overrides
host, port, data directory and TLS files.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clickhouse.exceptions import EndpointConfigError

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class EndpointSettings(BaseSettings):
    """Where the endpoint listens, where chDB keeps its data, and who may use it."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    host: str = Field("127.0.0.1", alias="CLICKHOUSE_HTTP_HOST")
    port: int = Field(8123, alias="CLICKHOUSE_HTTP_PORT", ge=1, le=65535)
    data_dir: Path = Field(Path("data/clickhouse"), alias="CLICKHOUSE_DATA_DIR")
    user: str = Field("default", alias="CLICKHOUSE_USER")
    password: SecretStr = Field(SecretStr(""), alias="CLICKHOUSE_PASSWORD")
    readonly_user: str = Field("analyst", alias="CLICKHOUSE_READONLY_USER")
    readonly_password: SecretStr = Field(SecretStr(""), alias="CLICKHOUSE_READONLY_PASSWORD")
    certfile: Path | None = Field(None, alias="CLICKHOUSE_TLS_CERTFILE")
    keyfile: Path | None = Field(None, alias="CLICKHOUSE_TLS_KEYFILE")
    session_timeout: int = Field(60, alias="CLICKHOUSE_SESSION_TIMEOUT", ge=1)
    max_session_timeout: int = Field(3600, alias="CLICKHOUSE_MAX_SESSION_TIMEOUT", ge=1)
    display_name: str = Field("pulse-chdb", alias="CLICKHOUSE_DISPLAY_NAME")
    # Limits every analyst query runs under; the analyst cannot raise them (SETTINGS, SET, URL).
    # The API's streamed exports run as the analyst too, hence results of tens of millions of rows.
    analyst_max_execution_time: int = Field(
        300, alias="CLICKHOUSE_ANALYST_MAX_EXECUTION_TIME", ge=1
    )
    analyst_max_memory_usage: int = Field(
        2 << 30, alias="CLICKHOUSE_ANALYST_MAX_MEMORY_USAGE", ge=1 << 20
    )
    analyst_max_result_rows: int = Field(
        50_000_000, alias="CLICKHOUSE_ANALYST_MAX_RESULT_ROWS", ge=1
    )
    analyst_max_result_bytes: int = Field(
        8 << 30, alias="CLICKHOUSE_ANALYST_MAX_RESULT_BYTES", ge=1 << 10
    )
    # Threads for analyst queries, apart from the writer's, so they never delay the worker.
    analyst_threads: int = Field(8, alias="CLICKHOUSE_ANALYST_THREADS", ge=1)
    writer_threads: int = Field(64, alias="CLICKHOUSE_WRITER_THREADS", ge=1)
    max_sessions: int = Field(256, alias="CLICKHOUSE_MAX_SESSIONS", ge=1)
    # A statement read from the URL and body (not an INSERT's data) and a form request.
    max_query_bytes: int = Field(1 << 20, alias="CLICKHOUSE_MAX_QUERY_BYTES", ge=1 << 10)
    max_form_bytes: int = Field(64 << 20, alias="CLICKHOUSE_MAX_FORM_BYTES", ge=1 << 10)

    @model_validator(mode="after")
    def _check(self) -> EndpointSettings:
        if (self.certfile is None) != (self.keyfile is None):
            raise EndpointConfigError(
                "TLS needs both a certificate and a key: set CLICKHOUSE_TLS_CERTFILE and "
                "CLICKHOUSE_TLS_KEYFILE (or --certfile and --keyfile), or neither"
            )
        if self.user == self.readonly_user:
            raise EndpointConfigError(
                f"CLICKHOUSE_USER and CLICKHOUSE_READONLY_USER are both {self.user!r}: "
                "give the read-only account its own name"
            )
        self._check_exposure()
        return self

    def _check_exposure(self) -> None:
        if self.host in _LOOPBACK:
            return
        empty = [
            name
            for name, secret in ((self.user, self.password),
                                 (self.readonly_user, self.readonly_password))
            if not secret.get_secret_value()
        ]  # fmt: skip
        if empty:
            raise EndpointConfigError(
                f"refusing to listen on {self.host}: account(s) {', '.join(empty)} have an empty "
                "password; set CLICKHOUSE_PASSWORD and CLICKHOUSE_READONLY_PASSWORD (pulse "
                "generates both into .env on first run) or bind 127.0.0.1"
            )

    def analyst_limits(self) -> dict[str, str]:
        """The settings every analyst query runs under (result overflow throws, not truncates)."""
        return {
            "max_execution_time": str(self.analyst_max_execution_time),
            "timeout_overflow_mode": "throw",
            "max_memory_usage": str(self.analyst_max_memory_usage),
            "max_result_rows": str(self.analyst_max_result_rows),
            "max_result_bytes": str(self.analyst_max_result_bytes),
            "result_overflow_mode": "throw",
        }

    @property
    def tls(self) -> bool:
        """True when the endpoint serves HTTPS."""
        return self.certfile is not None


class SchemaSettings(BaseSettings):
    """How the migrations are rendered: for one server (unset) or for a ClickHouse cluster."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    # The cluster's name in the servers' remote_servers (or a macro such as {cluster}): every
    # migration then runs ON CLUSTER, storage is Replicated*MergeTree under Distributed tables.
    cluster: str | None = Field(None, alias="PULSE_CLICKHOUSE_CLUSTER")


@lru_cache(maxsize=1)
def schema_settings() -> SchemaSettings:
    """The migrations' settings from the environment and ``.env``, read once."""
    return SchemaSettings()


@lru_cache(maxsize=1)
def endpoint_settings() -> EndpointSettings:
    """The endpoint's settings from the environment and ``.env``, read once."""
    return EndpointSettings()
