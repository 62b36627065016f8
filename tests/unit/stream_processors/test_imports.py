"""Every module of the worker imports on its own, in a fresh process (no import cycle).

One helper interpreter loads the third-party libraries once, then forks a child per module;
each child starts with none of the repository's packages loaded and imports one module first.
"""

import subprocess
import sys
from pathlib import Path

import orjson

PACKAGE = Path(__file__).resolve().parents[3] / "stream_processors"
OURS = ("stream_processors", "core", "clickhouse", "schemas", "pulse", "ingest_api")

FORK_EACH = """
import os, sys, traceback
import aiokafka, clickhouse_connect, faust, loguru, orjson, prometheus_client, pydantic
import pydantic_settings
import clickhouse_connect.driver.asyncclient, faust.transport.drivers.aiokafka, faust.web  # noqa

failures = {}
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            assert not [m for m in sys.modules if m.split(".")[0] in OURS], "not fresh"
            __import__(name)
        except BaseException:
            sys.stderr.write(traceback.format_exc().strip().splitlines()[-1])
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status:
        failures[name] = status
print(orjson.dumps(failures).decode())
"""


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_package_lists_its_modules() -> None:
    names = module_names()
    assert {"stream_processors", "stream_processors.live", "stream_processors.dlq"} <= set(names)
    assert "stream_processors.agents.batching" in names


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_worker_module_imports_first_in_a_fresh_process() -> None:
    done = run(f"OURS = {OURS!r}\n{FORK_EACH}", *module_names())
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == {}, done.stderr


def test_a_module_that_fails_to_import_is_reported() -> None:
    done = run(f"OURS = {OURS!r}\n{FORK_EACH}", "stream_processors.no_such_module")
    assert orjson.loads(done.stdout) == {"stream_processors.no_such_module": 256}


def test_importing_the_faust_entry_module_builds_nothing() -> None:
    code = (
        "import sys, stream_processors.app as m; "
        "assert 'app' not in vars(m); "
        "assert 'stream_processors.agents.pipeline' in sys.modules"
    )
    done = run(code)
    assert done.returncode == 0, done.stderr
