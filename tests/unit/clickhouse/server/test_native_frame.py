"""The Native re-framer, on output captured from chDB (in process, no server)."""

from __future__ import annotations

import chdb
import pytest

from clickhouse.exceptions import EndpointError
from clickhouse.server.native_frame import (
    NativeReframer,
    block_info,
    reframe_block,
    reframed_revision,
)

# SELECT toDateTime('2026-11-20 10:00:00', 'UTC') AS t, 'a' AS s: chDB's Native, types in binary.
CAPTURED = bytes.fromhex("020101741203555443201a006b0173150161")
AT_54460 = bytes.fromhex(
    "0100"
    "02ffffffff"
    "00"  # BlockInfo: is_overflows 0, bucket_num -1, end
    "0201"
    "0174"
    "0f" + b"DateTime('UTC')".hex() + "00"
    "201a006b"  # name, type, kind byte, data
    "0173"
    "06" + b"String".hex() + "00"
    "0161"
)

TYPED_QUERIES = [
    "SELECT toDateTime64('2026-11-20 10:00:00.123', 3, 'UTC') AS a, toDate('2026-11-20') AS b,"
    " 1.5 AS c, toUInt64(number) AS d, repeat('x', number * 50) AS e FROM numbers(5)",
    "SELECT toLowCardinality(toString(number % 3)) AS lc,"
    " CAST(if(number = 1, NULL, 'v') AS LowCardinality(Nullable(String))) AS lcn,"
    " if(number = 2, NULL, number)::Nullable(UInt32) AS n FROM numbers(4)",
    "SELECT range(number) AS arr, arrayMap(x -> toString(x), range(number)) AS sarr,"
    " CAST(arrayMap(x -> toString(x), range(number)) AS Array(LowCardinality(String))) AS lcarr,"
    " [[number], []] AS nested FROM numbers(4)",
    "SELECT map('k', number, 'j', 2) AS m, (number, 'z') AS t,"
    " CAST((1, 'a') AS Tuple(x UInt8, `y z` String)) AS named FROM numbers(3)",
    "SELECT toDecimal32(1.25, 2) AS d32, toDecimal128(3.5, 10) AS d128,"
    " CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e8, CAST('q''r' AS Enum16('q\\'r' = 1000)) AS e16,"
    " generateUUIDv4() AS u, toIPv4('1.2.3.4') AS ip4, toIPv6('::1') AS ip6, true AS flag,"
    " toDate32('2100-01-01') AS d32b, toFixedString('ab', 2) AS fs, NULL AS nothing,"
    " INTERVAL 3 SECOND AS iv, toInt128(-1) AS i128, toUInt256(7) AS u256, now() AS t0",
    "SELECT number AS n FROM numbers(10) WHERE n > 100",
    "SELECT CAST('12:34:56' AS Time) AS t, CAST('12:34:56.789' AS Time64(3)) AS t64,"
    " toBFloat16(1.5) AS bf FROM numbers(2)"
    " SETTINGS enable_time_time64_type = 1, allow_experimental_bfloat16_type = 1",
]


@pytest.fixture(scope="module")
def conn() -> object:
    connection = chdb.connect(":memory:")
    yield connection
    connection.close()


def _native(conn: object, sql: str, binary_types: bool, block_size: int = 65409) -> bytes:
    flag = int(binary_types)
    conn.query(  # type: ignore[attr-defined]
        f"SET output_format_native_encode_types_in_binary_format = {flag},"
        f" max_block_size = {block_size}"
    )
    return bytes(conn.query(sql, "Native").bytes())  # type: ignore[attr-defined]


def test_captured_block_gets_block_info_kind_bytes_and_its_time_zone_at_54460() -> None:
    framed, end = reframe_block(CAPTURED, 0, 54460)

    assert framed == AT_54460 and end == len(CAPTURED)


def test_block_info_gains_out_of_order_buckets_from_54480() -> None:
    assert block_info(0) == b""
    assert block_info(54460) == bytes.fromhex("010002ffffffff00")
    assert block_info(54480) == bytes.fromhex("010002ffffffff030000")


def test_datetime_loses_its_time_zone_for_clients_older_than_54337() -> None:
    framed, _ = reframe_block(CAPTURED, 0, 54336)

    assert b"DateTime\x00" not in framed and b"\x08DateTime" in framed


@pytest.mark.parametrize("sql", TYPED_QUERIES)
def test_revision_0_output_is_byte_identical_to_chdbs_own_native(conn: object, sql: str) -> None:
    """At revision 0 the framing adds nothing, so the walker must reproduce chDB exactly."""
    if "generateUUIDv4" in sql:
        sql = sql.replace("generateUUIDv4()", "toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')")
        sql = sql.replace("now()", "toDateTime('2026-11-20 10:00:00')")
    reframer = NativeReframer(0)
    framed = reframer.feed(_native(conn, sql, binary_types=True, block_size=2))
    reframer.finish()

    assert framed == _native(conn, sql, binary_types=False, block_size=2)


def test_output_split_anywhere_is_reframed_whole(conn: object) -> None:
    raw = _native(conn, TYPED_QUERIES[2], binary_types=True, block_size=3)
    whole = NativeReframer(54460).feed(raw)
    reframer = NativeReframer(54460)

    pieces = [reframer.feed(raw[i : i + 1]) for i in range(len(raw))]
    reframer.finish()

    assert b"".join(pieces) == whole and whole.count(block_info(54460)) >= 2


def test_output_ending_inside_a_block_is_an_error(conn: object) -> None:
    reframer = NativeReframer(54460)
    reframer.feed(_native(conn, TYPED_QUERIES[0], binary_types=True)[:-3])

    with pytest.raises(EndpointError, match="ended inside a block"):
        reframer.finish()


@pytest.mark.parametrize(
    "expression",
    ["'a'::Dynamic", "'{\"a\": 1}'::JSON", "1::Variant(UInt8, String)", "sumState(1)"],
)
def test_types_the_walker_cannot_measure_are_refused_with_the_fix(
    conn: object, expression: str
) -> None:
    raw = _native(conn, f"SELECT {expression} AS odd", binary_types=True)

    with pytest.raises(EndpointError, match="'odd'.*cast it") as caught:
        NativeReframer(54460).feed(raw)
    assert caught.value.code == 48


@pytest.mark.parametrize(
    ("requested", "fmt", "revision"),
    [
        ("54460", "Native", 54460),
        ("54460", "native", 54460),
        ("54460", "RowBinary", 0),
        ("54405", "Native", 0),  # clickhouse-connect's probe: left on its revision-0 path
        (None, "Native", 0),
        ("", "Native", 0),
    ],
)
def test_only_native_for_custom_serialization_clients_is_reframed(
    requested: str | None, fmt: str, revision: int
) -> None:
    assert reframed_revision(requested, fmt) == revision


def test_a_revision_that_is_not_a_number_is_bad_arguments() -> None:
    with pytest.raises(EndpointError, match="must be a number") as caught:
        reframed_revision("newest", "Native")
    assert caught.value.code == 36
