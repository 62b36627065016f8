"""`make bench`: ingest, freshness and their ceilings; worker throughput; query latency; endpoint.

`python -m bench` runs every section; `python -m bench --only worker,queries` runs a few. Each
section starts its own private processes on free ports in a temporary directory. Results are
merged into bench/results/latest.json (sections not run keep their previous figures, each with
when it was measured and the machine's load average then) and printed as a table.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from bench import endpoint, queries, scale, stack_sections, worker
from bench.config import BenchSettings
from bench.report import build_table

RESULTS = Path(__file__).parent / "results" / "latest.json"
console = Console()

SEPARATE: dict[str, Callable[[BenchSettings], dict[str, Any]]] = {
    "worker": worker.run,
    "queries": queries.run,
    "endpoint": endpoint.run,
}
SECTIONS = (*stack_sections.SECTIONS, *SEPARATE)
# Long sections, run only when named in --only.
OPTIONAL: dict[str, Callable[[BenchSettings], dict[str, Any]]] = {"scale": scale.run}


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def parse_sections(text: str | None) -> list[str]:
    """The sections named in ``--only`` (comma list), in run order; all when None."""
    if not text:
        return list(SECTIONS)
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = (*SECTIONS, *OPTIONAL)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return [s for s in known if s in names]


def run_sections(cfg: BenchSettings, chosen: list[str]) -> dict[str, Any]:
    """Run ``chosen``; their results by section, plus when and under which load each ran."""
    results: dict[str, Any] = {}
    measured: dict[str, Any] = {}

    def note(names: list[str], before: list[float], started: float) -> None:
        stamp = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - started, 1),
            "loadavg_before": before,
            "loadavg_after": _loadavg(),
        }
        measured.update(dict.fromkeys(names, stamp))

    on_stack = [s for s in chosen if s in stack_sections.SECTIONS]
    if on_stack:
        before, started = _loadavg(), time.monotonic()
        results |= stack_sections.run(cfg, on_stack, console)
        note(on_stack, before, started)
    runners = SEPARATE | OPTIONAL
    for name in (s for s in chosen if s in runners):
        before, started = _loadavg(), time.monotonic()
        with console.status(f"{name}…"):
            results[name] = runners[name](cfg)
        note([name], before, started)
    results["measured"] = measured
    return results


def merge(previous: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """``previous`` results with the freshly run sections (and their notes) replaced."""
    merged = previous | {k: v for k, v in fresh.items() if k != "measured"}
    merged["measured"] = previous.get("measured", {}) | fresh["measured"]
    merged["ratios"] = stack_sections.ratios(merged)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help=f"comma list of sections: {', '.join(SECTIONS)}")
    chosen = parse_sections(parser.parse_args().only)
    before = _loadavg()
    fresh = run_sections(BenchSettings(), chosen)
    previous = orjson.loads(RESULTS.read_bytes()) if RESULTS.exists() else {}
    results = merge(previous, fresh)
    results["environment"] = {
        "cpus": os.cpu_count(),
        "loadavg_before": before,
        "loadavg_after": _loadavg(),
        "sections_run": chosen,
        "note": "shared machine: other engineers' tests ran meanwhile",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    console.print(build_table(results, chosen))
    if "scale" in chosen:
        console.print(scale.table(results["scale"]))
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
