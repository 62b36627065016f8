"""What a scenario sent and what ClickHouse stored: the exactly-once verdict and its figures."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from clickhouse_connect.driver.client import Client

from tests.e2e.faults.load import Outcome
from tests.polling import eventually


@dataclass
class Figures:
    """Per-scenario counts for docs/faults.md: lost and doubled must both be 0."""

    scenario: str
    requests: int
    sent: int
    accepted: int
    stored: int
    lost: int
    doubled: int
    unexpected: int
    redelivered: int
    statuses: dict[str, int] = field(default_factory=dict)
    settle_seconds: float = 0.0

    def line(self) -> str:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.scenario}: requests {self.requests}, sent {self.sent}, accepted "
            f"{self.accepted}, stored {self.stored}, lost {self.lost}, doubled {self.doubled}, "
            f"unexpected {self.unexpected}, redelivered rows seen {self.redelivered}, "
            f"settled in {self.settle_seconds:.1f} s ({statuses})"
        )


MEASURED: list[Figures] = []  # every scenario's figures, for the terminal summary


def status_counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """How many requests ended with each HTTP status or transport error."""
    return dict(Counter(str(o.status) if o.status is not None else str(o.error) for o in outcomes))


def stored_rows(client: Client, tag: str) -> tuple[int, int]:
    """(rows, distinct event_ids) of the scenario's events in the contract's ``events`` view."""
    row = client.query(
        "SELECT count(), uniqExact(event_id) FROM events WHERE source = {tag:String}",
        parameters={"tag": tag},
    ).result_rows[0]
    return int(row[0]), int(row[1])


def duplicate_rows(client: Client, tag: str) -> int:
    """Rows of the scenario in ``events_store`` that repeat an event_id, not yet merged away."""
    row = client.query(
        "SELECT count() - uniqExact(event_id) FROM events_store WHERE source = {tag:String}",
        parameters={"tag": tag},
    ).result_rows[0]
    return int(row[0])


def settle(
    client: Client, tag: str, expected: int, timeout: float = 120.0, quiet: float = 3.0
) -> float:
    """Wait until the stored count equals ``expected`` and stays so for ``quiet`` seconds.

    Returns the seconds until the count reached its final value. The quiet period catches
    events that should not be there and arrive late (a redelivery, or a refused request that
    was stored after all).
    """
    began = time.monotonic()
    history: list[tuple[float, int]] = []

    def probe() -> tuple[int, float]:
        """(stored count, seconds it has not changed)."""
        history.append((time.monotonic(), stored_rows(client, tag)[0]))
        return history[-1][1], history[-1][0] - _run_start(history)

    eventually(
        probe,
        lambda seen: seen[0] == expected and seen[1] >= quiet,
        timeout=timeout,
        interval=0.5,
        what=f"{expected} events of {tag} stored and stable",
    )
    return _run_start(history) - began


def _run_start(history: list[tuple[float, int]]) -> float:
    """When the last value of ``history`` was first seen in its final run of equal values."""
    last, start = history[-1][1], history[-1][0]
    for moment, value in reversed(history):
        if value != last:
            break
        start = moment
    return start


def verdict(
    scenario: str, client: Client, tag: str, outcomes: list[Outcome], settle_seconds: float
) -> tuple[Figures, set[str], set[str]]:
    """Figures plus (accepted ids missing from ClickHouse, stored ids never accepted)."""
    accepted = {i for o in outcomes for i in o.accepted_ids}
    stored = {
        str(r[0])
        for r in client.query(
            "SELECT event_id FROM events WHERE source = {tag:String}", parameters={"tag": tag}
        ).result_rows
    }
    rows, distinct = stored_rows(client, tag)
    figures = Figures(
        scenario=scenario,
        requests=len(outcomes),
        sent=sum(len(o.event_ids) for o in outcomes),
        accepted=len(accepted),
        stored=distinct,
        lost=len(accepted - stored),
        doubled=rows - distinct,
        unexpected=len(stored - accepted),
        redelivered=duplicate_rows(client, tag),
        statuses=status_counts(outcomes),
        settle_seconds=settle_seconds,
    )
    return figures, accepted - stored, stored - accepted


def assert_exactly_once(
    scenario: str,
    client: Client,
    tag: str,
    outcomes: list[Outcome],
    timeout: float = 120.0,
    redelivered_seen: int = 0,
) -> Figures:
    """Once the stream settles: every accepted event stored once, nothing refused stored.

    ``redelivered_seen``: duplicate rows the scenario saw in ``events_store`` before merges
    collapsed them (reported with the figures).
    """
    accepted = {i for o in outcomes for i in o.accepted_ids}
    assert accepted, f"{scenario}: no request was accepted; the load never reached the API"
    try:
        took = settle(client, tag, len(accepted), timeout)
    except AssertionError as exc:
        figures = verdict(scenario, client, tag, outcomes, float("nan"))[0]
        MEASURED.append(figures)
        raise AssertionError(f"{exc}\n{figures.line()}") from None
    figures, missing, unexpected = verdict(scenario, client, tag, outcomes, took)
    figures.redelivered = max(figures.redelivered, redelivered_seen)
    MEASURED.append(figures)
    assert not missing, f"{len(missing)} accepted events lost, e.g. {sorted(missing)[:3]}"
    assert not unexpected, f"{len(unexpected)} refused events stored, e.g. {sorted(unexpected)[:3]}"
    assert figures.doubled == 0, f"{figures.doubled} events stored twice"
    return figures
