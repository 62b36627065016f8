"""A real Prometheus server for tests: generated config, free port, temporary storage."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from pulse.local.ports import free_port
from pulse.local.process import ManagedProcess, wait_until

SCRAPE_INTERVAL = "1s"


def prometheus_binary() -> str | None:
    """Path of the installed ``prometheus`` (the Debian package puts it in /usr/bin)."""
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )


def scrape_config(targets: dict[str, str], rule_files: list[Path]) -> dict[str, Any]:
    """Prometheus config scraping each ``job -> base URL`` at /metrics every second."""
    return {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": SCRAPE_INTERVAL,
            "evaluation_interval": SCRAPE_INTERVAL,
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [urlparse(url).netloc]}]}
            for job, url in targets.items()
        ],
    }


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class PrometheusServer:
    """A running Prometheus and the parts of its HTTP API the tests read."""

    url: str
    process: ManagedProcess

    def api(self, path: str, **params: str) -> Any:
        """``data`` of a successful ``/api/v1/<path>`` answer."""
        resp = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector ``expr`` evaluates to now."""
        return list(self.api("query", query=expr)["result"])

    def values(self, expr: str) -> dict[tuple[tuple[str, str], ...], float]:
        """``expr``'s samples keyed by their sorted labels."""
        return {tuple(sorted(s["metric"].items())): float(s["value"][1]) for s in self.query(expr)}

    def scalar(self, expr: str) -> float | None:
        """The value of a one-sample ``expr``, None while it has no sample."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        self.process.stop(grace=10)


def start_prometheus(
    binary: str, workdir: Path, targets: dict[str, str], rule_files: list[Path]
) -> PrometheusServer:
    """Start Prometheus on a free loopback port and wait until it is ready."""
    config = workdir / "prometheus.yml"
    config.write_text(json.dumps(scrape_config(targets, rule_files), indent=2))  # JSON is YAML
    url = f"http://127.0.0.1:{free_port()}"
    proc = ManagedProcess(
        "prometheus",
        workdir / "prometheus.pid",
        workdir / "prometheus.log",
        ready=lambda: http_ok(f"{url}/-/ready"),
    )
    proc.spawn(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address={urlparse(url).netloc}",
            "--log.level=warn",
        ]
    )
    try:
        wait_until(proc.ready, 30, f"Prometheus at {url}", alive=proc.is_running)
    except Exception:
        proc.stop(grace=5)
        raise
    return PrometheusServer(url, proc)
