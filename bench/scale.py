"""Scale out: 1, 2 and 4 worker processes in ONE consumer group draining a 12-partition topic.

A private broker (12 partitions) and endpoint are started; ``events`` generated events are
produced once to ``pulse.events.v1`` exactly as the ingest API writes them. For each worker
count, a fresh database is migrated and that many ``python -m stream_processors`` processes are
started with the same app id (one group, so Kafka splits the 12 partitions between them), timed
between 10% and 90% of the events stored in ``events_store`` (the steady middle of the drain;
their CPU seconds and the endpoint's too, for per-core figures), and the result is checked for
exactness: the ``events`` view holds each produced event once, and every contract view has one
row per key and agrees with the raw events (DAU per day, subject events, LLM calls, pairs).

Long (three drains): it runs only when asked, ``python -m bench --only scale``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError
from clickhouse_connect.driver.client import Client
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.table import Table

from bench.config import BenchSettings
from bench.kafka_load import produce, workload_messages
from bench.services import clickhouse_endpoint, kafka_broker, migrated
from bench.stats import rate, timed
from clickhouse.client import scalar_int, writer_client
from core.kafka_admin import admin_client, ensure_topics
from core.settings import DLQ_TOPIC, EVENTS_TOPIC, SharedSettings
from pulse.local.ports import free_port
from pulse.local.process import ManagedProcess, StartupError, wait_until

PARTITIONS = 12


class ScaleSettings(BaseSettings):
    """Knobs of the scale section (environment variables PULSE_BENCH_SCALE_*)."""

    model_config = SettingsConfigDict(env_prefix="PULSE_BENCH_SCALE_", frozen=True)

    events: int = Field(300_000, ge=1, description="events produced once, drained per count")
    users: int = Field(5_000, ge=1, description="users of the workload")
    workers: tuple[int, ...] = Field((1, 2, 4), description="worker processes per run")
    timeout: float = Field(900.0, gt=0, description="s allowed for one run to sink everything")
    settle_timeout: float = Field(60.0, gt=0, description="s then allowed for the views to agree")


# Each pair: a contract view's figure, and the same figure from the raw `events` view.
AGREEMENT = {
    "dau_days": (
        "SELECT groupArray((day, dau)) FROM (SELECT day, dau FROM dau ORDER BY day)",
        "SELECT groupArray((day, n)) FROM (SELECT toDate(ts) AS day, toUInt64(uniqExact(user_id))"
        " AS n FROM events GROUP BY day ORDER BY day)",
    ),
    "subject_events": (
        "SELECT sum(events) FROM subject_usage_daily",
        "SELECT countIf(subject != '') FROM events",
    ),
    "llm_calls": (
        "SELECT sum(calls) FROM llm_usage_daily",
        "SELECT countIf(event = 'llm.call') FROM events",
    ),
    "assignment_pairs": (
        "SELECT count() FROM assignment_time",
        "SELECT uniqExactIf((user_id, assignment_id), startsWith(event, 'assignment.')"
        " AND assignment_id != '') FROM events",
    ),
}
# Rows minus distinct keys of each contract view: 0 when nothing is doubled.
DUPLICATES = {
    "events": "SELECT count() - uniqExact(event_id) FROM events",
    "dau": "SELECT count() - uniqExact(day) FROM dau",
    "llm_usage_daily": "SELECT count() - uniqExact(day, user_id, model) FROM llm_usage_daily",
    "subject_usage_daily": "SELECT count() - uniqExact(day, subject) FROM subject_usage_daily",
    "assignment_time": "SELECT count() - uniqExact(user_id, assignment_id) FROM assignment_time",
}
_PARTITIONS_SEEN = "SELECT uniqExact(kafka_partition) FROM events_store"


def _worker(work: Path, shared: SharedSettings, app_id: str, index: int) -> ManagedProcess:
    """One worker process of the group ``app_id``, with its own port and data directory."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": shared.kafka_bootstrap_servers,
        "CLICKHOUSE_URL": shared.clickhouse_url,
        "CLICKHOUSE_DATABASE": shared.clickhouse_database,
        "PULSE_WORKER_APP_ID": app_id,
        "PULSE_WORKER_PORT": str(free_port()),
        "PULSE_DATA_DIR": str(work / f"worker-{index}"),
        "PULSE_EVENTS_PARTITIONS": str(PARTITIONS),
        "PYTHONUNBUFFERED": "1",
    }
    name = f"stream_worker_{index}"
    proc = ManagedProcess(name, work / f"{name}.pid", work / f"{name}.log")
    proc.spawn([sys.executable, "-m", "stream_processors"], env=env, cwd=work)
    return proc


