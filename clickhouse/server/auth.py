"""Who is asking: credentials from basic auth, ``X-ClickHouse-User``/``Key`` or URL parameters."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from clickhouse.config import EndpointSettings
from clickhouse.server.errors import AUTHENTICATION_FAILED, REQUIRED_PASSWORD, error


@dataclass(frozen=True)
class Principal:
    """An authenticated user: its name, its readonly level and whether sources are fenced off."""

    name: str
    readonly: int
    restricted: bool


def credentials(headers: Mapping[str, str], params: Mapping[str, str]) -> tuple[str, str]:
    """The (user, password) a request presents; REQUIRED_PASSWORD (194) when it presents none.

    Unlike a stock ClickHouse server there is no anonymous ``default``: a request without
    credentials, such as a blind HTML form post from another site, runs nothing.
    """
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, _, password = decoded.partition(":")
        return user or "default", password
    if "x-clickhouse-user" in headers:
        return headers["x-clickhouse-user"], headers.get("x-clickhouse-key", "")
    if "user" in params or "password" in params:
        return params.get("user") or "default", params.get("password", "")
    raise error(
        REQUIRED_PASSWORD,
        "Authentication required: pass a user and password (basic auth, X-ClickHouse-User "
        "and X-ClickHouse-Key, or the user and password parameters)",
    )


class Authenticator:
    """Checks a request's credentials against the two accounts of the embedded endpoint."""

    def __init__(self, settings: EndpointSettings) -> None:
        self._accounts = {
            settings.user: (
                settings.password.get_secret_value(),
                Principal(settings.user, 0, False),
            ),
            settings.readonly_user: (
                settings.readonly_password.get_secret_value(),
                Principal(settings.readonly_user, 2, True),
            ),
        }

    def authenticate(self, user: str, password: str) -> Principal:
        """The principal for these credentials; AUTHENTICATION_FAILED (516) otherwise."""
        expected, principal = self._accounts.get(user, (None, None))
        if (
            expected is None
            or principal is None
            or not secrets.compare_digest(expected.encode(), password.encode())
        ):
            raise error(
                AUTHENTICATION_FAILED,
                f"{user}: Authentication failed: password is incorrect, "
                "or there is no user with such name",
            )
        return principal
