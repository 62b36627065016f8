from __future__ import annotations

import pytest

from clickhouse.exceptions import EndpointError
from clickhouse.server.structure import parse_structure, parse_types


def test_a_column_list_with_every_quoting_and_nested_types_passes() -> None:
    structure = (
        "id UInt32, `the name` Nullable(String), \"ts\" DateTime64(3, 'UTC'), "
        "e Enum8('a' = 1, 'b' = -2), t Tuple(a String, b Array(UInt8))"
    )
    assert parse_structure("t", structure) == structure


def test_types_become_numbered_columns() -> None:
    assert parse_types("t", "UInt8, Map(String, UInt64)") == "_1 UInt8, _2 Map(String, UInt64)"


@pytest.mark.parametrize(
    "structure",
    [
        "x String) ENGINE=Memory AS SELECT line AS x FROM file('/repo/.env','LineAsString') --",
        "x String DEFAULT (SELECT 1)",
        "x String MATERIALIZED file('/etc/passwd')",
        "x String /* */",
        "x String -- ",
        "x String; DROP TABLE t",
        "x",
        "x String,",
        "",
        "x Nullable(String",
        "x String)",
    ],
)
def test_anything_but_names_and_types_is_bad_arguments(structure: str) -> None:
    with pytest.raises(EndpointError) as raised:
        parse_structure("t", structure)
    assert raised.value.code == 36
