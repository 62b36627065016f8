"""Running node from the tests: the SDK's own suite and bench, against the stack's API."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.integration.sdk_js.conftest import PRODUCER_KEY, SDK_DIR, JsStack


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed (Debian package nodejs)")
    return found


def stack_env(stack: JsStack) -> dict[str, str]:
    """What sdk/js/test/api.test.js reads: the API, a producer key, ClickHouse as the analyst."""
    user, password = stack.clickhouse.analyst_auth
    return os.environ | {
        "PULSE_TEST_API_URL": stack.api_url,
        "PULSE_TEST_PRODUCER_KEY": PRODUCER_KEY,
        "PULSE_TEST_CLICKHOUSE_URL": stack.clickhouse.url,
        "PULSE_TEST_CLICKHOUSE_DATABASE": stack.database,
        "PULSE_TEST_CLICKHOUSE_USER": user,
        "PULSE_TEST_CLICKHOUSE_PASSWORD": password,
    }


def run_node(
    args: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own node scripts
        [node(), *args], cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def suite_files() -> list[str]:
    return sorted(str(p.relative_to(SDK_DIR)) for p in (SDK_DIR / "test").glob("*.test.js"))
