"""How a client batches, bounds its queue, retries and shuts down; defaults suit a web service."""

from __future__ import annotations

from dataclasses import dataclass, fields

from pulse_client.buffer import OVERFLOW_POLICIES, Overflow

SERVER_MAX_EVENTS = 1000  # the API's limit per request
SERVER_MAX_BYTES = 1 << 20  # the API's limit per request body, once gzip is undone


@dataclass(frozen=True)
class Options:
    """Every knob, with its default; pass any of them to ``Client(url, key, name=value)``."""

    max_batch_events: int = 1000  # a batch is sent when it holds this many events ...
    max_batch_bytes: int = 1_000_000  # ... or this many bytes of JSON (before gzip) ...
    linger: float = 0.5  # ... or this many seconds after the first event waits
    max_queue_events: int = 100_000  # the queue's bounds; beyond them, ``overflow`` applies
    max_queue_bytes: int = 64 << 20
    overflow: Overflow = "drop_newest"  # or "drop_oldest", or "block" (up to block_timeout)
    block_timeout: float = 1.0
    gzip: bool = True
    request_timeout: float = 10.0
    backoff_initial: float = 0.5  # retry delays double from here ...
    backoff_max: float = 30.0  # ... up to this (a longer Retry-After is honoured)
    max_retry_seconds: float | None = None  # None: retry a batch while the client is open
    shutdown_timeout: float = 10.0  # close() (and exit) waits this long to deliver the rest
    flush_at_exit: bool = True
    validate: bool = True  # check events where they are made (turn off only to test the server)

    def __post_init__(self) -> None:
        if not 1 <= self.max_batch_events <= SERVER_MAX_EVENTS:
            raise ValueError(f"max_batch_events must be 1..{SERVER_MAX_EVENTS}")
        if not 32 * 1024 + 2 <= self.max_batch_bytes <= SERVER_MAX_BYTES:
            raise ValueError(f"max_batch_bytes must be {32 * 1024 + 2}..{SERVER_MAX_BYTES}")
        if self.overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {OVERFLOW_POLICIES}")
        if self.max_queue_events < 1 or self.max_queue_bytes < 32 * 1024:
            raise ValueError("max_queue_events must be >= 1 and max_queue_bytes >= 32768")

    @classmethod
    def of(cls, **overrides: object) -> Options:
        """Options with ``overrides``; a misspelt name is a TypeError naming the valid ones."""
        names = {f.name for f in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(f"unknown option(s) {sorted(unknown)}; valid: {sorted(names)}")
        return cls(**overrides)  # type: ignore[arg-type]
