"""Small pure helpers for timings: percentiles, summaries, ratios, a stopwatch."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def quantile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of ``values``; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 (and the run count) of durations in seconds, reported in milliseconds."""
    return {
        "runs": len(seconds),
        "p50_ms": round(quantile(seconds, 0.50) * 1000, 3),
        "p95_ms": round(quantile(seconds, 0.95) * 1000, 3),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` to 3 decimals, None when the denominator is zero."""
    return round(numerator / denominator, 3) if denominator else None


def rate(count: float, seconds: float) -> float:
    """``count`` per second, to one decimal; 0.0 for a zero duration."""
    return round(count / seconds, 1) if seconds > 0 else 0.0


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Run ``action`` once; its wall-clock duration in seconds and its result."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def repeat(action: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    """Durations of ``runs`` calls of ``action`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        action()
    return [timed(action)[0] for _ in range(runs)]


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (0.0 when empty)."""
    return float(statistics.median(values)) if values else 0.0
