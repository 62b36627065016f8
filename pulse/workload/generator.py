"""The synthetic workload: a seeded, streaming generator of learning-platform events."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from loguru import logger

from pulse.workload.catalog import SOURCES
from pulse.workload.clock import duration_ms, format_timestamp, to_ms
from pulse.workload.config import WorkloadConfig
from pulse.workload.ids import random_uuid4
from pulse.workload.population import Population, build_population
from pulse.workload.schedule import Window, base_drafts
from pulse.workload.sessions import Draft
from pulse.workload.shaping import Sent, reorder, sprinkle_invalid

MIDNIGHT_SESSIONS_PER_USERS = 50


def _rng(config: WorkloadConfig, stream: str) -> random.Random:
    return random.Random(f"pulse-workload:{config.seed}:{stream}")  # noqa: S311 - not crypto


def _render(draft: Draft, rng: random.Random, config: WorkloadConfig) -> dict[str, Any]:
    event_id = random_uuid4(rng)
    utc_z = rng.random() < config.utc_z_fraction
    keep_id = rng.random() >= config.missing_event_id_fraction
    event: dict[str, Any] = {"event_id": event_id} if keep_id else {}
    event["event"] = draft.event
    event["user_id"] = draft.user.user_id
    event["timestamp"] = format_timestamp(draft.ts_ms, draft.user.offset_min, utc_z)
    event["source"] = draft.user.source
    event["session_id"] = draft.session_id
    event["metadata"] = draft.metadata
    return event


def _valid_events(
    config: WorkloadConfig, population: Population, window: Window, stream: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Valid events of ``window`` in event-time order, as ``(event time ms, event)``."""
    midnight = max(1, config.users // MIDNIGHT_SESSIONS_PER_USERS) if config.cross_midnight else 0
    ids = _rng(config, f"{stream}:ids")
    for draft in base_drafts(population, _rng(config, stream), window, midnight):
        yield draft.ts_ms, _render(draft, ids, config)


def _shaped(
    config: WorkloadConfig, population: Population, window: Window, stream: str
) -> Iterator[Sent]:
    valid = _valid_events(config, population, window, stream)
    reordered = reorder(valid, config, _rng(config, f"{stream}:shape"))
    yield from sprinkle_invalid(
        reordered, config, _rng(config, f"{stream}:invalid"), stream == "history"
    )


def _windows(config: WorkloadConfig) -> tuple[Window, Window | None]:
    start, end = config.window()
    main = Window(to_ms(start), to_ms(end), config.events_per_second())
    if not config.historical_fraction:
        return main, None
    age = duration_ms(config.historical_age)
    rate = main.events_per_second * config.historical_fraction
    return main, Window(main.start_ms - age, main.end_ms - age, rate)


def generate_sent(config: WorkloadConfig) -> Iterator[Sent]:
    """Every event in sending order, each tagged original / duplicate / invalid and historical.

    The historical import (events ``historical_age`` older than the window) is sent after all
    newer traffic. ``limit`` cuts the stream after exactly that many events.
    """
    population = build_population(
        _rng(config, "population"), config.users, config.teacher_fraction, SOURCES
    )
    main, history = _windows(config)
    logger.debug(
        "workload window {} .. {} ms, {:.3f} events/s",
        main.start_ms,
        main.end_ms,
        main.events_per_second,
    )
    stream: Iterator[Sent] = _shaped(config, population, main, "main")
    if history is not None:
        stream = itertools.chain(stream, _shaped(config, population, history, "history"))
    if config.limit is not None:
        stream = itertools.islice(stream, config.limit)
    return stream


def generate(config: WorkloadConfig) -> Iterator[dict[str, Any]]:
    """The workload as event dicts, exactly as a producer would send them, in sending order.

    Deterministic: the same config (including ``seed`` and ``now``) yields the same events.
    Streaming: memory stays bounded by open sessions and the shaping windows, not by length.
    """
    return (sent.event for sent in generate_sent(config))


def expected_events(config: WorkloadConfig) -> int:
    """About how many valid events the main window holds (for progress bars and sizing)."""
    start, end = config.window()
    return round(config.events_per_second() * (end - start) / timedelta(seconds=1))
