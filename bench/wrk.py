"""HTTP load from wrk (compiled, one thread): POST prepared bodies, read wrk's own summary.

The bodies are written one per line to a file that a small Lua script loads; each request sends
the next body in turn. wrk's ``done`` hook prints its figures as one JSON line. The CPU time wrk
itself used is recorded beside them (``wrk_cpu_share`` of one core), so a run can show that the
generator was not what limited it.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson

MARK = "WRK_JSON "

SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("PULSE_WRK_BODIES")) do bodies[#bodies + 1] = line end
local key = os.getenv("PULSE_WRK_KEY")
local requests = {}
for i, body in ipairs(bodies) do
  requests[i] = wrk.format("POST", nil, {
    ["Host"] = wrk.host .. ":" .. wrk.port,
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, body)
end
local n = 0
request = function()
  n = n % #requests + 1
  return requests[n]
end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\\n',
    "MARK", summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
""".replace("MARK", MARK)


def wrk_path() -> str:
    """The wrk binary; a clear error when it is missing (.ci/system-deps.sh installs it)."""
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed: run .ci/system-deps.sh (or apt-get install wrk)")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def parse_summary(stdout: str) -> dict[str, Any]:
    """wrk's figures from the JSON line the script's ``done`` hook printed."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            return dict(orjson.loads(line[len(MARK) :]))
    raise RuntimeError(f"wrk printed no summary:\n{stdout[-2000:]}")


def post(
    url: str,
    key: str,
    bodies: list[bytes],
    events_per_body: int,
    connections: int,
    seconds: float,
    work: Path,
) -> dict[str, Any]:
    """POST ``bodies`` in turn to ``url`` for ``seconds`` over ``connections``; the figures."""
    if any(b"\n" in body for body in bodies):
        raise ValueError("each body must be one line of JSON")
    work.mkdir(parents=True, exist_ok=True)
    script, lines = work / "post.lua", work / f"bodies-{events_per_body}.jsonl"
    script.write_text(SCRIPT)
    lines.write_bytes(b"\n".join(bodies) + b"\n")
    argv = [wrk_path(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    argv += ["-s", str(script), url]
    env = {"PULSE_WRK_BODIES": str(lines), "PULSE_WRK_KEY": key, "PATH": "/usr/bin:/bin"}
    cpu_before, started = _children_cpu(), time.perf_counter()
    out = subprocess.run(
        argv, capture_output=True, text=True, check=True, timeout=seconds + 120, env=env
    )
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    raw = parse_summary(out.stdout)
    elapsed = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.endswith("_errors") or k == "timeouts")
    ok = raw["requests"] - raw["status_errors"]
    return {
        "generator": "wrk -t1",
        "batch": events_per_body,
        "connections": connections,
        "requests": raw["requests"],
        "errors": errors,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(raw["requests"] / elapsed, 1),
        "events_per_s": round(ok * events_per_body / elapsed, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "wrk_cpu_share": round(cpu / wall, 3),
    }
