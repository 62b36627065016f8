import asyncio
import gzip
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ingest_api.body import (
    ClientGone,
    GzipLimiter,
    check_content_type,
    check_declared_length,
    parse_events,
    read_limited,
    receive_within,
)
from ingest_api.exceptions import BodyTimeout, BodyTooLarge, InvalidBody, UnsupportedMediaType


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A small gzip stream that inflates to ``inflated_bytes`` zeros, built without holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(inflated_bytes // len(chunk))]
    return b"".join(parts) + compressor.flush()


def test_gzip_within_limit_is_inflated() -> None:
    limiter = GzipLimiter(limit=100)
    limiter.feed(gzip.compress(b'{"a": 1}'))
    assert limiter.finish() == b'{"a": 1}'


def test_gzip_bomb_is_refused_without_being_inflated() -> None:
    bomb = gzip_bomb(256 * 1024 * 1024)  # 256 MiB of zeros in about 256 KiB
    limiter = GzipLimiter(limit=1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match="1048576 bytes"):
            for offset in range(0, len(bomb), 65536):
                limiter.feed(bomb[offset : offset + 65536])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_gzip_exactly_at_the_limit_is_accepted() -> None:
    limiter = GzipLimiter(limit=1000)
    limiter.feed(gzip.compress(b"x" * 1000))
    assert len(limiter.finish()) == 1000


def test_truncated_gzip_is_invalid() -> None:
    limiter = GzipLimiter(limit=1000)
    limiter.feed(gzip.compress(b"x" * 500)[:-12])
    with pytest.raises(InvalidBody, match="truncated"):
        limiter.finish()


def test_garbage_announced_as_gzip_is_invalid() -> None:
    with pytest.raises(InvalidBody, match="not valid gzip"):
        GzipLimiter(limit=1000).feed(b"certainly not gzip")


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


@pytest.mark.anyio
async def test_plain_body_over_the_limit_is_too_large() -> None:
    with pytest.raises(BodyTooLarge):
        await read_limited(_chunks(b"x" * 5001), limit=5000, gzipped=False)


@pytest.mark.anyio
async def test_gzip_body_is_read_through_the_limiter() -> None:
    body = await read_limited(_chunks(gzip.compress(b"[1, 2]")), limit=5000, gzipped=True)
    assert body == b"[1, 2]"


@pytest.mark.parametrize(
    ("content_type", "encoding", "gzipped"),
    [
        ("application/json", None, False),
        ("application/json; charset=utf-8", "gzip", True),
        ("application/vnd.pulse+json", "identity", False),
    ],
)
def test_json_content_types_are_accepted(
    content_type: str, encoding: str | None, gzipped: bool
) -> None:
    assert check_content_type(content_type, encoding) is gzipped


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [("text/plain", None), (None, None), ("application/json", "br")],
)
def test_other_content_types_or_encodings_are_unsupported(
    content_type: str | None, encoding: str | None
) -> None:
    with pytest.raises(UnsupportedMediaType):
        check_content_type(content_type, encoding)


def test_object_body_is_one_event() -> None:
    assert parse_events(b'{"event": "a.b"}', max_events=10) == [{"event": "a.b"}]


