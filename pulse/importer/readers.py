"""Rows of a file, numbered from 1: JSON lines (the line number), CSV (the data row), Parquet.

A row is a dict of column -> value, or a :class:`RowError` when the row cannot even be read (a
JSON line that is not an object, say): readers never stop at a bad row. ``.gz`` files are read
through gzip.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import orjson

from pulse.importer.exceptions import ImporterError, RowError

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
Row = tuple[int, dict[str, Any] | RowError]


def detect_format(path: Path) -> str:
    """The format named by the file's suffix (``.gz`` aside)."""
    suffixes = [s for s in path.suffixes if s != ".gz"]
    found = _SUFFIXES.get(suffixes[-1].lower()) if suffixes else None
    if found is None:
        raise ImporterError(
            f"cannot tell the format of {path.name}: name it .jsonl, .csv or .parquet, "
            "or pass --format jsonl|csv|parquet"
        )
    return found


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def read_rows(path: Path, fmt: str) -> Iterator[Row]:
    """Every row of ``path`` in file order."""
    if fmt == "jsonl":
        yield from _jsonl(path)
    elif fmt == "csv":
        yield from _csv(path)
    elif fmt == "parquet":
        yield from _parquet(path)
    else:
        raise ImporterError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")


def _jsonl(path: Path) -> Iterator[Row]:
    with _open(path) as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, RowError(f"not JSON: {exc}")
                continue
            yield number, doc if isinstance(doc, dict) else RowError("not a JSON object")


def _csv(path: Path) -> Iterator[Row]:
    with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        reader = csv.DictReader(text)
        for number, row in enumerate(reader, start=1):
            if None in row:
                yield number, RowError(f"{len(row[None])} more cells than the header has columns")
                continue
            yield number, {k: (v if v != "" else None) for k, v in row.items()}


def _parquet(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq  # only Parquet imports need it

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
        for row in batch.to_pylist():
            number += 1
            yield number, row


def count_rows(path: Path, fmt: str) -> int:
    """How many rows ``path`` holds (a quick pass, for the progress bar)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if fmt == "csv":
        with _open(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            return max(sum(1 for _ in csv.reader(text)) - 1, 0)
    with _open(path) as stream:
        return sum(1 for line in stream if line.strip())
