"""Schemathesis against the app's own ``/openapi.json``, in-process (ASGI), with a real Kafka
broker and real ClickHouse: no 5xx, and every answer matches what the document promises."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from loguru import logger
from schemathesis import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from tests.integration.ingest_api.conftest import ADMIN_KEY, KEYS

EXAMPLES_PER_OPERATION = 100
EXAMPLES = {"POST /v1/events": 400}  # the write path, where hostile input matters most
# Checks that contradict the contract, not the document: an invalid event is answered 202 with
# a per-event "rejected" verdict (never a whole-request 4xx), and a valid summary request for
# a user without events is a documented 404.
BY_DESIGN = [negative_data_rejection, positive_data_acceptance]
CASES: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module")
def api_schema(
    kafka_bootstrap: str, reports_database: tuple[str, str]
) -> Iterator[schemathesis.BaseSchema]:
    url, database = reports_database
    app = create_app(
        ApiSettings(  # type: ignore[call-arg]
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            PULSE_API_KEYS=KEYS,
            CLICKHOUSE_URL=url,
            CLICKHOUSE_DATABASE=database,
            PULSE_EVENTS_TOPIC="test.fuzz.events",
            PULSE_DLQ_TOPIC="test.fuzz.dlq",
            PULSE_EVENTS_PARTITIONS=1,
            PULSE_API_RATE_LIMIT_PER_SECOND=1e6,
            PULSE_API_RATE_LIMIT_BURST=1_000_000,
        )
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    shutdown_lifespans()
    logger.info(
        "schemathesis: {} cases in {:.0f} s, statuses {}",
        sum(CASES.values()),
        sum(SECONDS.values()),
        dict(sorted(STATUSES.items())),
    )
    for label, cases in sorted(CASES.items()):
        logger.info("  {}: {} cases, {:.1f} s", label, cases, SECONDS[label])


def fuzz(operation: APIOperation, mode: GenerationMode) -> None:
    """Up to ``EXAMPLES_PER_OPERATION`` cases of ``mode`` against one operation."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES.get(operation.label, EXAMPLES_PER_OPERATION),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    )
    def run(case: schemathesis.Case) -> None:
        CASES[f"{operation.label} {mode.value}"] += 1
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {ADMIN_KEY}"}, excluded_checks=BY_DESIGN
        )
        STATUSES[response.status_code] += 1

    started = time.monotonic()
    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to break: the route takes no input
    finally:
        SECONDS[f"{operation.label} {mode.value}"] += time.monotonic() - started


def test_every_operation_answers_as_documented(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode)
    assert sum(CASES.values()) >= len(operations) * EXAMPLES_PER_OPERATION
