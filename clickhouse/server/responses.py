"""Building responses: ClickHouse's headers, error bodies and the streamed result."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable

import anyio
from loguru import logger
from starlette.responses import Response

from clickhouse.exceptions import EndpointError
from clickhouse.server.compression import Codec
from clickhouse.server.engine import ResultStream, Summary
from clickhouse.server.errors import http_status, render, tagged_block

_BINARY = (
    "native",
    "rowbinary",
    "arrow",
    "parquet",
    "orc",
    "avro",
    "capnproto",
    "protobuf",
    "msgpack",
    "npy",
    "bson",
)


def content_type(fmt: str) -> str:
    """The Content-Type ClickHouse sends for an output format."""
    name = fmt.lower()
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        header = "present" if "names" in name else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if name.startswith("json"):
        return "application/json; charset=UTF-8"
    if name.startswith(_BINARY):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


def base_headers(query_id: str, fmt: str, timezone: str, display_name: str) -> dict[str, str]:
    """Headers every query response carries."""
    return {
        "X-ClickHouse-Query-Id": query_id,
        "X-ClickHouse-Format": fmt,
        "X-ClickHouse-Timezone": timezone,
        "X-ClickHouse-Server-Display-Name": display_name,
        "Content-Type": content_type(fmt),
    }


def summary_header(summary: Summary) -> dict[str, str]:
    return {"X-ClickHouse-Summary": json.dumps(summary.header(), separators=(",", ":"))}


def error_response(err: EndpointError, version: str, query_id: str) -> Response:
    """The response of a request that failed before its body started."""
    headers = {
        "X-ClickHouse-Exception-Code": str(err.code),
        "X-ClickHouse-Query-Id": query_id,
    }
    body = render(err, version) + "\n"
    return Response(body, http_status(err.code), headers, media_type="text/plain")


def new_tag() -> str:
    """A fresh exception tag for one streamed response."""
    return secrets.token_hex(8)


async def stream_result(
    first: bytes,
    stream: ResultStream,
    codec: Codec,
    tag: str,
    version: str,
    cleanup: Callable[[], None],
    limiter: anyio.CapacityLimiter | None = None,
) -> AsyncIterator[bytes]:
    """The result, chunk by chunk; a failure after the headers ends in a tagged block."""
    fed = False  # an empty result stays an empty body, even when compressed
    try:
        chunk: bytes | None = first
        while chunk is not None:
            if chunk:
                fed = True
                out = codec.feed(chunk)
                if out:
                    yield out
            chunk = await anyio.to_thread.run_sync(stream.next_chunk, limiter=limiter)
        tail = codec.flush() if fed else b""
    except EndpointError as err:
        logger.warning("query failed mid-stream: {}", err)
        tail = codec.feed(tagged_block(err, version, tag)) + codec.flush()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(cleanup, limiter=limiter)
    if tail:
        yield tail
