"""Bounded Prometheus label values for names that producers choose (``llm.call``'s ``model``).

Every distinct label value is a new time series in Prometheus; a producer sending a new model
name per call would grow the worker's memory and the server's without end. A
:class:`BoundedLabel` keeps a fixed set of values and counts everything else as ``other``.
"""

from __future__ import annotations

from collections.abc import Iterable

OTHER = "other"


class BoundedLabel:
    """Label values: the ``allowed`` ones, then the first others seen until ``limit`` values
    are in use; every later value maps to ``"other"``."""

    def __init__(self, allowed: Iterable[str], limit: int) -> None:
        self._allowed = frozenset(allowed)
        self._limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        """The label to record ``value`` under."""
        if value in self._allowed or value in self._seen:
            return value
        if len(self._allowed) + len(self._seen) < self._limit:
            self._seen.add(value)
            return value
        return OTHER
