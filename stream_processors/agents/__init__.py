"""Faust agents, one per ClickHouse fact table; importing this package registers them all."""

from stream_processors.agents import (  # noqa: F401
    assignment_time,
    dau,
    events_store,
    llm_usage,
    subject_usage,
)
