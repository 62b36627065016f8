"""A real browser: headless Chromium loads a page using the SDK, tracks events and closes the page;
only the page-hide flush (fetch keepalive, cross-origin through CORS) can send them, and each
arrives in pulse.events once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.integration.sdk_js.cdp import NO_CHROMIUM, Cdp, chromium, launch
from tests.integration.sdk_js.conftest import ANALYST_KEY, PRODUCER_KEY, JsStack

EVENTS = 25

pytestmark = pytest.mark.skipif(chromium() is None, reason=NO_CHROMIUM)


async def open_track_and_close(ws_url: str, page_url: str) -> tuple[list[str], int]:
    """Load the page, wait until it has tracked, read its ids and queue, close the tab."""
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        cdp = Cdp(ws)
        target = (await cdp.call("Target.createTarget", url=page_url))["targetId"]
        session = (await cdp.call("Target.attachToTarget", targetId=target, flatten=True))[
            "sessionId"
        ]
        deadline = time.monotonic() + 30
        while await cdp.evaluate(session, "document.title") != "ready":
            assert time.monotonic() < deadline, "the page did not load the SDK in 30 s"
            await asyncio.sleep(0.1)
        ids = await cdp.evaluate(session, "window.pulseIds")
        queued = await cdp.evaluate(session, "window.pulseClient.queued")
        await cdp.call("Target.closeTarget", targetId=target)
        return ids, queued


def test_events_of_a_closed_page_arrive_once_each(js_stack: JsStack, tmp_path: Path) -> None:
    source = f"browser-{int(time.time() * 1000)}"
    query = urlencode({"api": js_stack.api_url, "key": PRODUCER_KEY, "source": source,
                       "n": EVENTS})  # fmt: skip
    proc, ws_url = launch(tmp_path / "profile", tmp_path / "chromium.log")
    try:
        ids, queued = asyncio.run(open_track_and_close(ws_url, f"{js_stack.page_origin}/?{query}"))
        assert len(ids) == EVENTS and queued == EVENTS, "nothing may be sent before page hide"
        stored = js_stack.await_stored(source, EVENTS)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert sorted(stored) == sorted(ids), "each event once, and only these"


def test_the_page_key_reads_nothing(js_stack: JsStack) -> None:
    """A browser ships its key to anyone: a producer key may write events and read nothing."""
    import httpx

    reads = ["/v1/reports/dau?from=2026-11-01&to=2026-11-30", "/v1/users/student-1/summary",
             "/v1/reports/events?format=csv&from=2026-11-01&to=2026-11-30"]  # fmt: skip
    for path in reads:
        as_page = httpx.get(
            js_stack.api_url + path, headers={"Authorization": f"Bearer {PRODUCER_KEY}"}
        )
        assert as_page.status_code == 403, (path, as_page.status_code)
    as_analyst = httpx.get(
        js_stack.api_url + reads[0], headers={"Authorization": f"Bearer {ANALYST_KEY}"}
    )
    assert as_analyst.status_code == 200
