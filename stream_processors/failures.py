"""Whose fault is a failed ClickHouse insert: the moment's (retry it) or the data's (isolate it).

A transient failure - ClickHouse down or busy, a timeout, a missing table before ``pulse
migrate`` - is the same for every row, so the sink keeps the batch and retries. A permanent one
is caused by some rows: clickhouse-connect could not serialize a value for its column type, or
the server refused a value (parse, conversion, range, type mismatch, constraint). Retrying
those can never succeed, so the sink bisects the batch and dead-letters the rows at fault.

Anything not known to be the data's fault counts as transient: a wrong guess there costs a
retry loop that the sink-retry alert shows, never an event.
"""

from __future__ import annotations

import re
import struct
from enum import Enum

from clickhouse_connect.driver.exceptions import DatabaseError, DataError, Error

_CODE_IN_MESSAGE = re.compile(r"\bCode:\s*(\d+)", re.IGNORECASE)

# Server error codes (ClickHouse src/Common/ErrorCodes.cpp) that say a value of the insert is
# wrong; every other code (TIMEOUT_EXCEEDED 159, MEMORY_LIMIT_EXCEEDED 241, TOO_MANY_PARTS 252,
# NETWORK_ERROR 210, UNKNOWN_TABLE 60, ...) is about the server or the deployment.
DATA_ERROR_CODES: frozenset[int] = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        25,  # CANNOT_PARSE_ESCAPE_SEQUENCE
        26,  # CANNOT_PARSE_QUOTED_STRING
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        69,  # ARGUMENT_OUT_OF_BOUND
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        131,  # TOO_LARGE_STRING_SIZE
        321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        349,  # CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
        376,  # CANNOT_PARSE_UUID
        407,  # DECIMAL_OVERFLOW
        469,  # VIOLATED_CONSTRAINT
        691,  # UNKNOWN_ELEMENT_OF_ENUM
    }
)
# TOO_MANY_PARTS also reports "Too many partitions for single INSERT block": a batch spanning
# more months than max_partitions_per_insert_block allows. Halving the batch cures that one.
TOO_MANY_PARTS = 252
_TOO_MANY_PARTITIONS = "partitions for single insert block"

# What clickhouse-connect's column serializers raise on a value their type cannot hold
# (a pre-1970 date, an int beyond UInt64, a string in a Date column).
_SERIALIZATION_ERRORS: tuple[type[BaseException], ...] = (
    TypeError,
    ValueError,
    OverflowError,
    ArithmeticError,
    struct.error,
    KeyError,
    AttributeError,
)


class Failure(Enum):
    """How the sink answers a failed insert."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"


def server_code(exc: BaseException) -> int | None:
    """The ClickHouse error code: the driver's ``code``, else ``Code: NNN`` in the message."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    match = _CODE_IN_MESSAGE.search(str(exc))
    return int(match.group(1)) if match else None


def classify(exc: BaseException) -> Failure:
    """Whether retrying the same rows can succeed (transient) or never will (permanent)."""
    if isinstance(exc, DatabaseError):
        code = server_code(exc)
        if code is None:
            # No server code: a client-side refusal of a value (DataError) or the transport.
            return Failure.PERMANENT if isinstance(exc, DataError) else Failure.TRANSIENT
        if code in DATA_ERROR_CODES:
            return Failure.PERMANENT
        if code == TOO_MANY_PARTS and _TOO_MANY_PARTITIONS in str(exc).lower():
            return Failure.PERMANENT
        return Failure.TRANSIENT
    if isinstance(exc, Error):  # InterfaceError and the like: the driver, not the data
        return Failure.TRANSIENT
    if isinstance(exc, _SERIALIZATION_ERRORS) and not isinstance(exc, OSError):
        return Failure.PERMANENT
    return Failure.TRANSIENT
