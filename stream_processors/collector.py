"""The worker's settings of Python's cyclic garbage collector.

A batch allocates a few objects per event (message, record, row values) that reference counting
frees; almost none form cycles. At Python's default threshold (700 allocations) the collector
ran every few dozen events, and with tens of thousands of messages pending in the inbox and a
batch's records alive together its older generations were traversed over and over: half of a
20,000-event batch's decoding time.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune() -> tuple[int, int, int]:
    """Move everything alive now out of the collector's view (``gc.freeze``) and collect young
    objects every ``THRESHOLDS[0]`` allocations; the thresholds before, for :func:`restore`."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return before


def restore(thresholds: tuple[int, int, int]) -> None:
    """Undo :func:`tune` (for a process that tuned the collector only for a while)."""
    gc.unfreeze()
    gc.set_threshold(*thresholds)
