"""Run the Prometheus toolchain (promtool, amtool) from tests; skip only when it is absent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
INSTALL_HINT = "apt-get install prometheus prometheus-alertmanager"


def require_tool(name: str) -> str:
    """The tool's path, or skip the test saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed here ({INSTALL_HINT} provides it)")
    return path


def run_tool(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool and fail the test with its output when it exits non-zero."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done
