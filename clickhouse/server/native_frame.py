"""Re-framing chDB's Native output for clients that ask for a protocol revision.

chDB writes Native as a ClickHouse server does for ``client_protocol_version=0``: per block the
number of columns and rows, then per column its name, type and data. A client that sends a
revision (clickhouse-go always sends 54460) reads, as from a server's ``NativeWriter``:

- revision > 0: a ``BlockInfo`` before each block: field 1 ``is_overflows`` (0), field 2
  ``bucket_num`` (Int32 -1), field 3 ``out_of_order_buckets`` (an empty list) from 54480, then 0;
- revision >= 54454: one serialization-kind byte after each column's type (0: default);
- revision < 54337: ``DateTime`` without its time zone at the top of a type name.

The walker below copies each column's data through untouched: it only measures it, from the
type (read in its binary encoding, which keeps every parameter) and the number of rows.
"""

from __future__ import annotations

import struct

from clickhouse.server.engine import ResultStream, Summary
from clickhouse.server.errors import BAD_ARGUMENTS, UNKNOWN_EXCEPTION, error
from clickhouse.server.native_types import (
    Incomplete,
    NativeType,
    read_str,
    read_type,
    read_varint,
    unsupported,
)

WITH_DATETIME_TIMEZONE = 54337
WITH_CUSTOM_SERIALIZATION = 54454
WITH_OUT_OF_ORDER_BUCKETS = 54480
_HAS_ADDITIONAL_KEYS = 1 << 9
_NEEDS_GLOBAL_DICTIONARY = 1 << 8
_U64 = struct.Struct("<Q")


# Re-framed from here up: clickhouse-go sends 54460. clickhouse-connect probes with 54405 and,
# finding no block information, stays on its revision-0 path, which skips walking every value
# in Python.
REFRAMED_FROM = WITH_CUSTOM_SERIALIZATION
# Asks chDB for types in their binary encoding, which keeps DateTime's time zone.
BINARY_TYPES = {"output_format_native_encode_types_in_binary_format": "1"}


def reframed_revision(requested: str | None, fmt: str) -> int:
    """The revision to frame Native output for, or 0 to send chDB's output unchanged."""
    if fmt.lower() != "native" or not requested:
        return 0
    try:
        revision = int(requested)
    except ValueError:
        raise error(
            BAD_ARGUMENTS,
            f"client_protocol_version must be a number, not {requested!r}",
        ) from None
    return revision if revision >= REFRAMED_FROM else 0


