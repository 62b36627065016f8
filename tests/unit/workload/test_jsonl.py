"""JSON Lines files: what goes in comes back, plain or gzip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulse.workload import WorkloadError, generate, read_jsonl, write_jsonl
from tests.unit.workload.conftest import small


@pytest.mark.parametrize("name", ["events.jsonl", "events.jsonl.gz"])
def test_written_events_read_back_equal(tmp_path: Path, name: str) -> None:
    events = list(generate(small(limit=500)))

    assert write_jsonl(iter(events), tmp_path / name) == 500
    assert list(read_jsonl(tmp_path / name)) == events


def test_writing_into_a_missing_directory_says_which(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="does not exist"):
        write_jsonl([], tmp_path / "nowhere" / "events.jsonl")


def test_a_broken_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "a.b"}\n{oops\n')

    with pytest.raises(WorkloadError, match=r"events.jsonl:2: not JSON"):
        list(read_jsonl(path))


def test_dash_writes_to_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    events = list(generate(small(limit=3)))

    assert write_jsonl(events, "-") == 3
    assert [json.loads(line) for line in capfd.readouterr().out.splitlines()] == events
