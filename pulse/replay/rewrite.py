"""Replayed messages -> the worker's fact rows -> ClickHouse, then the rollups they touched.

Nothing here is the worker's copy: messages are decoded by ``stream_processors.decoding``,
mapped by the worker's projections (``stream_processors.agents``), written by its
:class:`Sink` and their rollups recomputed by its :class:`RollupRefresher`.

Why a replay never doubles anything: every fact table is a ReplacingMergeTree keyed by
``event_id`` (``dau_users`` by day and user), and a replayed message gives the very row the
worker wrote (its partition and offset included), so a rewrite collapses onto it; the rollups
are recomputed as absolute values of the touched keys, so a second recompute writes the same
value.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiokafka import ConsumerRecord

from clickhouse.rollups import TouchedKeys
from stream_processors.agents.llm_usage import projection as llm_projection
from stream_processors.agents.pipeline import FIXED_PROJECTIONS, Projections
from stream_processors.decoding import Undecodable, decode_record
from stream_processors.labels import BoundedLabel
from stream_processors.rollup_refresh import RollupRefresher
from stream_processors.rows import Row
from stream_processors.sink import Sink

# The worker's own projections; a replay updates no live counters, so no model is labelled.
PROJECTIONS = Projections((*FIXED_PROJECTIONS, llm_projection(BoundedLabel((), 0))))


@dataclass
class ReplayReport:
    """What a replay read and wrote."""

    messages: int = 0
    events: int = 0
    undecodable: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    refused: list[str] = field(default_factory=list)


async def rewrite(
    batches: AsyncIterator[tuple[list[ConsumerRecord], int]],
    sink: Sink,
    refresher: RollupRefresher,
    on_progress: Callable[[int], None] = lambda done: None,
) -> ReplayReport:
    """Write the facts of every batch, then refresh the rollup keys the stored rows touched.

    Undecodable messages are counted and skipped: the worker dead-lettered them when it first
    read them (``pulse dlq`` replays them once fixed). Rows ClickHouse refuses for good are
    reported, never retried forever.
    """
    report = ReplayReport()
    async for records, done in batches:
        added: list[tuple[str, Row]] = []
        for message in records:
            report.messages += 1
            value = decode_record(message.value)
            if isinstance(value, Undecodable):
                report.undecodable[value.reason] = report.undecodable.get(value.reason, 0) + 1
                continue
            report.events += 1
            # The projections read the message's partition and offset, as on a Faust message.
            for table, row in PROJECTIONS.rows(value, message):
                sink.add(table, row, origin=message)
                added.append((table, row))
        flushed = await sink.flush()
        report.rows += flushed.written
        unstored = {id(rejection.row) for rejection in flushed.rejected}
        report.refused += [
            f"{r.table} {r.origin.partition}@{r.origin.offset}: {r.error}"  # type: ignore[attr-defined]
            for r in flushed.rejected
        ]
        touched = TouchedKeys()
        for table, row in added:
            if id(row) not in unstored:
                touched.add(table, row)
        await refresher.refresh(touched)
        on_progress(done)
    return report