@pytest.mark.parametrize("body", [b"{not json", b'"\xff\xfe"', b"42", b'"text"', b"null"])
def test_body_that_is_not_an_object_or_array_of_json_is_invalid(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        parse_events(body, max_events=10)


def test_array_over_the_event_limit_is_too_large() -> None:
    with pytest.raises(BodyTooLarge, match="at most 3"):
        parse_events(b"[{}, {}, {}, {}]", max_events=3)


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(BodyTooLarge):
        check_declared_length("2000000", 1024, gzipped=False)
    check_declared_length("1024", 1024, gzipped=False)
    check_declared_length("2000000", 1024, gzipped=True)  # gzip: the inflated size counts


def test_declared_length_that_is_not_a_number_is_invalid() -> None:
    with pytest.raises(InvalidBody, match="Content-Length"):
        check_declared_length("lots", 1024, gzipped=False)


def test_a_body_of_two_gzip_members_is_read_whole() -> None:
    limiter = GzipLimiter(limit=1000)
    limiter.feed(gzip.compress(b'[{"a": 1},') + gzip.compress(b'{"b": 2}]'))
    assert limiter.finish() == b'[{"a": 1},{"b": 2}]'


def test_gzip_members_split_anywhere_across_chunks_are_read_whole() -> None:
    body = gzip.compress(b"x" * 300) + gzip.compress(b"") + gzip.compress(b"y" * 300)
    for cut in range(1, len(body)):
        limiter = GzipLimiter(limit=1000)
        limiter.feed(body[:cut])
        limiter.feed(body[cut:])
        assert limiter.finish() == b"x" * 300 + b"y" * 300


def test_the_limit_counts_every_member_together() -> None:
    limiter = GzipLimiter(limit=1000)
    limiter.feed(gzip.compress(b"x" * 600))
    with pytest.raises(BodyTooLarge):
        limiter.feed(gzip.compress(b"y" * 600))


def test_a_second_member_that_is_a_bomb_is_refused_without_being_inflated() -> None:
    limiter = GzipLimiter(limit=1024 * 1024)
    with pytest.raises(BodyTooLarge):
        limiter.feed(gzip.compress(b"[]") + gzip_bomb(64 * 1024 * 1024))


def test_garbage_after_a_gzip_member_is_invalid_not_ignored() -> None:
    limiter = GzipLimiter(limit=1000)
    with pytest.raises(InvalidBody, match="not valid gzip"):
        limiter.feed(gzip.compress(b"[]") + b"trailing junk")


def test_a_truncated_second_member_is_invalid() -> None:
    limiter = GzipLimiter(limit=1000)
    limiter.feed(gzip.compress(b"[]") + gzip.compress(b"x" * 100)[:-6])
    with pytest.raises(InvalidBody, match="truncated"):
        limiter.finish()


def _receive(*messages: dict[str, Any], then_wait: bool = False) -> Any:
    """An ASGI ``receive`` giving ``messages`` in turn, then never answering (``then_wait``)."""
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        if then_wait:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


def _part(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


@pytest.mark.anyio
async def test_a_body_received_from_asgi_is_read_whole_or_in_parts_within_its_limits() -> None:
    assert await receive_within(_receive(_part(b"[1]")), 100, False, 5) == b"[1]"
    parts = _receive(_part(b"[1,", more=True), _part(b"", more=True), _part(b"2]"))
    assert await receive_within(parts, 100, False, 5) == b"[1,2]"
    packed = gzip.compress(b'{"a": 1}')
    assert await receive_within(_receive(_part(packed)), 100, True, 5) == b'{"a": 1}'
    halves = _receive(_part(packed[:5], more=True), _part(packed[5:]))
    assert await receive_within(halves, 100, True, 5) == b'{"a": 1}'
    with pytest.raises(BodyTooLarge):
        await receive_within(_receive(_part(b"x" * 101)), 100, False, 5)
    with pytest.raises(BodyTooLarge):
        await receive_within(_receive(_part(b"x" * 60, more=True), _part(b"x" * 60)), 100, False, 5)
    with pytest.raises(BodyTooLarge):
        await receive_within(_receive(_part(gzip_bomb(2 * 1024 * 1024))), 1024, True, 5)
    with pytest.raises(InvalidBody, match="truncated"):
        await receive_within(_receive(_part(packed[:-4])), 100, True, 5)


@pytest.mark.anyio
async def test_a_client_gone_before_its_whole_body_is_told_apart() -> None:
    with pytest.raises(ClientGone):
        await receive_within(_receive({"type": "http.disconnect"}), 100, False, 5)
    with pytest.raises(ClientGone):
        await receive_within(_receive(_part(b"[", more=True)), 100, False, 5)


@pytest.mark.anyio
async def test_a_body_received_too_slowly_from_asgi_is_a_timeout_and_cancels_nothing_else() -> None:
    started = time.monotonic()
    with pytest.raises(BodyTimeout, match="did not arrive within 0.2 s"):
        await receive_within(_receive(_part(b"[", more=True), then_wait=True), 100, False, 0.2)
    assert time.monotonic() - started < 5
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0  # the deadline's cancel was taken back
    await asyncio.sleep(0)  # and does not hit the request's next await
    # A body read in time leaves no deadline behind to fire later.
    assert await receive_within(_receive(_part(b"{}")), 100, False, 0.05) == b"{}"
    await asyncio.sleep(0.1)
