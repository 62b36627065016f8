"""Events to and from JSON Lines files (``.gz`` compressed when the name says so)."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from pulse.workload.exceptions import WorkloadError


def _open(path: Path, mode: str) -> IO[bytes]:
    if str(path) == "-":
        return open(sys.stdout.fileno() if "w" in mode else sys.stdin.fileno(), mode, closefd=False)
    if path.suffix == ".gz":
        return gzip.open(path, mode)  # type: ignore[return-value]
    return path.open(mode)


def write_jsonl(events: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write one JSON object per line to ``path`` (``-`` for stdout); returns how many."""
    target = Path(path)
    if str(target) != "-" and not target.parent.is_dir():
        raise WorkloadError(f"directory {target.parent} does not exist; create it or pick another")
    count = 0
    with _open(target, "wb") as out:
        for event in events:
            out.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
    return count


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """The events of a JSON Lines file (``-`` for stdin), one dict per non-empty line."""
    with _open(Path(path), "rb") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                message = f"{path}:{number}: not JSON ({exc}); fix or drop that line"
                raise WorkloadError(message) from None
