"""How events travel: resent, held back, shuffled within a window, and mixed with bad ones.

The input is a stream in event-time order; each event gets a *release time* (its event time, plus
a jitter below ``disorder_window``, or a delay up to ``max_lateness`` if it is late) and events are
sent in release order. So an event is never sent after one more than ``disorder_window`` newer than
itself unless it is one of the late ones.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pulse.workload.clock import duration_ms
from pulse.workload.config import WorkloadConfig
from pulse.workload.invalid import make_invalid

Kind = Literal["original", "duplicate", "invalid"]


@dataclass(frozen=True, slots=True)
class Sent:
    """One event as sent, with why it is there (for tests; ``generate`` yields ``event`` only)."""

    event: dict[str, Any]
    kind: Kind
    historical: bool = False


def _copy(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "metadata": dict(event["metadata"])}


class _Releaser:
    """A heap of events keyed by release time."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, dict[str, Any], Kind]] = []
        self.seq = 0

    def hold(self, release_ms: int, event: dict[str, Any], kind: Kind) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (release_ms, self.seq, event, kind))

    def release(self, upto_ms: int | None) -> Iterator[tuple[dict[str, Any], Kind]]:
        while self.heap and (upto_ms is None or self.heap[0][0] <= upto_ms):
            _, _, event, kind = heapq.heappop(self.heap)
            yield event, kind


@dataclass(frozen=True, slots=True)
class _Delays:
    """The shaping knobs in milliseconds, read once instead of per event."""

    late_fraction: float
    late_ms: int
    disorder_ms: int
    duplicate_fraction: float
    resend_ms: int

    @classmethod
    def of(cls, config: WorkloadConfig) -> _Delays:
        return cls(
            config.late_fraction,
            duration_ms(config.max_lateness),
            duration_ms(config.disorder_window),
            config.duplicate_fraction,
            duration_ms(config.duplicate_delay),
        )

    def release_ms(self, rng: random.Random, ts_ms: int) -> int:
        if self.late_fraction and rng.random() < self.late_fraction:
            return ts_ms + int(rng.random() * self.late_ms)
        return ts_ms + int(rng.random() * self.disorder_ms)


def reorder(
    stream: Iterable[tuple[int, dict[str, Any]]], config: WorkloadConfig, rng: random.Random
) -> Iterator[tuple[dict[str, Any], Kind]]:
    """Apply lateness, disorder and duplicates to ``(event time ms, event)`` pairs in time order."""
    if not (config.late_fraction or config.disorder_window or config.duplicate_fraction):
        yield from ((event, "original") for _, event in stream)
        return
    releaser = _Releaser()
    delays = _Delays.of(config)
    for ts_ms, event in stream:
        release = delays.release_ms(rng, ts_ms)
        releaser.hold(release, event, "original")
        if "event_id" in event and rng.random() < delays.duplicate_fraction:
            resend = release + int(rng.random() * delays.resend_ms)
            releaser.hold(resend, _copy(event), "duplicate")
        if releaser.heap[0][0] <= ts_ms:
            yield from releaser.release(ts_ms)
    yield from releaser.release(None)


def sprinkle_invalid(
    stream: Iterable[tuple[dict[str, Any], Kind]],
    config: WorkloadConfig,
    rng: random.Random,
    historical: bool,
) -> Iterator[Sent]:
    """After each event maybe send a broken copy, so ``invalid_fraction`` of all sent are bad."""
    odds = config.invalid_fraction / (1 - config.invalid_fraction)
    for event, kind in stream:
        yield Sent(event, kind, historical)
        if odds and rng.random() < odds:
            yield Sent(make_invalid(event, rng, config.now), "invalid", historical)
