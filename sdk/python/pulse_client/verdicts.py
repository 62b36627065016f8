"""The server's per-event verdicts, counted and passed to the caller's callbacks and the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulse_client.encoding import Encoded
from pulse_client.stats import Stats

log = logging.getLogger("pulse_client")


@dataclass(frozen=True)
class Rejection:
    """An event the client gave up on: refused by the server's verdict, or failed to send.

    ``status`` is ``"rejected"`` (the server's ``error`` says which field to fix) or
    ``"failed"`` (``error`` says why it was never delivered: a bad key, the retry budget...).
    """

    event_id: str
    event: str
    error: str
    status: str = "rejected"


Callback = Callable[[Rejection], None]


class Reporter:
    """Turns outcomes into counts, log lines and callback calls; a failing callback is logged."""

    def __init__(self, stats: Stats, on_rejected: Callback | None, on_failed: Callback | None):
        self.stats, self.on_rejected, self.on_failed = stats, on_rejected, on_failed

    def _call(self, callback: Callback | None, rejection: Rejection) -> None:
        if callback is None:
            return
        try:
            callback(rejection)
        except Exception:
            log.exception("pulse_client: the %s callback raised", rejection.status)

    def delivered(self, batch: list[Encoded], results: list[dict[str, Any]]) -> None:
        verdicts = {int(r.get("index", -1)): r for r in results}
        accepted = 0
        for index, item in enumerate(batch):
            verdict = verdicts.get(index)
            if verdict is None:
                self.failed([item], "the server's answer has no verdict for this event")
            elif verdict.get("status") == "accepted":
                accepted += 1
            else:
                error = str(verdict.get("error", "rejected"))
                self.stats.add(rejected=1)
                log.warning("pulse rejected %s event %s: %s", item.event, item.event_id, error)
                self._call(self.on_rejected, Rejection(item.event_id, item.event, error))
        self.stats.add(delivered=accepted)

    def failed(self, batch: list[Encoded], reason: str) -> None:
        if not batch:
            return
        self.stats.add(failed=len(batch))
        log.error("pulse_client gave up on %d event(s): %s", len(batch), reason)
        for item in batch:
            self._call(self.on_failed, Rejection(item.event_id, item.event, reason, "failed"))

    def dropped(self, count: int) -> None:
        total = self.stats.dropped
        if total == count or total % 1000 < count:  # the first, then one line per 1000
            log.warning(
                "pulse_client queue is full: %d event(s) dropped so far (client.stats.dropped)",
                total,
            )
