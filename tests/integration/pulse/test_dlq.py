"""`pulse dlq list | show | replay` against a real broker: dead letters produced as the worker
writes them, replays read back from the events topic."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import orjson
import pytest
import typer
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import RecordsToDelete
from typer.testing import CliRunner, Result

from core.kafka_admin import admin_client, ensure_topics
from pulse.commands import dlq
from pulse.dlq.reader import scan
from tests.integration.stream_processors.conftest import record

# The `dlq` commands as `pulse` registers them, without the CLI's logging set-up (which would
# point loguru at CliRunner's stream, closed once the call returns).
app = typer.Typer()
dlq.register(app)


@dataclass
class Topics:
    bootstrap: str
    events: str
    dlq: str

    def env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "PULSE_EVENTS_TOPIC": self.events,
            "PULSE_DLQ_TOPIC": self.dlq,
            "COLUMNS": "200",
        }


@pytest.fixture
def topics(kafka_bootstrap: str) -> Iterator[Topics]:
    tag = uuid4().hex[:10]
    t = Topics(kafka_bootstrap, f"test.dlq-cli.{tag}", f"test.dlq-cli.{tag}.dlq")
    asyncio.run(ensure_topics(kafka_bootstrap, {t.events: 3, t.dlq: 1}))
    yield t


def dead_letter_headers(reason: str, error: str, offset: int) -> list[tuple[str, bytes]]:
    """The headers ``stream_processors.dlq.dead_letter_headers`` writes."""
    return [
        ("error", error.encode()),
        ("reason", reason.encode()),
        ("source_topic", b"pulse.events.v1"),
        ("source_partition", b"2"),
        ("source_offset", str(offset).encode()),
        ("request_id", f"req-{offset}".encode()),
    ]


def put_dead_letters(
    bootstrap: str, topic: str, letters: list[tuple[bytes, str, str]], key: bytes = b"student-1"
) -> None:
    """Produce ``(value, reason, error)`` dead letters, keyed like the worker's (user_id)."""

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for i, (value, reason, error) in enumerate(letters):
                await producer.send_and_wait(
                    topic, value, key=key, headers=dead_letter_headers(reason, error, 100 + i)
                )
        finally:
            await producer.stop()

    asyncio.run(produce())


def read_all(bootstrap: str, topic: str) -> list[Any]:
    async def read() -> list[Any]:
        return [r async for r in scan(bootstrap, topic)]

    return asyncio.run(read())


def pulse(topics: Topics, *args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=topics.env())
    assert result.exit_code == 0, result.output
    return result


LLM = {"model": "tutor-1", "prompt_tokens": 3, "completion_tokens": 2, "cost_usd": 0.5}


def mixed_letters() -> list[tuple[bytes, str, str]]:
    """A fixable one (ClickHouse refused it for a moment), and three the worker still refuses."""
    fixable = orjson.dumps(record("llm.call", metadata=LLM))
    bad_meta = orjson.dumps(record("llm.call", metadata={**LLM, "cost_usd": "cheap"}))
    return [
        (b"{not json", "not_json", "value is not JSON: unexpected character"),
        (fixable, "clickhouse_rejected", "Code: 241. MEMORY_LIMIT_EXCEEDED " + "x" * 200),
        (bad_meta, "invalid_record", "cost_usd: input should be a valid number"),
        (orjson.dumps({**record(), "v": 2}), "schema_version", "schema version 2 unsupported"),
    ]


def test_list_counts_per_reason_and_shows_the_newest(topics: Topics) -> None:
    put_dead_letters(topics.bootstrap, topics.dlq, mixed_letters())
    doc = orjson.loads(pulse(topics, "dlq", "list", "--json").stdout)
    assert doc["total"] == 4
    assert doc["by_reason"] == {
        "not_json": 1,
        "clickhouse_rejected": 1,
        "invalid_record": 1,
        "schema_version": 1,
    }
    assert [e["dlq"] for e in doc["newest"]] == ["0@3", "0@2", "0@1", "0@0"]
    assert doc["newest"][3] | {"time": None} == {
        "dlq": "0@0",
        "time": None,
        "reason": "not_json",
        "source": "2@100",
        "error": "value is not JSON: unexpected character",
        "request_id": "req-100",
    }
    only = orjson.loads(pulse(topics, "dlq", "list", "--json", "--reason", "not_json").stdout)
    assert only["total"] == 1 and [e["dlq"] for e in only["newest"]] == ["0@0"]
    table = pulse(topics, "dlq", "list", "--limit", "3").stdout
    assert "clickhouse_rejected" in table and "total" in table and "2@103" in table
    assert "Code: 241." in table
    assert "x" * 48 not in table.replace("\n", "")  # the error is cut at 80 characters
    assert "2@100" not in table  # only the newest 3 entries


