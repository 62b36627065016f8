"""A fault-injecting HTTP proxy in front of the real ingest API.

Each request to the proxy follows the next step of its ``plan`` (then ``default``):

- ``forward``: pass it to the API and pass the answer back;
- ``stored_then_503``: pass it to the API (which stores the events) but answer
  ``503 Retry-After: 1``, the worst case for doubling: a client told to retry what was stored;
- ``stored_then_hang_up``: pass it to the API, then close the connection without an answer;
- ``503``: answer ``503 Retry-After: 1`` without passing it on (the API "down").
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.stack import free_port

FORWARDED = ("authorization", "content-type", "content-encoding")


@dataclass
class Seen:
    """One request the proxy received: when, which step it got, and the API's status if asked."""

    arrived: float
    step: str
    api_status: int | None = None
    answered: float = 0.0


@dataclass
class FaultProxy:
    upstream: str
    plan: deque[str] = field(default_factory=deque)
    default: str = "forward"
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._http = httpx.Client(base_url=self.upstream, timeout=30)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                proxy.handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def _next_step(self) -> Seen:
        with self._lock:
            step = self.plan.popleft() if self.plan else self.default
            seen = Seen(time.monotonic(), step)
            self.seen.append(seen)
            return seen

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        seen = self._next_step()
        body = request.rfile.read(int(request.headers.get("content-length", 0)))
        status, headers, content = 503, {"Retry-After": "1"}, b'{"detail":"injected"}'
        if seen.step != "503":
            forwarded = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
            answer = self._http.post(request.path, content=body, headers=forwarded)
            seen.api_status = answer.status_code
            if seen.step == "forward":
                status, content = answer.status_code, answer.content
                headers = {k: v for k, v in answer.headers.items() if k.lower() == "retry-after"}
        seen.answered = time.monotonic()
        if seen.step == "stored_then_hang_up":
            request.close_connection = True
            return
        request.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)
