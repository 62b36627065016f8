"""HTTP sessions (``session_id``): a connection kept for one user between requests.

A session keeps its connection (temporary tables, ``SET``, ``USE``) for ``session_timeout``
seconds after its last request; it runs one request at a time, like ClickHouse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loguru import logger

from clickhouse.server.errors import (
    INVALID_SESSION_TIMEOUT,
    SESSION_IS_LOCKED,
    SESSION_NOT_FOUND,
    TOO_MANY_SESSIONS,
    error,
)


@dataclass
class Session:
    """A live session: its connection, whether a request holds it, and when it expires."""

    key: tuple[str, str]
    conn: Any
    timeout: float
    busy: bool = False
    expires: float = 0.0


class SessionRegistry:
    """Sessions by (user, session_id); expired ones are closed as new requests come in."""

    def __init__(self, default_timeout: int, max_timeout: int, max_sessions: int = 256) -> None:
        self._limit = max_sessions
        self._sessions: dict[tuple[str, str], Session] = {}
        self._lock = threading.Lock()
        self._default = default_timeout
        self._max = max_timeout

    def timeout(self, value: str | None) -> float:
        """The session timeout a request asks for, checked against the maximum."""
        if value is None or value == "":
            return float(self._default)
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= self._max:
            raise error(
                INVALID_SESSION_TIMEOUT,
                f"Invalid session timeout: '{value}', max session timeout is {self._max}",
            )
        return seconds

    def acquire(
        self, user: str, session_id: str, timeout: float, check: bool, connect: Callable[[], Any]
    ) -> Session:
        """Take the session for one request, creating it unless ``check`` (session_check=1)."""
        self.expire()
        with self._lock:
            session = self._sessions.get((user, session_id))
            if session is None:
                if check:
                    raise error(SESSION_NOT_FOUND, f"Session {session_id} not found")
                if len(self._sessions) >= self._limit:
                    raise error(
                        TOO_MANY_SESSIONS,
                        f"Too many sessions ({self._limit}, CLICKHOUSE_MAX_SESSIONS): close one "
                        "(close_session=1) or let it time out",
                    )
                session = Session((user, session_id), connect(), timeout)
                self._sessions[session.key] = session
            elif session.busy:
                raise error(
                    SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client"
                )
            session.busy = True
            session.timeout = timeout
            return session

    def release(self, session: Session) -> None:
        """Give the session back; it lives ``timeout`` more seconds."""
        with self._lock:
            session.busy = False
            session.expires = time.monotonic() + session.timeout

    def expire(self) -> None:
        """Close sessions idle past their timeout."""
        now = time.monotonic()
        with self._lock:
            done = [s for s in self._sessions.values() if not s.busy and s.expires <= now]
            for session in done:
                del self._sessions[session.key]
        for session in done:
            logger.debug("session {} expired", session.key[1])
            session.conn.close()

    def close(self) -> None:
        """Close every session (server shutdown)."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.conn.close()
