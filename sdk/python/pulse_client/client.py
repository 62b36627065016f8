"""``Client``: queue events from any thread; a background thread delivers them."""

from __future__ import annotations

import atexit
from types import TracebackType
from typing import Any

from pulse_client.buffer import Buffer
from pulse_client.encoding import Encoded
from pulse_client.helpers import EventMethods
from pulse_client.options import Options
from pulse_client.sender import Sender
from pulse_client.stats import Stats
from pulse_client.verdicts import Callback, Reporter


class Client(EventMethods):
    """A Pulse producer: ``Client(url, key).assignment_viewed("student-42", "hw-7", "math")``.

    Thread-safe. Events are validated at the call (``InvalidEvent`` names the field), queued
    (bounded; see ``Options.overflow``) and sent in gzipped batches by one background thread,
    which retries 408/429/5xx answers, timeouts and refused connections with backoff that
    honours ``Retry-After``, resending the same event ids so that nothing is stored twice.
    ``on_rejected`` receives each event the server refused; ``on_failed`` each one given up on.
    ``flush()`` waits for delivery; ``close()`` (also run at exit) delivers what is left.
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        source: str | None = None,
        on_rejected: Callback | None = None,
        on_failed: Callback | None = None,
        options: Options | None = None,
        **option_overrides: Any,
    ) -> None:
        self.options = options or Options.of(**option_overrides)
        self.stats = Stats()
        self._source, self._validate = source, self.options.validate
        report = Reporter(self.stats, on_rejected, on_failed)
        o = self.options
        self._buffer = Buffer(
            o.max_queue_events, o.max_queue_bytes, o.overflow, self.stats, report.dropped,
            o.block_timeout,
        )  # fmt: skip
        self._buffer.max_batch_hint = o.max_batch_events
        self._sender = Sender(url, key, self._buffer, o, self.stats, report)
        self._sender.start()
        if o.flush_at_exit:
            atexit.register(self.close)

    def _put(self, item: Encoded) -> bool:
        return self._buffer.put(item)

    def flush(self, timeout: float | None = None) -> bool:
        """Send all queued events now and wait until each is delivered, rejected or given up.

        False if ``timeout`` seconds passed first (the events stay queued and keep retrying).
        """
        target = self._buffer.request_flush()
        return self._buffer.wait_flushed(target, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued, for at most ``timeout`` s (``Options.shutdown_timeout``).

        Whatever is still unsent then is counted in ``stats.failed`` and logged. Idempotent.
        """
        atexit.unregister(self.close)
        if self._buffer.closed and not self._sender.is_alive():
            return
        self._buffer.close()
        self._sender.join(self.options.shutdown_timeout if timeout is None else timeout)
        if self._sender.is_alive():
            self._sender.abort.set()
            self._sender.join(self.options.request_timeout + 1)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
