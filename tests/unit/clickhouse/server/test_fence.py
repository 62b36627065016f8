from __future__ import annotations

import pytest

from clickhouse.server.fence import changed_settings, named_limits


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        (
            "SELECT 1\nSETTINGS max_execution_time = 5, max_threads = 2",
            {"max_execution_time", "max_threads"},
        ),
        ("SET max_result_rows = 0", {"max_result_rows"}),
        ("SELECT *\nFROM (SELECT 1 SETTINGS readonly = 0)\nWHERE readonly = 1", {"readonly"}),
        ("SELECT name, value, readonly\nFROM system.settings\nWHERE readonly = 1", set()),
    ],
)
def test_changed_settings_are_the_assignments_of_set_and_settings(
    sql: str, names: set[str]
) -> None:
    assert changed_settings(sql) == names


def test_limits_named_in_url_parameters_count_too() -> None:
    assert named_limits("SELECT 1", {"MAX_MEMORY_USAGE": "0", "max_threads": "1"}) == [
        "max_memory_usage"
    ]
