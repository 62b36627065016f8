from __future__ import annotations

from clickhouse.exceptions import EndpointError
from clickhouse.server.errors import (
    READONLY,
    error,
    from_engine,
    http_status,
    render,
    tagged_block,
)


def test_engine_error_text_keeps_code_name_and_message() -> None:
    err = from_engine(
        RuntimeError(
            "Streaming query failed: Code: 60. DB::Exception: Unknown table 'x'. (UNKNOWN_TABLE)"
        )
    )
    assert (err.code, err.name, err.message) == (60, "UNKNOWN_TABLE", "Unknown table 'x'")


def test_text_without_a_code_is_unknown_exception() -> None:
    err = from_engine(RuntimeError("something odd"))
    assert (err.code, err.name) == (1002, "UNKNOWN_EXCEPTION")


def test_render_matches_clickhouse_body() -> None:
    err = error(READONLY, "Cannot execute query in readonly mode.")
    assert render(err, "26.9.2.1") == (
        "Code: 164. DB::Exception: Cannot execute query in readonly mode. (READONLY) "
        "(version 26.9.2.1)"
    )


def test_http_status_follows_clickhouse_mapping() -> None:
    assert http_status(62) == 400
    assert http_status(60) == 404
    assert http_status(516) == 403
    assert http_status(164) == 500
    assert http_status(159) == 408


def test_tagged_block_is_what_clients_scan_for() -> None:
    block = tagged_block(
        EndpointError(395, "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO", "boom"), "26", "T1"
    )
    message = (
        b"Code: 395. DB::Exception: boom. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 26)\n"
    )
    assert (
        block
        == b"__exception__\r\nT1\r\n" + message + f"{len(message)} T1\r\n__exception__\r\n".encode()
    )
