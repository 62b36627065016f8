import struct

import pytest
from clickhouse_connect.driver.exceptions import (
    DatabaseError,
    DataError,
    OperationalError,
    ProgrammingError,
)

from stream_processors.failures import Failure, classify, server_code


def server_error(code: int, text: str, with_attribute: bool = True) -> DatabaseError:
    """A DatabaseError as clickhouse-connect builds it from an HTTP error response."""
    message = (
        f"Received ClickHouse exception, code: {code}, server response: Code: {code}. "
        f"DB::Exception: {text}"
    )
    return DatabaseError(message, code=code if with_attribute else None)


@pytest.mark.parametrize(
    "exc",
    [
        DataError("Unable to create native array for column `day`: error"),
        TypeError("unsupported operand type(s) for -: 'str' and 'datetime.date'"),
        ValueError("year 1969 is out of range"),
        OverflowError("int too big to convert"),
        struct.error("argument out of range"),
        server_error(27, "Cannot parse input: expected '\\t' before: 'x'"),
        server_error(38, "Cannot parse date here: notadate"),
        server_error(53, "Type mismatch in IN or VALUES section"),
        server_error(321, "Value is out of range of data type"),
        server_error(469, "Constraint `short` for table t is violated at row 1"),
        server_error(252, "Too many partitions for single INSERT block (more than 100)."),
        server_error(70, "Cannot convert", with_attribute=False),
    ],
    ids=repr,
)
def test_the_data_at_fault_is_permanent(exc: BaseException) -> None:
    assert classify(exc) is Failure.PERMANENT


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        OSError("network unreachable"),
        OperationalError("Network Error: Server disconnected"),
        DatabaseError("HTTP driver received HTTP status 503"),
        server_error(159, "Timeout exceeded: elapsed 30 seconds"),
        server_error(241, "Memory limit (total) exceeded"),
        server_error(252, "Too many parts (3001). Merges are processing significantly slower"),
        server_error(210, "Connection reset by peer"),
        server_error(60, "Table pulse.events_store does not exist."),
        server_error(516, "default: Authentication failed"),
        server_error(241, "Memory limit exceeded", with_attribute=False),
        ProgrammingError("Client session is unavailable; the client may have been closed."),
        ProgrammingError("Unrecognized column 'nope' in table dau_users"),
        RuntimeError("something else"),
    ],
    ids=repr,
)
def test_the_moment_at_fault_is_transient(exc: BaseException) -> None:
    assert classify(exc) is Failure.TRANSIENT


def test_server_code_comes_from_the_attribute_or_else_the_message() -> None:
    assert server_code(server_error(241, "x")) == 241
    assert server_code(server_error(38, "x", with_attribute=False)) == 38
    assert server_code(DatabaseError("no code here")) is None
