"""The base stream: sessions scheduled by each zone's local hour, merged into event-time order."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass

from pulse.workload.catalog import STUDENT_ACTIVITY, TEACHER_ACTIVITY
from pulse.workload.clock import DAY_MS, MINUTE_MS, SECOND_MS, local_hour
from pulse.workload.population import Population
from pulse.workload.sessions import (
    MEAN_SESSION_EVENTS,
    Draft,
    build_assignment_session,
    build_session,
)

BUCKET_MS = 5 * MINUTE_MS
_CURVES = {"student": STUDENT_ACTIVITY, "teacher": TEACHER_ACTIVITY}


@dataclass(frozen=True, slots=True)
class Window:
    """Event time ``[start_ms, end_ms)`` and the mean number of valid events per second."""

    start_ms: int
    end_ms: int
    events_per_second: float


def _session_id(rng: random.Random) -> str:
    return f"s-{rng.getrandbits(48):012x}"


def _midnight_starts(rng: random.Random, window: Window, per_midnight: int) -> list[int]:
    """Session starts 1-15 minutes before every UTC midnight in the window."""
    starts = []
    midnight = (window.start_ms // DAY_MS + 1) * DAY_MS
    while midnight < window.end_ms:
        for _ in range(per_midnight):
            starts.append(max(window.start_ms, midnight - rng.randint(60, 900) * SECOND_MS))
        midnight += DAY_MS
    return sorted(starts)


class _Scheduler:
    """Starts the sessions of each bucket; a heap holds each open session's next event."""

    def __init__(self, population: Population, rng: random.Random, events_per_s: float):
        self.population = population
        self.rng = rng
        self.heap: list[tuple[int, int, Draft, Iterator[Draft]]] = []
        self.seq = 0
        events_per_unit = sum(
            len(members) * sum(_CURVES[role]) / 24 * MEAN_SESSION_EVENTS[role]
            for (role, _), members in population.groups.items()
        )
        self.scale = events_per_s / events_per_unit

    def push(self, session: Iterator[Draft]) -> None:
        draft = next(session, None)
        if draft is not None:
            self.seq += 1
            heapq.heappush(self.heap, (draft.ts_ms, self.seq, draft, session))

    def fill_bucket(self, start: int, end: int) -> None:
        rng = self.rng
        for (role, offset), members in self.population.groups.items():
            weight = _CURVES[role][local_hour(start, offset)]
            expected = self.scale * (end - start) / SECOND_MS * len(members) * weight
            count = int(expected) + (rng.random() < expected % 1)
            for _ in range(count):
                user = rng.choice(members)
                self.push(build_session(rng, user, rng.randrange(start, end), _session_id(rng)))

    def pop_before(self, limit: int) -> Iterator[Draft]:
        while self.heap and self.heap[0][0] < limit:
            _, _, draft, session = heapq.heappop(self.heap)
            yield draft
            self.push(session)


def base_drafts(
    population: Population, rng: random.Random, window: Window, midnight_sessions: int = 0
) -> Iterator[Draft]:
    """Every valid event of the window, in event-time order, lazily (memory ~ open sessions).

    Sessions still running at the window's end are cut there: no event is at or after ``end``.
    """
    scheduler = _Scheduler(population, rng, window.events_per_second)
    forced = _midnight_starts(rng, window, midnight_sessions)
    for start in range(window.start_ms, window.end_ms, BUCKET_MS):
        end = min(start + BUCKET_MS, window.end_ms)
        scheduler.fill_bucket(start, end)
        while forced and forced[0] < end:
            user = rng.choice(population.users)
            scheduler.push(build_assignment_session(rng, user, forced.pop(0), _session_id(rng)))
        yield from scheduler.pop_before(end)
