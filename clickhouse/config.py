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
        return self

    @property
    def tls(self) -> bool:
        """True when the endpoint serves HTTPS."""
        return self.certfile is not None


@lru_cache(maxsize=1)
def endpoint_settings() -> EndpointSettings:
    """The endpoint's settings from the environment and ``.env``, read once."""
    return EndpointSettings()  # type: ignore[call-arg]
