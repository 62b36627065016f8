from __future__ import annotations

import pytest

from clickhouse.exceptions import EndpointError
from clickhouse.server.params import quote_literal, set_statement, split_params


def test_params_are_split_into_query_transport_settings_and_binds() -> None:
    params = split_params(
        [
            ("query", "SELECT {x:UInt8}"),
            ("database", "pulse"),
            ("session_id", "s1"),
            ("wait_end_of_query", "1"),
            ("max_threads", "2"),
            ("enable_http_compression", "1"),
            ("param_x", "7"),
        ]
    )
    assert params.query == "SELECT {x:UInt8}"
    assert params.database == "pulse"
    assert params.transport["session_id"] == "s1"
    assert params.flag("wait_end_of_query")
    assert params.settings == {"max_threads": "2", "enable_http_compression": "1"}
    assert params.http_compression
    assert params.bind == {"x": "7"}


def test_missing_flags_are_false() -> None:
    params = split_params([])
    assert not params.flag("session_check")
    assert not params.http_compression
    assert params.database is None


def test_set_statement_quotes_values() -> None:
    assert set_statement({"a": "1", "b": "it's"}) == "SET a = '1', b = 'it\\'s'"
    assert set_statement({}) is None
    assert quote_literal("a\\b") == "'a\\\\b'"


def test_set_statement_refuses_names_that_are_not_settings() -> None:
    with pytest.raises(EndpointError) as raised:
        set_statement({"max_threads = 1; DROP": "x"})
    assert raised.value.code == 115
