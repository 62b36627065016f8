"""Dependencies of the routes, as ``Annotated`` aliases: the app's state, the caller, roles.

Routes of other teams reuse them, e.g. ``principal: AnalystPrincipal`` or
``Depends(require_role("analyst", "admin"))`` on a report route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest_api.auth import Principal, Role
from ingest_api.exceptions import NotAllowed
from ingest_api.state import ApiState

bearer_scheme = HTTPBearer(auto_error=False, description="An API key from PULSE_API_KEYS.")


async def get_state(request: Request) -> ApiState:
    """The app instance's state (settings, publisher, ...)."""
    state: ApiState = request.app.state.api
    return state


State = Annotated[ApiState, Depends(get_state)]


async def authenticate(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller of this request, from ``Authorization: Bearer <key>``; rate-limited per key."""
    principal = state.keyring.authenticate(credentials.credentials if credentials else None)
    state.limiter.check(principal.key_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers whose key has one of ``roles`` (else 403)."""
    allowed = frozenset(Role(r) for r in roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = " or ".join(sorted(allowed))
            raise NotAllowed(f"this route needs a key with role {names}, yours is {principal.role}")
        return principal

    return check


ProducerPrincipal = Annotated[Principal, Depends(require_role(Role.PRODUCER, Role.ADMIN))]
AnalystPrincipal = Annotated[Principal, Depends(require_role(Role.ANALYST, Role.ADMIN))]
