"""Benchmark knobs (environment variables PULSE_BENCH_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PULSE_BENCH_", frozen=True)

    seconds: float = Field(10.0, description="duration of each ingest load run")
    freshness_rate: int = Field(400, description="events/s posted during the freshness run")
    freshness_seconds: float = 15.0
    kafka_records: int = 300_000
    record_size: int = Field(360, description="bytes, about one EventRecord as JSON")
    concurrency: dict[int, int] = {1: 16, 100: 8, 1000: 4}
