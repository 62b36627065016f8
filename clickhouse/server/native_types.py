"""ClickHouse data types in their binary encoding, as chDB writes them in Native output.

With ``output_format_native_encode_types_in_binary_format=1`` the type of each Native column is
written as a byte code with its parameters instead of its name. Unlike the name (which chDB
shortens from ``DateTime('UTC')`` to ``DateTime`` for clients of revision 0), the code keeps every
parameter, and a tree of types is what the block walker needs to measure a column's data anyway.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from clickhouse.exceptions import EndpointError
from clickhouse.server.errors import NOT_IMPLEMENTED, error


class Incomplete(Exception):
    """The buffer ends before the value being read: wait for more output."""


# Fixed-width types: code -> (name, bytes per value).
FIXED = {
    0x01: ("UInt8", 1), 0x02: ("UInt16", 2), 0x03: ("UInt32", 4), 0x04: ("UInt64", 8),
    0x05: ("UInt128", 16), 0x06: ("UInt256", 32), 0x07: ("Int8", 1), 0x08: ("Int16", 2),
    0x09: ("Int32", 4), 0x0A: ("Int64", 8), 0x0B: ("Int128", 16), 0x0C: ("Int256", 32),
    0x0D: ("Float32", 4), 0x0E: ("Float64", 8), 0x0F: ("Date", 2), 0x10: ("Date32", 4),
    0x11: ("DateTime", 4), 0x1D: ("UUID", 16), 0x28: ("IPv4", 4), 0x29: ("IPv6", 16),
    0x2D: ("Bool", 1), 0x31: ("BFloat16", 2), 0x32: ("Time", 4),
}  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECIMAL_WIDTH = {0x19: 4, 0x1A: 8, 0x1B: 16, 0x1C: 32}
_INTERVALS = (
    "Nanosecond", "Microsecond", "Millisecond", "Second", "Minute", "Hour", "Day", "Week",
    "Month", "Quarter", "Year",
)  # fmt: skip


@dataclass(frozen=True)
class NativeType:
    """One data type: its family, the width of a fixed-size value, its nested types and name.

    ``family`` is one of ``fixed``, ``string``, ``nothing``, ``array``, ``tuple``, ``map``,
    ``nullable`` and ``lowcardinality``; ``width`` is the bytes per value of ``fixed`` types
    (and of FixedString(N)).
    """

    family: str
    name: str
    width: int = 0
    nested: tuple[NativeType, ...] = ()


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 integer at ``pos``, and the position after it."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise Incomplete
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def read_str(buf: bytes | memoryview, pos: int) -> tuple[bytes, int]:
    """A varint-prefixed byte string at ``pos``, and the position after it."""
    size, pos = read_varint(buf, pos)
    end = pos + size
    if end > len(buf):
        raise Incomplete
    return bytes(buf[pos:end]), end


def _byte(buf: bytes | memoryview, pos: int) -> int:
    if pos >= len(buf):
        raise Incomplete
    return buf[pos]


def _element_name(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    if _IDENTIFIER.fullmatch(text):
        return text
    return "`" + text.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _quoted(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def read_type(buf: bytes | memoryview, pos: int, column: str) -> tuple[NativeType, int]:
    """The binary-encoded type at ``pos`` (of column ``column``), and the position after it."""
    code = _byte(buf, pos)
    pos += 1
    if code in FIXED:
        name, width = FIXED[code]
        return NativeType("fixed", name, width), pos
    if code == 0x15:
        return NativeType("string", "String"), pos
    if code == 0x00:
        return NativeType("nothing", "Nothing", 1), pos
    if code in (0x12, 0x13, 0x14, 0x16, 0x22, 0x34) or code in _DECIMAL_WIDTH:
        return _read_parametric(buf, pos, code)
    if code in (0x17, 0x18):
        return _read_enum(buf, pos, code)
    if code in (0x1E, 0x23, 0x26):
        inner, pos = read_type(buf, pos, column)
        family, wrapper = {0x1E: ("array", "Array"), 0x23: ("nullable", "Nullable"),
                           0x26: ("lowcardinality", "LowCardinality")}[code]  # fmt: skip
        return NativeType(family, f"{wrapper}({inner.name})", nested=(inner,)), pos
    if code in (0x1F, 0x20):
        return _read_tuple(buf, pos, column, named=code == 0x20)
    if code == 0x27:
        key, pos = read_type(buf, pos, column)
        value, pos = read_type(buf, pos, column)
        return NativeType("map", f"Map({key.name}, {value.name})", nested=(key, value)), pos
    raise unsupported(column, code)


def unsupported(column: str, code: int) -> EndpointError:
    """The error for a column type the re-framer cannot measure."""
    return error(
        NOT_IMPLEMENTED,
        f"Column {column!r} has a type (binary code 0x{code:02X}) that the endpoint cannot send "
        "in Native format to clients that ask for a client_protocol_version: cast it to a "
        "plain type (toString(...) for Dynamic, JSON, Variant, AggregateFunction and geo types) "
        "or query without client_protocol_version",
    )


def _read_parametric(buf: bytes | memoryview, pos: int, code: int) -> tuple[NativeType, int]:
    if code == 0x12:
        zone, pos = read_str(buf, pos)
        return NativeType("fixed", f"DateTime({_quoted(zone)})", 4), pos
    if code == 0x16:
        size, pos = read_varint(buf, pos)
        return NativeType("fixed", f"FixedString({size})", size), pos
    if code == 0x22:
        kind = _byte(buf, pos)
        return NativeType("fixed", f"Interval{_INTERVALS[kind]}", 8), pos + 1
    precision = _byte(buf, pos)
    pos += 1
    if code == 0x13:
        return NativeType("fixed", f"DateTime64({precision})", 8), pos
    if code == 0x14:
        zone, pos = read_str(buf, pos)
        return NativeType("fixed", f"DateTime64({precision}, {_quoted(zone)})", 8), pos
    if code == 0x34:
        return NativeType("fixed", f"Time64({precision})", 8), pos
    scale = _byte(buf, pos)
    return NativeType("fixed", f"Decimal({precision}, {scale})", _DECIMAL_WIDTH[code]), pos + 1


def _read_enum(buf: bytes | memoryview, pos: int, code: int) -> tuple[NativeType, int]:
    count, pos = read_varint(buf, pos)
    width = 1 if code == 0x17 else 2
    items = []
    for _ in range(count):
        label, pos = read_str(buf, pos)
        if pos + width > len(buf):
            raise Incomplete
        (value,) = struct.unpack_from("<b" if width == 1 else "<h", buf, pos)
        pos += width
        items.append(f"{_quoted(label)} = {value}")
    return NativeType("fixed", f"Enum{8 * width}({', '.join(items)})", width), pos


def _read_tuple(
    buf: bytes | memoryview, pos: int, column: str, *, named: bool
) -> tuple[NativeType, int]:
    count, pos = read_varint(buf, pos)
    elements: list[NativeType] = []
    names: list[str] = []
    for _ in range(count):
        label = b""
        if named:
            label, pos = read_str(buf, pos)
        element, pos = read_type(buf, pos, column)
        elements.append(element)
        names.append(f"{_element_name(label)} {element.name}" if named else element.name)
    return NativeType("tuple", f"Tuple({', '.join(names)})", nested=tuple(elements)), pos