def exactness(client: Client, produced: int) -> dict[str, Any]:
    """Stored against produced, each view's duplicates, and each view against raw events."""
    stored = scalar_int(client, "SELECT count() FROM events", {})
    duplicates = {name: scalar_int(client, sql, {}) for name, sql in DUPLICATES.items()}
    agree = {
        name: client.query(view).result_rows == client.query(raw).result_rows
        for name, (view, raw) in AGREEMENT.items()
    }
    return {
        "events_produced": produced,
        "events_stored": stored,
        "duplicates_per_view": duplicates,
        "views_agree_with_raw_events": agree,
        "exact": stored == produced and not any(duplicates.values()) and all(agree.values()),
    }


async def _group(bootstrap: str, group: str) -> tuple[str, int]:
    """The consumer group's state (``Stable`` once a rebalance is over) and its member count."""
    try:
        async with admin_client(bootstrap, 10.0) as admin:
            (response,) = await admin.describe_consumer_groups([group])
    except KafkaError:  # no coordinator before the group's first member joins
        return "", 0
    _error, _id, state, _type, _protocol, members, *_ = response.groups[0]
    return str(state), len(members)


def _cpu_seconds(pids: list[int | None]) -> float:
    """User + system CPU seconds of the processes ``pids`` so far (0 for one that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total


def _stalled(client: Client, produced: int) -> dict[str, Any]:
    """What a group that stopped short of ``produced`` events had stored, per partition."""
    per_partition = client.query(
        "SELECT kafka_partition, count() FROM events_store GROUP BY 1 ORDER BY 1"
    ).result_rows
    return {
        "stalled": True,
        "exact": False,
        "events_produced": produced,
        "events_stored": _stored(client),
        "stored_per_partition": {int(p): int(n) for p, n in per_partition},
    }


def _stored(client: Client) -> int:
    return scalar_int(client, "SELECT count() FROM events_store", {})


def _drain(
    work: Path, shared: SharedSettings, workers: int, cfg: ScaleSettings, endpoint: int | None
) -> dict[str, Any]:
    """``workers`` processes of one new group drain the topic into ``shared``'s database.

    The rate is measured between 10% and 90% of the events stored: the steady middle of the
    drain, without process start-up, the rebalances as members join, and the last flush. CPU
    seconds of the workers and of the ClickHouse endpoint (pid ``endpoint``) are sampled at the
    same two moments, so events per CPU-second are per-core figures.
    """
    client = writer_client(settings=shared)
    app_id = f"pulse-bench-scale-{secrets.token_hex(4)}"
    start = time.perf_counter()
    procs = [_worker(work / f"w{workers}", shared, app_id, i) for i in range(workers)]
    marks: dict[str, float] = {}
    rows: dict[str, int] = {}
    cpu: dict[str, dict[str, float]] = {}

    def note(mark: str, count: int) -> None:
        marks[mark], rows[mark] = time.perf_counter(), count
        for name, pids in (("workers", [p.pid for p in procs]), ("clickhouse", [endpoint])):
            cpu.setdefault(name, {})[mark] = _cpu_seconds(pids)

    def progress() -> bool:
        count = _stored(client)
        for mark, share in (("first_row", 1e-9), ("p10", 0.1), ("p90", 0.9), ("all_rows", 1.0)):
            if mark not in marks and count >= share * cfg.events:
                note(mark, count)
        if "group_stable" not in marks and count < cfg.events:
            state, members = asyncio.run(_group(shared.kafka_bootstrap_servers, app_id))
            if state == "Stable" and members == workers:  # every worker holds its partitions
                note("group_stable", count)
        return "all_rows" in marks

    def alive() -> bool:
        return all(p.is_running() for p in procs)

    checked: dict[str, Any] = {}

    def settled() -> bool:  # the rollups' last recomputes land just after the last facts
        checked.update(exactness(client, cfg.events))
        return bool(checked["exact"])

    stalled: dict[str, Any] | None = None
    try:
        try:
            wait_until(
                progress, cfg.timeout, f"{workers} worker(s) sinking every event", alive=alive
            )
        except StartupError:
            if not alive():
                raise
            stalled = _stalled(client, cfg.events)  # alive but stuck: an outcome to record
        if stalled is None:
            try:
                wait_until(settled, cfg.settle_timeout, "the views agreeing with the events")
                marks["settled"] = time.perf_counter()
            except StartupError:
                pass  # reported as inexact below, with what disagrees
            result = checked | {"partitions_seen": scalar_int(client, _PARTITIONS_SEEN, {})}
    except StartupError as exc:
        logs = ", ".join(str(p.log_file) for p in procs)
        raise StartupError(f"{exc}; see {logs}") from None
    finally:
        for proc in procs:
            proc.stop(grace=20)
        client.close()
    if stalled is not None:
        seconds = {k: round(v - start, 2) for k, v in marks.items()}
        return stalled | {"workers": workers, "seconds_from_spawn": seconds, "events_per_s": 0.0}
    middle = rows["p90"] - rows["p10"]
    return (
        result
        | {
            f"events_per_{name}_cpu_second": rate(middle, samples["p90"] - samples["p10"])
            for name, samples in cpu.items()
        }
        | {
            "workers": workers,
            "seconds_from_spawn": {k: round(v - start, 2) for k, v in marks.items()},
            "events_per_s": rate(middle, marks["p90"] - marks["p10"]),
            "group_stable_before_p10": marks.get("group_stable", float("inf")) <= marks["p10"],
            "events_per_s_from_first_row": rate(cfg.events, marks["all_rows"] - marks["first_row"]),
            "events_per_s_including_startup": rate(cfg.events, marks["all_rows"] - start),
        }
    )


def endpoint_pid(work: Path) -> int | None:
    """The pid of the section's ClickHouse endpoint (its pid file, as bench.services writes it)."""
    try:
        return int((work / "clickhouse" / "clickhouse.pid").read_text())
    except (OSError, ValueError):
        return None


