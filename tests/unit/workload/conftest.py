"""Small workloads shared by the generator's tests (a few thousand events each)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pulse.workload import Sent, WorkloadConfig, generate_sent

# A fixed anchor, never the wall clock: the activity curves follow the hour of day, so a window
# ending at "now" would give a different stream (and count) at every run.
NOW = datetime(2026, 11, 20, 20, 3, tzinfo=UTC)


def small(**knobs: Any) -> WorkloadConfig:
    """A day of 150 users at about 0.1 event/s, ending at ``NOW``, with ``knobs`` on top."""
    return WorkloadConfig(**{"users": 150, "rate": 0.1, "seed": 7, "now": NOW, **knobs})


@pytest.fixture(scope="module")
def messy() -> list[Sent]:
    """Duplicates, disorder, late and invalid events, missing ids and a historical import."""
    config = small(
        duplicate_fraction=0.1,
        disorder_window="PT1H",
        late_fraction=0.02,
        invalid_fraction=0.05,
        missing_event_id_fraction=0.05,
        historical_fraction=0.2,
    )
    return list(generate_sent(config))
