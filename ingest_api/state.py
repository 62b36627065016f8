"""What one app instance holds: its settings, keys, limiter, metrics, publisher and Kafka probe."""

from __future__ import annotations

from dataclasses import dataclass

from ingest_api.auth import Authenticator, KeyRing
from ingest_api.config import ApiSettings
from ingest_api.jwt_auth import JwtVerifier
from ingest_api.metrics import ApiMetrics
from ingest_api.pseudonyms import Pseudonymiser
from ingest_api.publisher import GroupCommitPublisher
from ingest_api.ratelimit import RateLimiter
from ingest_api.readiness import KafkaProbe


@dataclass(frozen=True)
class ApiState:
    """The per-app objects routes reach through ``deps``."""

    settings: ApiSettings
    keyring: Authenticator
    limiter: RateLimiter
    metrics: ApiMetrics
    publisher: GroupCommitPublisher
    probe: KafkaProbe
    pseudonymise: Pseudonymiser

    @classmethod
    def build(cls, settings: ApiSettings) -> ApiState:
        """Everything an app needs, nothing connected yet (the lifespan starts the publisher)."""
        metrics = ApiMetrics()
        publisher = GroupCommitPublisher(settings, metrics)
        return cls(
            settings=settings,
            keyring=Authenticator(
                KeyRing.parse(settings.api_keys.get_secret_value()),
                JwtVerifier.from_settings(settings),
            ),
            limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
            metrics=metrics,
            publisher=publisher,
            probe=KafkaProbe(
                settings.kafka_bootstrap_servers,
                timeout=min(settings.produce_timeout_s, 3.0),
                cache_s=settings.readiness_cache_s,
                on_reachable=publisher.prepare,
            ),
            pseudonymise=Pseudonymiser(settings.pseudonymise_key),
        )
