"""The SDK's own throughput from one process, beside a ceiling measured in the same run.

The ceiling is the same API fed by the leanest possible producer: pre-encoded, pre-gzipped
1000-event batches POSTed back to back by one httpx client. The SDK's figure is from the first
``track`` to the end of ``flush`` (validation, encoding, batching, gzip and verdicts included).
No timing is asserted (the machine is shared); the figures are printed with the load average.
"""

from __future__ import annotations

import gzip
import os
import time
import uuid
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from pulse_client import Client

from tests.integration.sdk_python.conftest import FIGURES, PRODUCER_KEY, SdkStack

pytestmark = pytest.mark.slow

EVENTS = 30_000


def sdk_rate(stack: SdkStack, tag: str, validate: bool) -> tuple[float, float]:
    """(events/s delivered, microseconds per ``track`` call) for EVENTS llm.call events."""
    with Client(stack.api_url, PRODUCER_KEY, source=tag, validate=validate) as client:
        started = time.perf_counter()
        for n in range(EVENTS):
            client.llm_call(f"user-{n % 500}", "gpt-x", n % 900, 40, 0.0004, feature="hint")
        queued = time.perf_counter()
        assert client.flush(timeout=300)
        done = time.perf_counter()
        assert client.stats.delivered == EVENTS, client.stats
    return EVENTS / (done - started), (queued - started) / EVENTS * 1e6


def ceiling_rate(stack: SdkStack, tag: str) -> float:
    """Events/s of pre-encoded gzip batches of 1000 POSTed back to back."""
    now = datetime.now(UTC).isoformat()
    bodies = [
        gzip.compress(orjson.dumps([
            {"event_id": str(uuid.uuid4()), "event": "llm.call", "user_id": f"user-{n % 500}",
             "timestamp": now, "source": tag, "metadata": {"model": "gpt-x",
             "prompt_tokens": n % 900, "completion_tokens": 40, "cost_usd": 0.0004,
             "feature": "hint"}}
            for n in range(b, b + 1000)
        ]), compresslevel=5)
        for b in range(0, EVENTS, 1000)
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {PRODUCER_KEY}", "Content-Type": "application/json",
               "Content-Encoding": "gzip"}  # fmt: skip
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as http:
        started = time.perf_counter()
        for body in bodies:
            assert http.post("/v1/events", content=body).status_code == 202
        return EVENTS / (time.perf_counter() - started)


def test_sdk_throughput_beside_the_raw_http_ceiling(sdk_stack: SdkStack, tag: str) -> None:
    ceiling = ceiling_rate(sdk_stack, f"{tag}-raw")
    checked, per_call = sdk_rate(sdk_stack, f"{tag}-sdk", validate=True)
    unchecked, per_call_unchecked = sdk_rate(sdk_stack, f"{tag}-nocheck", validate=False)
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    FIGURES.append(
        f"throughput, {EVENTS} llm.call events from one process: SDK {checked:,.0f} events/s "
        f"({checked / ceiling:.2f} of the raw-HTTP ceiling {ceiling:,.0f} events/s), "
        f"{per_call:.0f} us per track call; validate=False {unchecked:,.0f} events/s, "
        f"{per_call_unchecked:.0f} us per call (load average {load})"
    )
    sdk_stack.wait_stored(f"{tag}-sdk", EVENTS, timeout=300)
