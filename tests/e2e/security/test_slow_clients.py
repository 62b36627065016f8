"""Slow clients against a real uvicorn process: a body trickled a byte at a time is cut off
with 408 once PULSE_API_BODY_TIMEOUT_S passes, and many stalled uploads hold bounded memory."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.e2e.security.conftest import PRODUCER_KEY, ApiLauncher

BODY_TIMEOUT_S = 2.0
DECLARED = 1024 * 1024  # what each client claims it will send


def _open(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    head = (
        f"POST /v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {PRODUCER_KEY}\r\nContent-Length: {DECLARED}\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def _trickle_until_answered(sock: socket.socket, deadline: float) -> bytes:
    """Send one byte, wait up to 0.2 s for an answer, repeat; then the whole answer."""
    sock.settimeout(0.2)
    answer = b""
    while time.monotonic() < deadline and not answer:
        try:
            sock.sendall(b"[")
            answer = sock.recv(4096)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    return answer + _rest(sock, answer)


def _rest(sock: socket.socket, answer: bytes) -> bytes:
    """Read on until the answer's body is complete (headers and body may come in two reads)."""
    sock.settimeout(1)
    rest = b""
    while True:
        head, _, body = (answer + rest).partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            None,
        )
        if length is not None and len(body) >= length:
            return rest
        try:
            chunk = sock.recv(4096)
        except (TimeoutError, ConnectionResetError):
            return rest
        if not chunk:
            return rest
        rest += chunk


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def test_body_sent_a_byte_at_a_time_is_cut_off_with_408(launch_api: ApiLauncher) -> None:
    url, _ = launch_api(PULSE_API_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S))
    started = time.monotonic()
    with _open(url) as sock:
        answer = _trickle_until_answered(sock, started + BODY_TIMEOUT_S + 10)
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive within 2 s" in answer
    assert elapsed >= BODY_TIMEOUT_S  # cut off by the body timeout, not earlier


def test_many_stalled_uploads_hold_bounded_memory_and_all_time_out(
    launch_api: ApiLauncher,
) -> None:
    url, proc = launch_api(PULSE_API_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S))
    assert proc.pid is not None
    before = _rss_bytes(proc.pid)
    sockets = [_open(url) for _ in range(40)]
    try:
        for sock in sockets:
            sock.sendall(b"[" + b"0," * (DECLARED // 4))  # half the body, then nothing more
        peak = _rss_bytes(proc.pid)
        deadline = time.monotonic() + BODY_TIMEOUT_S + 15
        answers = [_trickle_until_answered(sock, deadline) for sock in sockets]
        peak = max(peak, _rss_bytes(proc.pid))
    finally:
        for sock in sockets:
            sock.close()
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), {a[:40] for a in answers}
    # 40 half-sent bodies are 20 MiB on the wire; buffered they cost the server at most ~2x.
    assert peak - before < 64 * 1024 * 1024, f"RSS grew by {(peak - before) >> 20} MiB"
