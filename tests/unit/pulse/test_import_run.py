"""The importer's batches against a fake API (httpx.MockTransport): verdicts become rejects at
their rows, the checkpoint moves batch by batch, and a resumed run skips settled rows."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson

from pulse.importer.checkpoint import Checkpoint
from pulse.importer.readers import read_rows
from pulse.importer.run import Importer


def fake_api(seen: list[list[dict[str, Any]]]) -> httpx.MockTransport:
    """Accepts every event but those of user "refused"; records each batch it gets."""

    def handle(request: httpx.Request) -> httpx.Response:
        batch = orjson.loads(request.content)
        seen.append(batch)
        results = [
            {"index": i, "status": "rejected", "error": "user refused"}
            if e["user_id"] == "refused"
            else {"index": i, "status": "accepted", "event_id": e["event_id"]}
            for i, e in enumerate(batch)
        ]
        accepted = sum(r["status"] == "accepted" for r in results)
        body = {"accepted": accepted, "rejected": len(batch) - accepted, "results": results}
        return httpx.Response(202, json=body)

    return httpx.MockTransport(handle)


def write_rows(path: Path) -> None:
    rows = [
        {"event": "user.login", "user_id": f"u{n}", "timestamp": f"2025-01-01T00:00:{n:02d}Z"}
        for n in range(10)
    ]
    rows[3]["user_id"] = "refused"
    lines = [orjson.dumps(r) for r in rows]
    lines[6] = b"{broken"
    path.write_bytes(b"\n".join(lines) + b"\n")


def run(source: Path, state: Checkpoint, seen: list[list[dict[str, Any]]]) -> Checkpoint:
    async def go() -> Checkpoint:
        transport = fake_api(seen)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            with (source.parent / "rejects.jsonl").open("a+b") as rejects:
                rejects.truncate(state.rejects_bytes)
                importer = Importer(client, state, source.parent / "cp.json", rejects, batch_size=4)
                return await importer.run(read_rows(source, "jsonl"))

    return asyncio.run(go())


def test_rejects_name_their_rows_and_the_checkpoint_covers_every_row(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    write_rows(source)
    seen: list[list[dict[str, Any]]] = []
    done = run(source, Checkpoint.open(tmp_path / "cp.json", source, False), seen)
    assert (done.accepted, done.rejected, done.next_row, done.complete) == (8, 2, 11, True)
    rejects = [orjson.loads(x) for x in (tmp_path / "rejects.jsonl").read_bytes().splitlines()]
    assert [(r["row"], r["by"]) for r in rejects] == [(4, "api"), (7, "importer")]
    assert [len(batch) for batch in seen] == [4, 4, 1]


def test_a_resumed_import_sends_only_unsettled_rows(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    write_rows(source)
    state = Checkpoint(file=str(source), fingerprint="", next_row=6, accepted=4, rejected=1)
    seen: list[list[dict[str, Any]]] = []
    done = run(source, state, seen)
    sent = [event["user_id"] for batch in seen for event in batch]
    assert sent == ["u5", "u7", "u8", "u9"]
    assert (done.accepted, done.rejected) == (8, 2)
