"""The query handler: ``/`` with the statement in the URL, the body, or both."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
from loguru import logger
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from clickhouse.exceptions import EndpointError
from clickhouse.server import policy
from clickhouse.server.auth import Principal, credentials
from clickhouse.server.body import Statement, decompressed, read_statement
from clickhouse.server.compression import decoder, encoder, response_encoding
from clickhouse.server.engine import (
    InsertStream,
    QueryStream,
    ResultStream,
    Summary,
    prepare,
)
from clickhouse.server.errors import SYNTAX_ERROR, error
from clickhouse.server.external import ExternalTable, is_form, load_external, read_form
from clickhouse.server.fence import check_analyst
from clickhouse.server.native_frame import BINARY_TYPES, ReframedStream, reframed_revision
from clickhouse.server.params import RequestParams, split_params
from clickhouse.server.responses import (
    base_headers,
    error_response,
    new_tag,
    stream_result,
    summary_header,
)
from clickhouse.server.state import EndpointState, Lease
from clickhouse.server.statement import output_format, returns_rows

_FLUSH_BYTES = 1 << 20


@dataclass(frozen=True)
class QueryJob:
    """The statement of a query request, who asked, and the thread pool their work runs in."""

    sql: str
    principal: Principal
    limiter: anyio.CapacityLimiter


async def execute(request: Request) -> Response:
    """Run one statement as ClickHouse's HTTP interface does, errors included."""
    state: EndpointState = request.app.state.endpoint
    params = split_params(request.query_params.multi_items())
    query_id = params.transport.get("query_id") or str(uuid.uuid4())
    started = time.monotonic()
    try:
        response = await _execute(request, state, params, query_id)
    except EndpointError as err:
        logger.info("query {} failed: {}", query_id, err)
        return error_response(err, state.engine.version, query_id)
    logger.debug("query {} answered in {:.3f} s", query_id, time.monotonic() - started)
    return response


async def _execute(
    request: Request, state: EndpointState, params: RequestParams, query_id: str
) -> Response:
    get = request.method in {"GET", "HEAD"}
    if get and not params.query:
        return PlainTextResponse("Ok.\n")
    principal = state.auth.authenticate(*credentials(request.headers, params.transport))
    limiter = state.limiter(principal)
    tables: list[ExternalTable] = []
    if is_form(request):
        params, tables = await read_form(request, state.settings.max_form_bytes)
        statement = Statement(params.query)
    else:
        body = decompressed(request.stream(), decoder(request.headers.get("content-encoding")))
        statement = await read_statement(params.query, body, state.settings.max_query_bytes)
    if not statement.sql:
        raise error(SYNTAX_ERROR, "Empty query")
    in_session = bool(params.transport.get("session_id"))
    read_only = get and in_session and principal.readonly == 0
    policy.check(principal, statement.sql, state.engine.fenced_functions, read_only)
    lease = await anyio.to_thread.run_sync(state.lease, principal, params, get, limiter=limiter)
    try:
        if statement.insert is not None:
            summary = await _insert(lease, statement, params)
            await anyio.to_thread.run_sync(lease.release)
            fmt = params.transport.get("default_format", "TabSeparated")
            headers = _headers(state, query_id, fmt, params) | summary_header(summary)
            return Response(b"", 200, headers)
        return await _query(
            request,
            state,
            lease,
            QueryJob(statement.sql, principal, limiter),
            params,
            query_id,
            tables,
        )
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lease.release, limiter=limiter)
        raise


def _headers(
    state: EndpointState, query_id: str, fmt: str, params: RequestParams
) -> dict[str, str]:
    timezone = params.settings.get("session_timezone") or state.engine.timezone
    return base_headers(query_id, fmt, timezone, state.settings.display_name)


async def _insert(lease: Lease, statement: Statement, params: RequestParams) -> Summary:
    assert statement.insert is not None
    fmt = statement.insert.fmt

    def start() -> InsertStream:
        prepare(lease.conn, params.database, params.settings, lease.undo)
        inserter = InsertStream(lease.conn, statement.sql, fmt)
        inserter.append(statement.data)
        return inserter

    inserter = await anyio.to_thread.run_sync(start)
    try:
        pending = bytearray()
        async for chunk in statement.rest or _nothing():
            pending += chunk
            if len(pending) >= _FLUSH_BYTES:
                await anyio.to_thread.run_sync(inserter.append, bytes(pending))
                pending.clear()
        await anyio.to_thread.run_sync(inserter.append, bytes(pending))
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(inserter.cancel)
        raise
    return await anyio.to_thread.run_sync(inserter.finish)


async def _nothing() -> AsyncIterator[bytes]:
    empty: tuple[bytes, ...] = ()
    for chunk in empty:
        yield chunk


async def _query(
    request: Request,
    state: EndpointState,
    lease: Lease,
    who: QueryJob,
    params: RequestParams,
    query_id: str,
    tables: list[ExternalTable],
) -> Response:
    sql = who.sql
    fmt = output_format(sql) or params.transport.get("default_format") or "TabSeparated"
    revision = reframed_revision(params.transport.get("client_protocol_version"), fmt)
    settings = params.settings | BINARY_TYPES if revision else params.settings
    if who.principal.restricted:
        settings = settings | state.settings.analyst_limits()

    def start() -> tuple[ResultStream, bytes | None]:
        if who.principal.restricted:
            check_analyst(
                lease.conn,
                who.principal,
                sql,
                params.bind,
                params.settings,
                state.engine.fenced_functions,
            )
        prepare(lease.conn, params.database, settings, lease.undo)
        load_external(lease.conn, tables)
        stream: ResultStream = QueryStream(lease.conn, sql, fmt, params.bind)
        if revision:
            stream = ReframedStream(stream, revision)
        return stream, stream.next_chunk()

    stream, first = await anyio.to_thread.run_sync(start, limiter=who.limiter)
    if params.flag("wait_end_of_query"):
        first = await anyio.to_thread.run_sync(_drain, stream, first, limiter=who.limiter)
    encoding = response_encoding(request.headers.get("accept-encoding"))
    encoding = encoding if params.http_compression else None
    headers = _headers(state, query_id, fmt, params) | summary_header(stream.summary)
    if not returns_rows(sql):
        del headers["X-ClickHouse-Format"]  # clients read its absence as "no result set"
    if encoding:
        headers["Content-Encoding"] = encoding
    tag = new_tag()
    headers["X-ClickHouse-Exception-Tag"] = tag

    def cleanup() -> None:
        stream.cancel()
        lease.release()

    body = stream_result(
        first or b"", stream, encoder(encoding), tag, state.engine.version, cleanup, who.limiter
    )
    return StreamingResponse(body, 200, headers)


def _drain(stream: ResultStream, first: bytes | None) -> bytes:
    """The whole result (``wait_end_of_query=1``): errors still get a proper status."""
    parts = [first or b""]
    while (chunk := stream.next_chunk()) is not None:
        parts.append(chunk)
    return b"".join(parts)
