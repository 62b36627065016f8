"""The API killed for 30 s while the JS SDK sends 10,000 events: all 10,000 stored, once each."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from threading import Thread
from typing import Any

import pytest

from tests.integration.sdk_js.conftest import PRODUCER_KEY, JsStack
from tests.integration.sdk_js.node_runner import node
from tests.polling import eventually

pytestmark = pytest.mark.slow

EVENTS = 10_000
RATE = 200  # events/s: the sending spans the outage (about 50 s in all)
OUTAGE_S = 30.0
SENDER = Path(__file__).with_name("outage_sender.js")


class Sender:
    """The node sender as a process; ``latest`` is its last reported stats line."""

    def __init__(self, stack: JsStack, source: str) -> None:
        argv = [node(), str(SENDER), stack.api_url, PRODUCER_KEY, source, str(EVENTS), str(RATE)]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )  # noqa: S603
        self.latest: dict[str, Any] = {}
        Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.latest = json.loads(line)

    def progress(self) -> dict[str, Any]:
        if self.proc.poll() not in (None, 0):
            raise AssertionError(f"sender exited {self.proc.returncode}: {self.proc.stderr.read()}")  # type: ignore[union-attr]
        return self.latest


def test_api_killed_for_30_s_mid_send_loses_and_doubles_nothing(js_stack: JsStack) -> None:
    source = f"outage-{int(time.time() * 1000)}"
    api = next(p for p in js_stack.stack if p.name == "ingest_api")
    sender = Sender(js_stack, source)
    try:
        eventually(sender.progress, lambda s: s.get("accepted", 0) >= 500, 60, what="500 accepted")
        api.process.kill()
        killed = time.monotonic()
        before = sender.progress()["retries"]
        eventually(
            sender.progress,
            lambda s: time.monotonic() - killed >= OUTAGE_S and s["retries"] > before,
            OUTAGE_S + 30,
            interval=1.0,
            what=f"{OUTAGE_S:.0f} s of outage with the sender retrying",
        )
    finally:
        js_stack.stack._ensure(api)
    final = eventually(sender.progress, lambda s: s.get("done", False), 300, what="sender done")
    assert (final["accepted"], final["failed"], final["dropped"]) == (EVENTS, 0, 0), final
    stored = js_stack.await_stored(source, EVENTS, timeout=180)
    assert len(stored) == EVENTS and len(set(stored)) == EVENTS, len(stored)
