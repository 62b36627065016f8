"""One import: rows -> events -> the ingest API in batches, settled in file order.

Batches go out concurrently (``concurrency`` requests in flight) but are settled in file order:
a batch's rejected rows are written and the checkpoint moves past it only once every batch
before it is settled too, so the checkpoint never skips a row that was not confirmed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from pulse.importer.checkpoint import Checkpoint
from pulse.importer.exceptions import ImporterError, RowError
from pulse.importer.mapping import Mapper, detect_preset
from pulse.importer.readers import Row
from pulse.sender import post_batch

MAX_BATCH_BYTES = 768 * 1024  # under the API's 1 MiB body limit


@dataclass
class Batch:
    """Consecutive rows: the events to send (with their rows) and the rows refused already."""

    first_row: int
    last_row: int = 0
    rows: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[tuple[int, str, str, Any]] = field(default_factory=list)
    size: int = 2


@dataclass
class Importer:
    """Sends the rows of one file and keeps its checkpoint and rejects file up to date."""

    client: httpx.AsyncClient
    checkpoint: Checkpoint
    checkpoint_path: Path
    rejects: IO[bytes]
    preset: str = "auto"
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    batch_size: int = 1000
    concurrency: int = 4
    on_rows: Callable[[int], None] = lambda n: None
    _mapper: Mapper | None = None

    def _map(self, row: dict[str, Any]) -> dict[str, Any]:
        if self._mapper is None:
            preset = detect_preset(row) if self.preset == "auto" else self.preset
            self._mapper = Mapper(preset, self.overrides)
        return self._mapper.event(row)

    def batches(self, rows: Iterator[Row]) -> Iterator[Batch]:
        """The unsettled rows of ``rows`` grouped into batches (settled ones are skipped)."""
        batch: Batch | None = None
        for number, row in rows:
            if number < self.checkpoint.next_row:
                self.on_rows(1)
                continue
            batch = batch or Batch(first_row=number)
            batch.last_row = number
            try:
                if isinstance(row, RowError):
                    raise row
                event = self._map(row)
            except RowError as exc:
                batch.rejects.append((number, str(exc), "importer", row))
            else:
                size = len(orjson.dumps(event)) + 1
                if batch.events and batch.size + size > MAX_BATCH_BYTES:
                    batch.last_row = number - 1
                    yield batch
                    batch = Batch(first_row=number, last_row=number)
                batch.rows.append(number)
                batch.events.append(event)
                batch.raw.append(row)
                batch.size += size
            if len(batch.events) >= self.batch_size:
                yield batch
                batch = None
        if batch is not None:
            yield batch

    async def run(self, rows: Iterator[Row]) -> Checkpoint:
        """Send every unsettled row; return the final checkpoint (``complete``)."""
        in_flight: deque[tuple[asyncio.Task[dict[str, Any]] | None, Batch]] = deque()
        try:
            for batch in self.batches(rows):
                task = (
                    asyncio.create_task(post_batch(self.client, batch.events))
                    if batch.events
                    else None
                )
                in_flight.append((task, batch))
                while len(in_flight) >= self.concurrency:
                    await self._settle(*in_flight.popleft())
            while in_flight:
                await self._settle(*in_flight.popleft())
        except httpx.HTTPStatusError as exc:
            raise ImporterError(_refusal(exc.response)) from None
        except httpx.TransportError as exc:
            raise ImporterError(
                f"the ingest API did not answer ({exc!r}); run the same command again to resume"
            ) from None
        finally:
            for task, _ in in_flight:
                if task is not None:
                    task.cancel()
        self.checkpoint.complete = True
        self.checkpoint.save(self.checkpoint_path)
        return self.checkpoint

    async def _settle(self, task: asyncio.Task[dict[str, Any]] | None, batch: Batch) -> None:
        rejects = list(batch.rejects)
        if task is not None:
            verdicts = await task
            for result in verdicts.get("results", ()):
                if result.get("status") == "rejected":
                    index = int(result["index"])
                    rejects.append(
                        (batch.rows[index], result.get("error", ""), "api", batch.raw[index])
                    )
            self.checkpoint.accepted += int(verdicts.get("accepted", 0))
        for number, reason, by, raw in sorted(rejects, key=lambda r: r[0]):
            line = {"row": number, "reason": reason, "by": by, "data": raw}
            self.rejects.write(orjson.dumps(line, default=str) + b"\n")
        self.rejects.flush()
        self.checkpoint.rejected += len(rejects)
        self.checkpoint.next_row = batch.last_row + 1
        self.checkpoint.rejects_bytes = self.rejects.tell()
        self.checkpoint.save(self.checkpoint_path)
        self.on_rows(batch.last_row - batch.first_row + 1)


def _refusal(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return f"the ingest API refused a batch: {response.status_code} {detail}"
