"""Benchmark knobs (environment variables PULSE_BENCH_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BenchSettings(BaseSettings):
    """Sizes and durations of every section of `make bench`."""

    model_config = SettingsConfigDict(env_prefix="PULSE_BENCH_", frozen=True)

    seconds: float = Field(15.0, description="duration of each wrk run")
    freshness_rates: list[int] = Field(
        [20], description="steady events/s of the freshness runs (half the maximum is added)"
    )
    freshness_seconds: float = Field(15.0, description="duration of each freshness run")
    kafka_records: int = 300_000
    concurrency: dict[int, int] = Field(
        {1: 32, 100: 16, 1000: 8}, description="wrk connections by events per request"
    )
    worker_events: int = Field(200_000, ge=1, description="events pre-loaded for one worker")
    worker_users: int = Field(5_000, ge=1, description="users of the worker section's workload")
    worker_timeout: float = Field(900.0, gt=0, description="s allowed for the worker to sink all")
    query_events: int = Field(10_000_000, ge=1, description="events generated in ClickHouse")
    query_users: int = Field(200_000, ge=1, description="users of the generated events")
    query_days: int = Field(35, ge=31, le=80, description="days of event time (within retention)")
    query_runs: int = Field(5, ge=1, description="timed runs of each query, after one warm-up")
    endpoint_iterations: int = Field(500, ge=10, description="small queries timed per path")
    endpoint_rows: int = Field(1_000_000, ge=1, description="rows of the insert/select runs")
    endpoint_runs: int = Field(3, ge=1, description="insert/select repetitions (median kept)")
