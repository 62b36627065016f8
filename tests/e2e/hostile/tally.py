"""The suite's running count of generated cases (events sent), for the terminal summary."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Events sent through the pipeline, their verdicts, and how long the rounds took."""

    requests: int = 0
    events: int = 0
    accepted: int = 0
    rejected: int = 0
    stored: int = 0
    dead_lettered: int = 0
    first: float | None = None
    last: float = field(default_factory=time.monotonic)

    def round(self, sent: int, accepted: int, rejected: int, stored: int, dead: int) -> None:
        """Count one request of generated events once its outcome has been checked."""
        now = time.monotonic()
        self.first = now if self.first is None else self.first
        self.last = now
        self.requests += 1
        self.events += sent
        self.accepted += accepted
        self.rejected += rejected
        self.stored += stored
        self.dead_lettered += dead

    def line(self) -> str:
        return (
            f"{self.events} generated events in {self.requests} requests: {self.accepted} "
            f"accepted ({self.stored} distinct ids stored, {self.dead_lettered} dead-lettered), "
            f"{self.rejected} rejected; {self.last - (self.first or self.last):.0f} s from first "
            "round to last"
        )


TALLY = Tally()
