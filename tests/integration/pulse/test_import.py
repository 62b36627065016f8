"""`pulse import` against the whole stack (API and worker as processes, real Kafka and
ClickHouse): 100k rows imported twice are stored once each, bad rows land in the rejects file
with their row and reason, and a killed import resumes where it stood."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from core.settings import SharedSettings
from pulse.cli import app
from pulse.replay.run import plan
from pulse.replay.start import Start
from tests.e2e.conftest import PRODUCER_KEY, RunningStack, pulse_stack
from tests.polling import eventually

__all__ = ["pulse_stack"]
BASE_TS = 1_760_000_000  # 2025-10-09: historical traffic
REPO = Path(__file__).resolve().parents[3]


def fastapi_rows(tag: str, count: int) -> list[dict[str, Any]]:
    """Rows of the FastAPI analytics service: ts/type/src/payload, one event each."""
    return [
        {
            "ts": BASE_TS + n * 7,
            "type": "AssignmentViewed" if n % 3 else "user_login",
            "src": "web",
            "payload": {
                "user_id": f"{tag}-{n % 5000}",
                "assignment_id": f"hw-{n}",
                "subject": "math",
            },
        }
        for n in range(count)
    ]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def pulse_import(stack: RunningStack, *args: str) -> Result:
    argv = ["import", *args, "--api-url", stack.api_url, "--key", PRODUCER_KEY]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result


def stored(stack: RunningStack, tag: str) -> int:
    sql = "SELECT count() FROM events WHERE startsWith(user_id, {tag:String})"
    return int(stack.client().query(sql, parameters={"tag": tag}).result_rows[0][0])


def end_offsets(bootstrap: str) -> list[int]:
    """The events topic's end offset per partition (through the replay's own reader)."""
    settings = SharedSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap)  # type: ignore[call-arg]
    spans = asyncio.run(plan(settings, Start(since=datetime.now(UTC))))
    return [span.end for span in sorted(spans, key=lambda s: s.partition)]


def copies_before(stack: RunningStack, tag: str, offsets: list[int]) -> tuple[int, int]:
    """(rows whose surviving copy was read before ``offsets``, all rows) for ``tag``'s users."""
    sql = (
        "SELECT countIf(kafka_offset < {ends:Array(UInt64)}[kafka_partition + 1]), count() "
        "FROM events_store FINAL WHERE startsWith(user_id, {tag:String})"
    )
    row = stack.client().query(sql, parameters={"ends": offsets, "tag": tag}).result_rows[0]
    return int(row[0]), int(row[1])


@pytest.mark.slow
def test_100k_rows_imported_twice_are_stored_once(
    pulse_stack: RunningStack, tmp_path: Path, kafka_bootstrap: str
) -> None:
    tag = f"imp-{uuid4().hex[:8]}"
    source = write_jsonl(tmp_path / "fastapi.jsonl", fastapi_rows(tag, 100_000))

    first = pulse_import(pulse_stack, str(source)).stdout
    assert "100,000 accepted, 0 rejected" in first
    eventually(lambda: stored(pulse_stack, tag), lambda n: n >= 100_000, timeout=240, what="first")
    after_first = end_offsets(kafka_bootstrap)

    again = pulse_import(pulse_stack, str(source)).stdout
    assert "imported already" in again  # the checkpoint says so; nothing is sent
    resent = pulse_import(pulse_stack, str(source), "--restart").stdout
    assert "100,000 accepted" in resent
    # Every surviving row is the re-sent copy: the second import reached ClickHouse, and it
    # replaced the first copies rather than adding to them (same event ids).
    eventually(
        lambda: copies_before(pulse_stack, tag, after_first),
        lambda counts: counts[0] == 0,
        timeout=240,
        what="second import stored",
    )
    assert copies_before(pulse_stack, tag, after_first) == (0, 100_000)
    assert stored(pulse_stack, tag) == 100_000


