"""What the endpoint holds while it runs: the engine, the accounts and the sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
from loguru import logger

from clickhouse.config import EndpointSettings
from clickhouse.server.auth import Authenticator, Principal
from clickhouse.server.engine import Engine
from clickhouse.server.params import RequestParams
from clickhouse.server.sessions import Session, SessionRegistry


@dataclass
class Lease:
    """A connection lent to one request: its own, or its session's."""

    conn: Any
    registry: SessionRegistry
    session: Session | None = None
    undo: list[str] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.session is not None:
            self.undo = []

    def release(self) -> None:
        """Close the request's connection, or restore the session's state and hand it back."""
        if self.session is not None:
            for statement in self.undo or []:
                try:
                    self.conn.query(statement)
                except RuntimeError as exc:
                    logger.warning("session {} keeps a setting: {}", self.session.key[1], exc)
            self.registry.release(self.session)
        else:
            self.conn.close()


@dataclass
class EndpointState:
    """The running endpoint."""

    settings: EndpointSettings
    engine: Engine
    auth: Authenticator
    sessions: SessionRegistry
    analyst_limiter: anyio.CapacityLimiter

    def limiter(self, principal: Principal) -> anyio.CapacityLimiter:
        """The thread pool for this principal's chDB calls: analysts never take the writer's."""
        if principal.restricted:
            return self.analyst_limiter
        return anyio.to_thread.current_default_thread_limiter()

    def lease(self, principal: Principal, params: RequestParams, get: bool) -> Lease:
        """A connection for a request; GET requests run read-only (readonly=2, as ClickHouse)."""
        session_id = params.transport.get("session_id")
        if session_id:
            timeout = self.sessions.timeout(params.transport.get("session_timeout"))
            session = self.sessions.acquire(
                principal.name,
                session_id,
                timeout,
                params.flag("session_check"),
                lambda: self.engine.connect(principal.readonly),
            )
            return Lease(session.conn, self.sessions, session)
        readonly = principal.readonly or (2 if get else 0)
        return Lease(self.engine.connect(readonly), self.sessions)