def varint(value: int) -> bytes:
    """``value`` as an unsigned LEB128 integer."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def block_info(revision: int) -> bytes:
    """The ``BlockInfo`` a server of ``revision`` writes before a block (none at revision 0)."""
    if revision <= 0:
        return b""
    info = b"\x01\x00\x02\xff\xff\xff\xff"
    if revision >= WITH_OUT_OF_ORDER_BUCKETS:
        info += b"\x03\x00"
    return info + b"\x00"


def _u64(buf: bytes, pos: int) -> int:
    if pos + 8 > len(buf):
        raise Incomplete
    return int(_U64.unpack_from(buf, pos)[0])


def skip_prefix(buf: bytes, pos: int, kind: NativeType) -> int:
    """The position after a column's serialization state prefix (LowCardinality's version)."""
    if kind.family == "lowcardinality":
        return pos + 8
    for inner in kind.nested:
        pos = skip_prefix(buf, pos, inner)
    return pos


def skip_data(buf: bytes, pos: int, kind: NativeType, rows: int) -> int:
    """The position after ``rows`` values of ``kind`` starting at ``pos``."""
    if rows == 0:  # an empty column (even inside an array) is written as no bytes at all
        return pos
    family = kind.family
    if family in ("fixed", "nothing"):
        return pos + kind.width * rows
    if family == "string":
        return _skip_strings(buf, pos, rows)
    if family == "nullable":
        return skip_data(buf, pos + rows, kind.nested[0], rows)
    if family in ("array", "map"):
        end = pos + 8 * rows
        items = _u64(buf, end - 8)
        for inner in kind.nested:
            end = skip_data(buf, end, inner, items)
        return end
    if family == "tuple":
        for inner in kind.nested:
            pos = skip_data(buf, pos, inner, rows)
        return pos
    return _skip_low_cardinality(buf, pos, kind)


def _skip_strings(buf: bytes, pos: int, rows: int) -> int:
    try:
        for _ in range(rows):
            size = buf[pos]
            if size < 0x80:
                pos += 1 + size
            else:
                size, pos = read_varint(buf, pos)
                pos += size
    except IndexError:
        raise Incomplete from None
    return pos


def _skip_low_cardinality(buf: bytes, pos: int, kind: NativeType) -> int:
    flags = _u64(buf, pos)
    pos += 8
    if flags & _NEEDS_GLOBAL_DICTIONARY:
        raise unsupported(kind.name, 0x26)
    if flags & _HAS_ADDITIONAL_KEYS:
        keys = _u64(buf, pos)
        dictionary = kind.nested[0]
        if dictionary.family == "nullable":  # the dictionary holds the nested type's values
            dictionary = dictionary.nested[0]
        pos = skip_data(buf, pos + 8, dictionary, keys)
    indexes = _u64(buf, pos)
    return pos + 8 + indexes * (1 << (flags & 0xFF))


def _type_name(kind: NativeType, revision: int) -> str:
    if revision < WITH_DATETIME_TIMEZONE and kind.name.startswith("DateTime("):
        return "DateTime"
    return kind.name


def reframe_block(buf: bytes, pos: int, revision: int) -> tuple[bytes, int]:
    """One block of plain Native (types in binary) framed for ``revision``; the end position."""
    columns, pos = read_varint(buf, pos)
    rows, pos = read_varint(buf, pos)
    parts = [block_info(revision), varint(columns), varint(rows)]
    flag = b"\x00" if revision >= WITH_CUSTOM_SERIALIZATION else b""
    for _ in range(columns):
        start = pos
        name, pos = read_str(buf, pos)
        parts.append(buf[start:pos])
        kind, pos = read_type(buf, pos, name.decode("utf-8", "replace"))
        type_name = _type_name(kind, revision).encode()
        parts += [varint(len(type_name)), type_name, flag]
        start = pos
        if rows:
            pos = skip_data(buf, skip_prefix(buf, pos, kind), kind, rows)
        if pos > len(buf):
            raise Incomplete
        parts.append(buf[start:pos])
    return b"".join(parts), pos


class NativeReframer:
    """Feeds on chDB's Native output chunk by chunk and gives back whole re-framed blocks."""

    def __init__(self, revision: int) -> None:
        self.revision = revision
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """The re-framed blocks completed by ``chunk``; a partial block waits for the next."""
        buf = self._pending + chunk if self._pending else chunk
        out: list[bytes] = []
        pos = 0
        try:
            while pos < len(buf):
                block, pos = reframe_block(buf, pos, self.revision)
                out.append(block)
        except Incomplete:
            pass
        self._pending = buf[pos:]
        return b"".join(out)

    def finish(self) -> None:
        """Check that the output ended on a block boundary."""
        if self._pending:
            raise error(
                UNKNOWN_EXCEPTION,
                f"chDB's Native output ended inside a block ({len(self._pending)} bytes left "
                "over): query without client_protocol_version to get it unchanged",
            )


class ReframedStream:
    """A query's Native result, re-framed for the client's protocol revision as it streams."""

    def __init__(self, stream: ResultStream, revision: int) -> None:
        self._stream = stream
        self._reframer = NativeReframer(revision)
        self.summary: Summary = stream.summary

    def cancel(self) -> None:
        """Stop the underlying stream (the client went away)."""
        self._stream.cancel()

    def next_chunk(self) -> bytes | None:
        """The next re-framed blocks, or None when the result is complete."""
        while (chunk := self._stream.next_chunk()) is not None:
            out = self._reframer.feed(chunk)
            if out:
                return out
        self._reframer.finish()
        return None
