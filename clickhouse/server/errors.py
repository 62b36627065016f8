"""ClickHouse-shaped errors: codes, HTTP statuses and the bodies a ClickHouse server sends."""

from __future__ import annotations

import re

from clickhouse.exceptions import EndpointError

BAD_ARGUMENTS = (36, "BAD_ARGUMENTS")
SYNTAX_ERROR = (62, "SYNTAX_ERROR")
UNKNOWN_SETTING = (115, "UNKNOWN_SETTING")
UNKNOWN_COMPRESSION_METHOD = (89, "UNKNOWN_COMPRESSION_METHOD")
READONLY = (164, "READONLY")
REQUIRED_PASSWORD = (194, "REQUIRED_PASSWORD")
QUERY_IS_TOO_LARGE = (229, "QUERY_IS_TOO_LARGE")
TOO_MANY_SESSIONS = (202, "TOO_MANY_SIMULTANEOUS_QUERIES")
CANNOT_DECOMPRESS = (271, "CANNOT_DECOMPRESS")
INTO_OUTFILE_NOT_ALLOWED = (358, "INTO_OUTFILE_NOT_ALLOWED")
SESSION_NOT_FOUND = (372, "SESSION_NOT_FOUND")
SESSION_IS_LOCKED = (373, "SESSION_IS_LOCKED")
INVALID_SESSION_TIMEOUT = (374, "INVALID_SESSION_TIMEOUT")
ACCESS_DENIED = (497, "ACCESS_DENIED")
AUTHENTICATION_FAILED = (516, "AUTHENTICATION_FAILED")
NOT_IMPLEMENTED = (48, "NOT_IMPLEMENTED")
UNKNOWN_EXCEPTION = (1002, "UNKNOWN_EXCEPTION")

# ClickHouse's own mapping (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp); the rest is 500.
_BAD_REQUEST = frozenset(
    {
        6,
        8,
        15,
        25,
        26,
        27,
        36,
        37,
        38,
        41,
        44,
        53,
        62,
        72,
        117,
        123,
        167,
        168,
        223,
        321,
        376,
        427,
        441,
        675,
        676,
    }
)
_NOT_FOUND = frozenset({46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 152, 336, 511})
_STATUS = {
    194: 401,
    192: 403,
    193: 403,
    516: 403,
    512: 403,
    229: 413,
    48: 501,
    209: 503,
    76: 503,
    381: 411,
    159: 408,
    439: 503,
}

_ENGINE_ERROR = re.compile(r"Code: (\d+)\. DB::Exception: (.*?)(?:\. \(([A-Z0-9_]+)\))?\s*$", re.S)


def error(kind: tuple[int, str], message: str) -> EndpointError:
    """An endpoint error of a known ClickHouse kind, e.g. ``error(READONLY, "...")``."""
    code, name = kind
    return EndpointError(code, name, message.rstrip("."))


# What chDB raises for a failed statement: a RuntimeError with ClickHouse's text, or, when that
# text is not valid UTF-8 (an error quoting the bytes of a String value), the UnicodeDecodeError
# the binding hit while decoding it, which still holds the text's bytes.
ENGINE_ERRORS = (RuntimeError, UnicodeDecodeError)


def from_engine(exc: BaseException) -> EndpointError:
    """The ClickHouse error in a chDB exception (text ``Code: N. DB::Exception: ...``)."""
    if isinstance(exc, EndpointError):
        return exc
    if isinstance(exc, UnicodeDecodeError):  # bytes no client could decode: replaced, as text
        text = bytes(exc.object).decode("utf-8", errors="replace")
    else:
        text = str(exc)
    start = text.find("Code: ")
    match = _ENGINE_ERROR.match(text[start:]) if start >= 0 else None
    if match is None:
        return error(UNKNOWN_EXCEPTION, text.strip() or type(exc).__name__)
    code, message, name = match.groups()
    return EndpointError(int(code), name or "UNKNOWN_EXCEPTION", message)


def http_status(code: int) -> int:
    """The HTTP status a ClickHouse server answers for an exception ``code``."""
    if code in _BAD_REQUEST:
        return 400
    if code in _NOT_FOUND:
        return 404
    return _STATUS.get(code, 500)


def render(err: EndpointError, version: str) -> str:
    """The error text of a ClickHouse response body (without the trailing newline)."""
    return f"{err} (version {version})"


def tagged_block(err: EndpointError, version: str, tag: str) -> bytes:
    """The block ClickHouse 25.11+ appends to a stream that fails after its headers were sent.

    Clients that saw ``X-ClickHouse-Exception-Tag: <tag>`` scan the body for it and raise.
    """
    message = (render(err, version) + "\n").encode()
    return (
        b"__exception__\r\n"
        + tag.encode()
        + b"\r\n"
        + message
        + f"{len(message)} {tag}\r\n__exception__\r\n".encode()
    )
