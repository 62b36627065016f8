"""PULSE_API_CORS_ORIGINS parsing: exact origins or *, and a clear error for anything else."""

from __future__ import annotations

import pytest

from ingest_api.cors import parse_origins


def test_comma_list_of_origins_is_trimmed() -> None:
    assert parse_origins(" https://a.test, http://localhost:5173 ,") == (
        "https://a.test",
        "http://localhost:5173",
    )


def test_empty_means_no_cors() -> None:
    assert parse_origins("") == ()


@pytest.mark.parametrize("bad", ["https://a.test/", "a.test", "https://a.test/app", "ftp://a"])
def test_an_origin_with_a_path_or_no_scheme_is_refused_with_the_fix(bad: str) -> None:
    with pytest.raises(ValueError, match="scheme://host"):
        parse_origins(bad)
