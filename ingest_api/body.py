"""Reading a request body within limits: content type, gzip undone as it streams, JSON once.

A gzip body is inflated chunk by chunk with a bounded output size, so a small "gzip bomb" is
refused as soon as its output passes the limit, without ever being held in memory.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

from ingest_api.exceptions import BodyTimeout, BodyTooLarge, InvalidBody, UnsupportedMediaType

_GZIP_WBITS = 16 + zlib.MAX_WBITS


def check_content_type(content_type: str | None, content_encoding: str | None) -> bool:
    """Validate the headers; return True when the body is gzip-compressed."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    is_json = media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )
    if not is_json:
        raise UnsupportedMediaType(
            f"Content-Type must be application/json, not {media or 'missing'!r}"
        )
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported: send gzip or no encoding"
        )
    return encoding == "gzip"


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"body is larger than {limit} bytes (after gzip is undone): split it into smaller batches"
    )


class GzipLimiter:
    """Inflates gzip data fed in chunks, refusing once the output would pass ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._out = bytearray()

    def feed(self, chunk: bytes) -> None:
        """Inflate one chunk of compressed input; raise :class:`BodyTooLarge` past the limit.

        A body of several gzip members (RFC 1952 allows it; ``cat a.gz b.gz``) is read whole:
        each member's output follows the previous one's, under the same limit.
        """
        data = chunk
        while data:
            if self._inflater.eof:
                self._inflater = zlib.decompressobj(_GZIP_WBITS)
            room = self._limit + 1 - len(self._out)
            try:
                self._out += self._inflater.decompress(data, room)
            except zlib.error as exc:
                raise InvalidBody(f"body is not valid gzip: {exc}") from None
            if len(self._out) > self._limit:
                raise _too_large(self._limit)
            data = self._inflater.unconsumed_tail or self._inflater.unused_data

    def finish(self) -> bytes:
        """The whole inflated body; :class:`InvalidBody` if the gzip stream was cut short."""
        if not self._inflater.eof:
            raise InvalidBody("body is not valid gzip: the stream is truncated")
        return bytes(self._out)


def check_declared_length(content_length: str | None, limit: int, gzipped: bool) -> None:
    """Refuse at once a plain body whose ``Content-Length`` already says it is over ``limit``."""
    if gzipped or content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError:
        raise InvalidBody(f"Content-Length {content_length[:32]!r} is not a number") from None
    if declared > limit:
        raise _too_large(limit)


class ClientGone(Exception):
    """The client closed the connection before its whole body arrived."""


async def receive_within(
    receive: Callable[[], Awaitable[Any]], limit: int, gzipped: bool, timeout_s: float
) -> bytes:
    """The body of an ASGI request read from ``receive``: at most ``limit`` bytes once gzip (if
    any) is undone (:func:`read_limited`), refused with :class:`BodyTimeout` if not whole within
    ``timeout_s`` (a client trickling its body a byte at a time holds a connection and a buffer;
    the deadline bounds both), :class:`ClientGone` when the client disconnects first.

    Little machinery per request: the usual body arrives whole in one ASGI message, and the
    deadline is one timer handle rather than an ``asyncio.timeout`` context.
    """
    task = asyncio.current_task()
    assert task is not None
    cancelling = task.cancelling()
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    deadline = asyncio.get_running_loop().call_later(timeout_s, expire)
    try:
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            body: bytes = message.get("body", b"")  # the usual case: the whole body at once
            if gzipped:
                inflater = GzipLimiter(limit)
                inflater.feed(body)
                return inflater.finish()
            if len(body) > limit:
                raise _too_large(limit)
            return body
        return await read_limited(_messages(receive, message), limit, gzipped)
    except asyncio.CancelledError:
        if expired and task.uncancel() <= cancelling:
            raise BodyTimeout(
                f"the body did not arrive within {timeout_s:g} s: send it faster, or in "
                "smaller batches"
            ) from None
        raise
    finally:
        deadline.cancel()


async def _messages(receive: Callable[[], Awaitable[Any]], first: Any) -> AsyncIterator[bytes]:
    """The body chunks of ``first`` and the messages after it, up to the last one."""
    message = first
    while True:
        if message["type"] == "http.disconnect":
            raise ClientGone
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
        message = await receive()


async def read_limited(chunks: AsyncIterator[bytes], limit: int, gzipped: bool) -> bytes:
    """Read a body from ``chunks``, at most ``limit`` bytes once gzip (if any) is undone."""
    if gzipped:
        inflater = GzipLimiter(limit)
        async for chunk in chunks:
            inflater.feed(chunk)
        return inflater.finish()
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def parse_events(body: bytes, max_events: int) -> list[Any]:
    """The items of a body holding one event (an object) or a JSON array of events."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"body is not valid UTF-8 JSON: {exc}") from None
    if isinstance(payload, dict):
        return [payload]
    if not isinstance(payload, list):
        raise InvalidBody("body must be one event (a JSON object) or a JSON array of events")
    if len(payload) > max_events:
        raise BodyTooLarge(
            f"batch holds {len(payload)} events, at most {max_events} are allowed: split it"
        )
    return payload
