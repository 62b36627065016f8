from __future__ import annotations

import pytest

from clickhouse.exceptions import EndpointError
from clickhouse.server.sessions import SessionRegistry


class FakeConnection:
    """Stands in for a chDB connection: the registry only keeps and closes it."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_busy_session_is_locked_and_free_again_after_release() -> None:
    registry = SessionRegistry(60, 3600)
    session = registry.acquire("u", "s", 60, False, FakeConnection)
    with pytest.raises(EndpointError) as raised:
        registry.acquire("u", "s", 60, False, FakeConnection)
    assert raised.value.code == 373
    registry.release(session)
    assert registry.acquire("u", "s", 60, False, FakeConnection) is session


def test_session_check_does_not_create_a_session() -> None:
    with pytest.raises(EndpointError) as raised:
        SessionRegistry(60, 3600).acquire("u", "s", 60, True, FakeConnection)
    assert raised.value.code == 372


def test_sessions_of_different_users_are_apart() -> None:
    registry = SessionRegistry(60, 3600)
    first = registry.acquire("u1", "s", 60, False, FakeConnection)
    assert registry.acquire("u2", "s", 60, False, FakeConnection) is not first


def test_expired_session_is_closed() -> None:
    registry = SessionRegistry(60, 3600)
    session = registry.acquire("u", "s", 0, False, FakeConnection)
    registry.release(session)
    registry.expire()
    assert session.conn.closed


def test_session_timeout_above_the_maximum_is_refused() -> None:
    registry = SessionRegistry(60, 3600)
    assert registry.timeout(None) == 60
    with pytest.raises(EndpointError) as raised:
        registry.timeout("7200")
    assert raised.value.code == 374
