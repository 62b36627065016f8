"""HTTP body compression as ClickHouse speaks it: lz4 (frame), zstd, gzip, deflate (zlib)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, Protocol

import lz4.frame
from backports import zstd

from clickhouse.server.errors import CANNOT_DECOMPRESS, UNKNOWN_COMPRESSION_METHOD, error

# The order a response prefers when the client accepts several.
RESPONSE_ENCODINGS = ("lz4", "zstd", "gzip", "deflate")


class Codec(Protocol):
    """A streaming (de)compressor: feed chunks, then flush the rest."""

    def feed(self, chunk: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _Identity:
    def feed(self, chunk: bytes) -> bytes:
        return chunk

    def flush(self) -> bytes:
        return b""


class _Lz4Encoder:
    def __init__(self) -> None:
        self._codec = lz4.frame.LZ4FrameCompressor()
        self._header: bytes = self._codec.begin()

    def feed(self, chunk: bytes) -> bytes:
        compressed: bytes = self._codec.compress(chunk)
        out, self._header = self._header + compressed, b""
        return out

    def flush(self) -> bytes:
        rest: bytes = self._codec.flush()
        return self._header + rest


class _ZstdEncoder:
    def __init__(self) -> None:
        self._codec = zstd.ZstdCompressor()

    def feed(self, chunk: bytes) -> bytes:
        return self._codec.compress(chunk, zstd.ZstdCompressor.FLUSH_BLOCK)

    def flush(self) -> bytes:
        return self._codec.flush()


class _ZlibEncoder:
    def __init__(self, wbits: int) -> None:
        self._codec = zlib.compressobj(wbits=wbits)

    def feed(self, chunk: bytes) -> bytes:
        return self._codec.compress(chunk) + self._codec.flush(zlib.Z_SYNC_FLUSH)

    def flush(self) -> bytes:
        return self._codec.flush()


class _Decoder:
    """Decompresses a body made of one or more concatenated frames (one per client block)."""

    def __init__(self, factory: Callable[[], Any], encoding: str) -> None:
        self._factory = factory
        self._codec = factory()
        self._encoding = encoding

    def feed(self, chunk: bytes) -> bytes:
        out = bytearray()
        try:
            while chunk:
                out += self._codec.decompress(chunk)
                if not self._codec.eof:
                    break
                chunk = self._codec.unused_data
                self._codec = self._factory()
        except Exception as exc:
            raise error(
                CANNOT_DECOMPRESS, f"Cannot decompress the {self._encoding} request body: {exc}"
            ) from exc
        return bytes(out)

    def flush(self) -> bytes:
        return b""


def decoder(content_encoding: str | None) -> Codec:
    """A decompressor for a request body sent with ``Content-Encoding``."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in {"", "identity", "none"}:
        return _Identity()
    if encoding == "lz4":
        return _Decoder(lz4.frame.LZ4FrameDecompressor, encoding)
    if encoding == "zstd":
        return _Decoder(zstd.ZstdDecompressor, encoding)
    if encoding in {"gzip", "x-gzip", "deflate"}:
        wbits = 15 if encoding == "deflate" else 47
        return _Decoder(lambda: zlib.decompressobj(wbits=wbits), encoding)
    raise error(
        UNKNOWN_COMPRESSION_METHOD,
        f"Unknown Content-Encoding {content_encoding!r}; send lz4, zstd, gzip, deflate or none",
    )


def response_encoding(accept_encoding: str | None) -> str | None:
    """The encoding to compress a response with, from the client's ``Accept-Encoding``."""
    accepted = {part.split(";")[0].strip().lower() for part in (accept_encoding or "").split(",")}
    return next((name for name in RESPONSE_ENCODINGS if name in accepted), None)


def encoder(encoding: str | None) -> Codec:
    """A streaming compressor for a response body in ``encoding`` (None: no compression)."""
    if encoding == "lz4":
        return _Lz4Encoder()
    if encoding == "zstd":
        return _ZstdEncoder()
    if encoding == "gzip":
        return _ZlibEncoder(31)
    if encoding == "deflate":
        return _ZlibEncoder(15)
    return _Identity()