def _message_bytes(messages: list[Any]) -> int:
    return sum(len(m.value) for m in messages) // max(len(messages), 1)


def run(_: BenchSettings, cfg: ScaleSettings | None = None) -> dict[str, Any]:
    """The whole section, in a temporary directory with its own broker and endpoint."""
    cfg = cfg or ScaleSettings()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pulse-bench-scale-") as tmp:
        work = Path(tmp)
        with (
            kafka_broker(work, PARTITIONS) as bootstrap,
            clickhouse_endpoint(work / "clickhouse") as url,
        ):
            asyncio.run(ensure_topics(bootstrap, {EVENTS_TOPIC: PARTITIONS, DLQ_TOPIC: 1}))
            prepare_s, messages = timed(lambda: list(workload_messages(cfg.events, cfg.users)))
            record_bytes = _message_bytes(messages)
            produce_s = asyncio.run(produce(bootstrap, EVENTS_TOPIC, messages))
            del messages
            for workers in cfg.workers:
                shared = migrated(url, f"pulse_scale_{workers}", kafka=bootstrap)
                runs.append(_drain(work, shared, workers, cfg, endpoint_pid(work)))
    single = runs[0]["events_per_s"] if runs and runs[0]["workers"] == 1 else None
    for entry in runs:
        entry["speedup_vs_one_worker"] = (
            round(entry["events_per_s"] / single, 2) if single else None
        )
    return {
        "events": cfg.events,
        "partitions": PARTITIONS,
        "record_bytes": record_bytes,
        "prepare_seconds": round(prepare_s, 1),
        "produce_events_per_s": rate(cfg.events, produce_s),
        "runs": runs,
        "all_exact": all(entry["exact"] for entry in runs),
    }


def _verdict(entry: dict[str, Any]) -> str:
    if entry.get("stalled"):
        return f"NO: stalled at {entry['events_stored']:,} of {entry['events_produced']:,}"
    return "yes" if entry["exact"] else f"NO: {entry['duplicates_per_view']}"


def table(result: dict[str, Any]) -> Table:
    """The section's figures: one row per worker count."""
    out = Table(
        "workers",
        "events/s (10–90%)",
        "× one worker",
        "from first row",
        "exact",
        title=f"Scale out: {result['events']:,} events, {result['partitions']} partitions",
    )
    for entry in result["runs"]:
        out.add_row(
            str(entry["workers"]),
            f"{entry['events_per_s']:,.0f}",
            str(entry["speedup_vs_one_worker"]),
            f"{entry.get('events_per_s_from_first_row', 0):,.0f}",
            _verdict(entry),
        )
    return out
