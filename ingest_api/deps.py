"""Dependencies of the routes, as ``Annotated`` aliases: the app's state, the caller, roles.

Routes of other teams reuse them, e.g. ``principal: AnalystPrincipal`` or
``Depends(require_role("analyst", "admin"))`` on a report route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from ingest_api.auth import Principal, Role
from ingest_api.exceptions import NotAllowed
from ingest_api.state import ApiState

bearer_scheme = HTTPBearer(auto_error=False, description="An API key from PULSE_API_KEYS.")
# What an operation that authenticates by hand (see :func:`admit`) declares in its OpenAPI entry.
BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]


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


def bearer_token(request: Request, authorization: str | None = None) -> str | None:
    """The token of ``Authorization: Bearer <token>``, read as :data:`bearer_scheme` reads it
    (from ``authorization`` when the caller already holds the header's value)."""
    if authorization is None:
        authorization = request.headers.get("authorization")
    scheme, token = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and token) or scheme.lower() != "bearer":
        return None
    return token


def _check_role(principal: Principal, allowed: frozenset[Role]) -> Principal:
    if principal.role not in allowed:
        names = " or ".join(sorted(allowed))
        raise NotAllowed(f"this route needs a key with role {names}, yours is {principal.role}")
    return principal


def admit(
    request: Request, allowed: frozenset[Role], authorization: str | None = None
) -> tuple[ApiState, Principal]:
    """The state and the caller of ``request``, as ``State`` + ``require_role(*allowed)`` give.

    The same checks in the same order (401, 429, then 403) in one plain call, for the hot route
    (``POST /v1/events``): FastAPI's dependency solving costs more than the checks themselves.
    Such a route declares :data:`BEARER_SECURITY` in its ``openapi_extra``. ``authorization``:
    the ``Authorization`` header's value if the route has already read it.
    """
    state: ApiState = request.app.state.api
    principal = state.keyring.authenticate(bearer_token(request, authorization))
    state.limiter.check(principal.key_id)
    return state, _check_role(principal, allowed)


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers whose key has one of ``roles`` (else 403)."""
    allowed = frozenset(Role(r) for r in roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        return _check_role(principal, allowed)

    return check


PRODUCER_ROLES = frozenset({Role.PRODUCER, Role.ADMIN})
ProducerPrincipal = Annotated[Principal, Depends(require_role(*PRODUCER_ROLES))]
AnalystPrincipal = Annotated[Principal, Depends(require_role(Role.ANALYST, Role.ADMIN))]
