import asyncio
import socket

import pytest

from stream_processors.connection import SharedClickHouse
from stream_processors.live import LiveFigures
from stream_processors.views import RETRY_AFTER_S, rolling_dau_answer


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_rolling_dau_while_clickhouse_is_down_is_a_503_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLICKHOUSE_URL", f"http://127.0.0.1:{closed_port()}")
    live = LiveFigures(app=None, clickhouse=SharedClickHouse("pulse"))  # type: ignore[arg-type]
    body, status, headers = asyncio.run(rolling_dau_answer(live))
    assert (status, headers) == (503, {"Retry-After": str(RETRY_AFTER_S)})
    assert body["detail"].startswith("ClickHouse did not answer")
