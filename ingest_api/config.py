"""The ingest API's settings: environment variables (and ``.env``), read once, frozen."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from core.settings import SharedSettings
from ingest_api.cors import parse_origins

MEBIBYTE = 1024 * 1024
MIN_PSEUDONYMISE_KEY_CHARS = 32


class PublishMode(StrEnum):
    """How accepted events are written to Kafka (``PULSE_API_PUBLISH_MODE``); see
    ``ingest_api/README.md``. Both wait for acks=all before a 202."""

    # A Kafka transaction per group of requests: a 503 leaves nothing of the request visible
    # to read_committed consumers.
    TRANSACTIONAL = "transactional"
    # An idempotent producer, no transactions: a 503 may follow a partial write, which the
    # retry completes (event ids are deterministic, the facts tables keep one row per id).
    IDEMPOTENT = "idempotent"


class ApiSettings(SharedSettings):
    """Everything the ingest API reads from its environment.

    Kafka's address and the topic names are the shared ones (``KAFKA_BOOTSTRAP_SERVERS``,
    ``PULSE_EVENTS_TOPIC``, ``PULSE_DLQ_TOPIC``, ``PULSE_EVENTS_PARTITIONS``).
    """

    # hide_input_in_errors: a refused setting (a short key, say) is never echoed into logs.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    host: str = Field("127.0.0.1", alias="PULSE_API_HOST")
    port: int = Field(8000, alias="PULSE_API_PORT", ge=0, le=65535)
    api_keys: SecretStr = Field(SecretStr(""), alias="PULSE_API_KEYS")
    log_level: str = Field("INFO", alias="PULSE_API_LOG_LEVEL")

    max_body_bytes: int = Field(MEBIBYTE, alias="PULSE_API_MAX_BODY_BYTES", ge=1024)
    max_batch_events: int = Field(1000, alias="PULSE_API_MAX_BATCH_EVENTS", ge=1)

    rate_limit_per_second: float = Field(2000.0, alias="PULSE_API_RATE_LIMIT_PER_SECOND", gt=0)
    rate_limit_burst: int = Field(4000, alias="PULSE_API_RATE_LIMIT_BURST", ge=1)

    topic_replication: int = Field(1, alias="PULSE_KAFKA_TOPIC_REPLICATION", ge=1)
    kafka_transactional_id: str | None = Field(None, alias="PULSE_API_TRANSACTIONAL_ID")
    publish_mode: PublishMode = Field(PublishMode.TRANSACTIONAL, alias="PULSE_API_PUBLISH_MODE")
    # Groups written at once: transactional, one producer (transactional id) per group in flight.
    groups_in_flight: int = Field(4, alias="PULSE_API_GROUPS_IN_FLIGHT", ge=1, le=64)
    produce_timeout_s: float = Field(10.0, alias="PULSE_API_PRODUCE_TIMEOUT_S", gt=0)
    group_linger_ms: float = Field(0.0, alias="PULSE_API_GROUP_LINGER_MS", ge=0)
    group_max_events: int = Field(5000, alias="PULSE_API_GROUP_MAX_EVENTS", ge=1)
    max_pending_events: int = Field(50_000, alias="PULSE_API_MAX_PENDING_EVENTS", ge=1)
    kafka_linger_ms: int = Field(0, alias="PULSE_API_KAFKA_LINGER_MS", ge=0)
    kafka_retry_backoff_ms: int = Field(10, alias="PULSE_API_KAFKA_RETRY_BACKOFF_MS", ge=1)
    kafka_max_batch_bytes: int = Field(256 * 1024, alias="PULSE_API_KAFKA_MAX_BATCH_BYTES")
    readiness_cache_s: float = Field(1.5, alias="PULSE_API_READINESS_CACHE_S", ge=0)
    retry_after_s: int = Field(5, alias="PULSE_API_RETRY_AFTER_S", ge=1)

    body_timeout_s: float = Field(30.0, alias="PULSE_API_BODY_TIMEOUT_S", gt=0)
    limit_concurrency: int = Field(1000, alias="PULSE_API_LIMIT_CONCURRENCY", ge=1)
    pseudonymise_key: SecretStr | None = Field(None, alias="PULSE_PSEUDONYMISE_KEY")
    tls_certfile: Path | None = Field(None, alias="PULSE_API_TLS_CERTFILE")
    tls_keyfile: Path | None = Field(None, alias="PULSE_API_TLS_KEYFILE")
    # Browser producers' origins (comma list, or *); empty: no CORS headers at all.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field((), alias="PULSE_API_CORS_ORIGINS")

    _cors_origins = field_validator("cors_origins", mode="before")(parse_origins)

    # Platform sign-in (ingest_api/jwt_auth.py): JWTs verified against this JWKS (a file path
    # or an http(s) URL), beside API keys. Unset: only API keys are accepted.
    jwt_jwks: str | None = Field(None, alias="PULSE_JWT_JWKS")
    jwt_issuer: str | None = Field(None, alias="PULSE_JWT_ISSUER")
    jwt_audience: str | None = Field(None, alias="PULSE_JWT_AUDIENCE")
    jwt_role_claim: str = Field("role", alias="PULSE_JWT_ROLE_CLAIM", min_length=1)
    jwt_algorithms: str = Field("RS256,ES256", alias="PULSE_JWT_ALGORITHMS")
    jwt_leeway_s: float = Field(30.0, alias="PULSE_JWT_LEEWAY_S", ge=0)
    jwt_jwks_cache_s: float = Field(300.0, alias="PULSE_JWT_JWKS_CACHE_S", ge=0)
    jwt_jwks_min_refresh_s: float = Field(30.0, alias="PULSE_JWT_JWKS_MIN_REFRESH_S", ge=0)

    @field_validator("pseudonymise_key")
    @classmethod
    def _strong_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None or not key.get_secret_value():
            return None
        if len(key.get_secret_value()) < MIN_PSEUDONYMISE_KEY_CHARS:
            raise ValueError(
                f"PULSE_PSEUDONYMISE_KEY must be at least {MIN_PSEUDONYMISE_KEY_CHARS} "
                "characters: generate one with `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`"
            )
        return key

    @model_validator(mode="after")
    def _tls_pair(self) -> ApiSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError(
                "set both PULSE_API_TLS_CERTFILE and PULSE_API_TLS_KEYFILE to serve HTTPS, "
                "or neither to serve plain HTTP"
            )
        for path in (self.tls_certfile, self.tls_keyfile):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file {path} does not exist: check PULSE_API_TLS_* paths")
        return self


@lru_cache(maxsize=1)
def api_settings() -> ApiSettings:
    """The process's API settings, read once."""
    return ApiSettings()
