"""The ingest API's errors: one root, one class per way a request can fail.

The HTTP status of each lives at the edge (``ingest_api/handlers.py``), not here.
"""

from __future__ import annotations


class IngestError(Exception):
    """Root of every error the ingest API raises on purpose."""


class ConfigError(IngestError):
    """A setting cannot be used; the message names the variable and what to write instead."""


class InvalidBody(IngestError):
    """The body is not a JSON object or array of events."""


class BodyTimeout(IngestError):
    """The client did not send the whole body within the allowed time."""


class BodyTooLarge(IngestError):
    """The body (after gzip is undone) or the batch is over its limit."""


class UnsupportedMediaType(IngestError):
    """The body is not ``application/json`` or its encoding is not gzip/identity."""


class NotAuthenticated(IngestError):
    """No API key, or a key this API does not know."""


class NotAllowed(IngestError):
    """A known key whose role may not use this route."""


class RetryLater(IngestError):
    """The request may succeed if repeated after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """This key sent more requests than its rate allows."""


class KafkaUnavailable(RetryLater):
    """Kafka did not take the events in time; nothing of the request was stored."""
