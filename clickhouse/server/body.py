"""Reading a request body: the statement (URL ``query`` + body) and, for an INSERT, its data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from clickhouse.server.compression import Codec
from clickhouse.server.errors import QUERY_IS_TOO_LARGE, error
from clickhouse.server.statement import InsertData, first_keyword, insert_data


@dataclass
class Statement:
    """The SQL to run and, for an INSERT with data, its format, first data and the rest."""

    sql: str
    insert: InsertData | None = None
    data: bytes = b""
    rest: AsyncIterator[bytes] | None = None


async def decompressed(chunks: AsyncIterator[bytes], codec: Codec) -> AsyncIterator[bytes]:
    """The request body chunks with its ``Content-Encoding`` undone."""
    async for raw in chunks:
        out = codec.feed(raw)
        if out:
            yield out
    tail = codec.flush()
    if tail:
        yield tail


def _split(buffer: bytes, ended: bool) -> InsertData | None:
    text = buffer.decode("latin-1")  # one char per byte: offsets stay byte offsets
    return insert_data(text + "\n" if ended else text)


def _utf8(text: str) -> str:
    return text.encode("latin-1").decode("utf-8", errors="replace")


async def read_statement(
    query: str, body: AsyncIterator[bytes], max_bytes: int = 1 << 20
) -> Statement:
    """Read just enough of the body to know the statement; INSERT data is left streaming.

    As in ClickHouse, the statement is the URL query, a newline and the body; an INSERT's data
    starts after its ``FORMAT name`` (or ``VALUES``) and is not read into memory here.
    """
    buffer = bytearray((query + "\n").encode() if query else b"")
    is_insert: bool | None = None
    async for chunk in body:
        buffer += chunk
        if is_insert is None and first_keyword(buffer[:4096].decode("latin-1")):
            is_insert = first_keyword(buffer[:4096].decode("latin-1")) == "INSERT"
        if is_insert:
            found = _split(bytes(buffer), ended=False)
            if found is not None:
                return _with_data(buffer, found, body)
        if len(buffer) > max_bytes:
            raise error(
                QUERY_IS_TOO_LARGE,
                f"Query is too large ({len(buffer)} bytes read, CLICKHOUSE_MAX_QUERY_BYTES is "
                f"{max_bytes}): send INSERT data after FORMAT, or a shorter statement",
            )
    if first_keyword(buffer.decode("latin-1")) == "INSERT":
        found = _split(bytes(buffer), ended=True)
        if found is not None:
            return _with_data(buffer, found, None)
    return Statement(bytes(buffer).decode("utf-8", errors="replace").strip())


def _with_data(
    buffer: bytearray, found: InsertData, rest: AsyncIterator[bytes] | None
) -> Statement:
    statement = InsertData(_utf8(found.statement), found.fmt, found.data_start)
    return Statement(statement.statement, statement, bytes(buffer[found.data_start :]), rest)