def test_bad_rows_land_in_the_rejects_file_with_row_and_reason(
    pulse_stack: RunningStack, tmp_path: Path
) -> None:
    tag = f"rej-{uuid4().hex[:8]}"
    source = tmp_path / "studyin.csv"
    cells = [
        ("lesson_completed", "2025-10-01T10:00:00Z", 1, '{"lesson_id": "l1"}'),
        ("assignment_submitted", "2025-10-01T10:01:00Z", 1, '{"assignment_id": "a", "score": 140}'),
        ("lesson_completed", "", 2, "{}"),
        ("lesson_completed", "2025-10-01T10:02:00Z", 2, "not json"),
        ("chat_message", "2025-10-01T10:03:00Z", 3, '{"conversation_id": "c1"}'),
    ]  # fmt: skip
    columns = ("event_type", "timestamp", "user_id", "properties")
    rows = [dict(zip(columns, (e, ts, f"{tag}-{u}", p), strict=True)) for e, ts, u, p in cells]
    with source.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    output = pulse_import(pulse_stack, str(source)).stdout
    assert "2 accepted, 3 rejected" in output
    rejects = [
        orjson.loads(line)
        for line in (tmp_path / "studyin.csv.rejects.jsonl").read_bytes().splitlines()
    ]
    assert [(r["row"], r["by"]) for r in rejects] == [
        (2, "importer"),
        (3, "importer"),
        (4, "importer"),
    ]
    assert "score" in rejects[0]["reason"] and "subject" in rejects[0]["reason"]
    assert "timestamp" in rejects[1]["reason"]
    assert "not a JSON object" in rejects[2]["reason"]
    eventually(lambda: stored(pulse_stack, tag), lambda n: n == 2, timeout=300, what="good rows")


def test_parquet_of_native_events_is_imported(pulse_stack: RunningStack, tmp_path: Path) -> None:
    tag = f"pq-{uuid4().hex[:8]}"
    table = pa.table(
        {
            "event": ["user.login", "llm.call"],
            "user_id": [f"{tag}-1", f"{tag}-1"],
            "timestamp": ["2025-09-01T08:00:00Z", "2025-09-01T08:05:00+02:00"],
            "metadata": [
                "{}",
                '{"model": "m", "prompt_tokens": 1, "completion_tokens": 2, "cost_usd": 0.01}',
            ],
        }
    )
    pq.write_table(table, tmp_path / "native.parquet")
    output = pulse_import(pulse_stack, str(tmp_path / "native.parquet")).stdout
    assert "2 accepted, 0 rejected" in output
    eventually(lambda: stored(pulse_stack, tag), lambda n: n == 2, timeout=300, what="parquet")


@pytest.mark.slow
def test_a_killed_import_resumes_after_its_last_confirmed_batch(
    pulse_stack: RunningStack, tmp_path: Path
) -> None:
    tag = f"res-{uuid4().hex[:8]}"
    source = write_jsonl(tmp_path / "big.jsonl", fastapi_rows(tag, 30_000))
    checkpoint = tmp_path / "big.jsonl.import.json"
    argv = [sys.executable, "-m", "pulse.cli", "import", str(source), "--api-url"]
    argv += [pulse_stack.api_url, "--key", PRODUCER_KEY, "--batch", "100", "--concurrency", "1"]
    process = subprocess.Popen(argv, cwd=REPO, env=os.environ | {"COLUMNS": "200"})
    try:
        state = eventually(
            lambda: orjson.loads(checkpoint.read_bytes()) if checkpoint.exists() else {},
            lambda doc: doc.get("next_row", 1) > 1000,
            timeout=120,
            interval=0.05,
            what="import under way",
        )
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert not state["complete"]
    resumed = pulse_import(pulse_stack, str(source)).stdout
    assert "resuming" in resumed and "complete" not in resumed
    settled = orjson.loads(checkpoint.read_bytes())
    assert settled["complete"] and settled["rejected"] == 0
    eventually(lambda: stored(pulse_stack, tag), lambda n: n >= 30_000, timeout=240, what="all")
    assert stored(pulse_stack, tag) == 30_000
