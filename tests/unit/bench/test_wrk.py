"""Reading wrk's summary line, as the bench's Lua script prints it."""

from __future__ import annotations

import pytest

from bench.wrk import MARK, SCRIPT, parse_summary


def test_summary_is_read_from_the_marked_line_among_wrk_output() -> None:
    out = f"Running 1s test @ http://x\n{MARK}" + '{"requests": 7, "duration_us": 1000}\nbye'
    assert parse_summary(out) == {"requests": 7, "duration_us": 1000}


def test_missing_summary_is_an_error_showing_the_output() -> None:
    with pytest.raises(RuntimeError, match="(?s)no summary.*connection refused"):
        parse_summary("unable to connect: connection refused")


def test_script_sends_a_host_header_and_the_bearer_key() -> None:
    # Debian's wrk 4.1 does not add Host itself: without it uvicorn answers 400 to every request.
    assert '["Host"]' in SCRIPT and '"Bearer " .. key' in SCRIPT