def test_list_of_an_empty_dlq_ends_at_once(topics: Topics) -> None:
    doc = orjson.loads(pulse(topics, "dlq", "list", "--json").stdout)
    assert doc == {"total": 0, "by_reason": {}, "newest": []}


def test_show_prints_headers_error_and_pretty_payload(topics: Topics) -> None:
    put_dead_letters(topics.bootstrap, topics.dlq, mixed_letters())
    out = pulse(topics, "dlq", "show", "2").stdout
    assert "cost_usd: input should be a valid number" in out
    assert "source_offset" in out and "102" in out and "req-102" in out
    assert '"cost_usd": "cheap"' in out  # indented JSON, one field a line
    raw = pulse(topics, "dlq", "show", "0@0").stdout
    assert "b'{not json'" in raw
    missing = CliRunner().invoke(app, ["dlq", "show", "0@99"], env=topics.env())
    assert missing.exit_code == 1 and "no dead letter at 0@99" in missing.output


def test_replay_sends_the_fixed_letter_once_even_when_run_twice(topics: Topics) -> None:
    letters = mixed_letters()
    put_dead_letters(topics.bootstrap, topics.dlq, letters)
    dry = pulse(topics, "dlq", "replay", "--dry-run").stdout
    assert "would replay 1" in dry and "3 still invalid" in dry
    assert read_all(topics.bootstrap, topics.events) == []

    first = pulse(topics, "dlq", "replay").stdout
    assert "replayed 1" in first and "0 replayed before" in first and "3 still invalid" in first
    assert "cost_usd" in first and "schema version 2" in first  # the errors they get now
    second = pulse(topics, "dlq", "replay").stdout
    assert "replayed 0" in second and "1 replayed before" in second

    sent = read_all(topics.bootstrap, topics.events)
    assert [(m.key, m.value) for m in sent] == [(b"student-1", letters[1][0])]
    assert dict(sent[0].headers)["dlq_replay_of"] == f"{topics.dlq}:0@1".encode()
    listed = orjson.loads(pulse(topics, "dlq", "list", "--json").stdout)
    assert listed["total"] == 4  # replay never removes dead letters


def test_replay_by_reason_or_offset_picks_only_those(topics: Topics) -> None:
    fixed_a = orjson.dumps(record("user.login"))
    fixed_b = orjson.dumps(record("user.logout"))
    put_dead_letters(
        topics.bootstrap,
        topics.dlq,
        [
            (fixed_a, "clickhouse_rejected", "timeout"),
            (fixed_b, "invalid_record", "was bad"),
        ],
    )
    out = pulse(topics, "dlq", "replay", "--reason", "invalid_record").stdout
    assert "replayed 1" in out
    assert [m.value for m in read_all(topics.bootstrap, topics.events)] == [fixed_b]
    out = pulse(topics, "dlq", "replay", "--offset", "0@0", "--offset", "1").stdout
    assert "replayed 1" in out and "1 replayed before" in out
    values = sorted(m.value for m in read_all(topics.bootstrap, topics.events))
    assert values == sorted([fixed_a, fixed_b])


def test_bad_offset_is_a_usage_error(topics: Topics) -> None:
    result = CliRunner().invoke(app, ["dlq", "show", "zero"], env=topics.env())
    assert result.exit_code == 2 and "PARTITION@OFFSET" in result.output


def test_pulse_cli_offers_the_dlq_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pulse.cli", "dlq", "--help"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "list" in out and "show" in out and "replay" in out


def test_a_dlq_trimmed_by_retention_lists_what_is_left(topics: Topics) -> None:
    put_dead_letters(topics.bootstrap, topics.dlq, mixed_letters())

    async def trim() -> None:
        async with admin_client(topics.bootstrap, 10) as admin:
            await admin.delete_records({TopicPartition(topics.dlq, 0): RecordsToDelete(2)})

    asyncio.run(trim())
    doc = orjson.loads(pulse(topics, "dlq", "list", "--json").stdout)
    assert [e["dlq"] for e in doc["newest"]] == ["0@3", "0@2"]
    assert "invalid_record" in pulse(topics, "dlq", "show", "0@2").stdout
