"""After a round: canaries behind it reach ClickHouse, and every accepted id of the round is in
``events`` exactly once or in the dead-letter topic, never lost and never doubled."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from aiokafka.partitioner import DefaultPartitioner
from clickhouse_connect.driver.client import Client

from pulse.dlq.reader import scan
from tests.e2e.conftest import RunningStack
from tests.polling import eventually

SETTLE_SECONDS = 60.0


def canaries(partitions: int) -> list[dict[str, Any]]:
    """One fresh event per partition of the events topic (its key, user_id, picks it)."""
    choose, wanted = DefaultPartitioner(), list(range(partitions))
    found: dict[int, dict[str, Any]] = {}
    tag = uuid.uuid4().hex[:8]
    for n in itertools.count():
        user_id = f"canary-{tag}-{n}"
        partition = choose(user_id.encode(), wanted, wanted)
        found.setdefault(
            partition,
            {
                "event_id": str(uuid.uuid4()),
                "event": "user.login",
                "user_id": user_id,
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            },
        )
        if len(found) == partitions:
            return list(found.values())
    raise AssertionError("unreachable")


def stored_counts(client: Client, ids: Iterable[str]) -> dict[str, int]:
    """Rows of ``events`` per event_id, for the ids given."""
    rows = client.query(
        "SELECT toString(event_id), count() FROM events "
        "WHERE has({ids:Array(String)}, toString(event_id)) GROUP BY event_id",
        parameters={"ids": sorted(ids)},
    ).result_rows
    return {str(r[0]): int(r[1]) for r in rows}


def dead_lettered_ids(bootstrap: str, topic: str) -> set[str]:
    """The event_ids of every dead letter on ``topic`` (its value is the original record)."""

    async def collect() -> set[str]:
        ids = set()
        async for record in scan(bootstrap, topic, timeout=15):
            try:
                value = orjson.loads(record.value or b"")
            except orjson.JSONDecodeError:
                continue
            if isinstance(value, dict) and isinstance(value.get("event_id"), str):
                ids.add(value["event_id"])
        return ids

    return asyncio.run(collect())


@dataclass(frozen=True)
class Accounting:
    """Where the accepted ids of a round ended up."""

    stored: dict[str, int]
    dead: set[str]
    missing: set[str]

    @property
    def doubled(self) -> dict[str, int]:
        return {i: n for i, n in self.stored.items() if n > 1}


def account(stack: RunningStack, ids: set[str], canary_ids: set[str]) -> Accounting:
    """Poll until the canaries are stored and every id of ``ids`` is stored or dead-lettered."""
    client, shared = stack.clickhouse.client(database=stack.database), stack.stack.shared

    def probe() -> Accounting:
        stored = stored_counts(client, ids | canary_ids)
        missing = (ids | canary_ids) - stored.keys()
        dead: set[str] = set()
        if missing and not canary_ids & missing:
            dead = dead_lettered_ids(shared.kafka_bootstrap_servers, shared.dlq_topic) & missing
        return Accounting(stored, dead, missing - dead)

    try:
        return eventually(
            probe,
            lambda a: not a.missing,
            SETTLE_SECONDS,
            0.2,
            what="canaries stored and every accepted id stored or dead-lettered",
        )
    except AssertionError:
        return probe()  # the caller says which items went missing


def send_canaries(api: httpx.Client, partitions: int) -> set[str]:
    """Canaries behind the round, one per partition; their ids."""
    sent = canaries(partitions)
    resp = api.post("/v1/events", json=sent)
    assert resp.status_code == 202 and resp.json()["accepted"] == len(sent), resp.text
    return {c["event_id"] for c in sent}
