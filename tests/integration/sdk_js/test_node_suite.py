"""The JS SDK's node:test suite, against the real API, ClickHouse behind it, from `make test`."""

from __future__ import annotations

import json
import os

from loguru import logger

from tests.integration.sdk_js.conftest import MEASURED, PRODUCER_KEY, JsStack
from tests.integration.sdk_js.node_runner import run_node, stack_env, suite_files


def test_node_suite_passes_against_the_real_api(js_stack: JsStack) -> None:
    done = run_node(["--test", "--test-reporter=tap", *suite_files()], stack_env(js_stack), 600)
    summary = [line for line in done.stdout.splitlines() if line.startswith("# ")]
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in summary and "# skipped 0" in summary, summary


def test_sdk_throughput_is_measured_beside_a_raw_fetch_ceiling(js_stack: JsStack) -> None:
    done = run_node(
        ["bench/throughput.js", js_stack.api_url, PRODUCER_KEY, "10000"], stack_env(js_stack), 600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    load = os.getloadavg()
    line = ", ".join(f"{k} {v}" for k, v in figures.items()) + f" (load average {load[0]:.1f})"
    MEASURED.append(line)
    logger.info("JS SDK throughput: {}", line)
    assert figures["sdk_events_per_s"] > 0 and figures["ceiling_events_per_s"] > 0
