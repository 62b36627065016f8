"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client)."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

from tests.polling import eventually

NO_CHROMIUM = "Debian's chromium is not installed (bash .ci/system-deps.sh installs it as root)"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(profile: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start headless Chromium; (process, browser websocket URL) once DevTools listens."""
    binary = chromium()
    assert binary is not None, NO_CHROMIUM
    argv = [
        binary,
        "--headless=new",
        "--no-sandbox",  # we run as root in CI
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",  # Chromium picks a free port and writes DevToolsActivePort
        "about:blank",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    active = profile / "DevToolsActivePort"

    def listening() -> list[str]:
        if proc.poll() is not None:
            raise AssertionError(f"chromium exited {proc.returncode}: {log.read_text()[-2000:]}")
        return active.read_text().split() if active.exists() else []

    port, path = eventually(listening, lambda lines: len(lines) == 2, 60, what="DevTools port")
    return proc, f"ws://127.0.0.1:{port}{path}"


class Cdp:
    """One browser-level DevTools connection; ``call`` waits for the answer to its command."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send_json(message)
        while True:
            reply = await self.ws.receive_json()
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def evaluate(self, session: str, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", session, expression=expression, returnByValue=True
        )
        return result["result"].get("value")
