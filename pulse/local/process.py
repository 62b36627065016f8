"""Background processes of the local stack: spawn with a pid file, check, stop cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class StartupError(RuntimeError):
    """A part of the stack did not become ready; the message names it and its log."""


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.2,
) -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` s or once ``alive`` turns false."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if alive is not None and not alive():
            raise StartupError(f"{what} exited before it was ready")
        if time.monotonic() > deadline:
            raise StartupError(f"{what} was not ready within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class ManagedProcess:
    """A process of the stack, tracked by a pid file so that other commands can find it."""

    name: str
    pid_file: Path
    log_file: Path
    ready: Callable[[], bool] = field(default=lambda: True)
    popen: subprocess.Popen[bytes] | None = None

    def spawn(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        """Start ``argv`` in its own session, output appended to the log file."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - argv is built by us
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(str(self.popen.pid))

    @property
    def pid(self) -> int | None:
        if self.popen is not None:
            return self.popen.pid
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self) -> bool:
        pid = self.pid
        if pid is None:
            return False
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not _is_zombie(pid)

    def signal(self, sig: int) -> None:
        pid = self.pid
        if pid is None:
            return
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL, for fault tests: no clean shutdown."""
        self.signal(signal.SIGKILL)
        self._reap(5.0)

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; remove the pid file."""
        if self.is_running():
            self.signal(signal.SIGTERM)
            if not self._reap(grace):
                self.signal(signal.SIGKILL)
                self._reap(10.0)
        self.pid_file.unlink(missing_ok=True)

    def _reap(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None:
                try:
                    self.popen.wait(timeout=0.1)
                    return True
                except subprocess.TimeoutExpired:
                    continue
            if not self.is_running():
                return True
            time.sleep(0.1)
        return not self.is_running()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return False
