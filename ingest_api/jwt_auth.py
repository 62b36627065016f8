"""Platform sign-in: ``Authorization: Bearer <JWT>`` issued by a platform's gateway.

A token is accepted when it is signed with an asymmetric algorithm of ``PULSE_JWT_ALGORITHMS``
(RS256, ES256) by a key of the configured JWKS (``jwt_keys``), is not expired, and names
``PULSE_JWT_ISSUER`` and ``PULSE_JWT_AUDIENCE``. Unsigned (``alg: none``) and HMAC tokens are
refused whatever the header says: only the listed algorithms verify, and only with the key
bound to the token's ``kid``. The role is read from ``PULSE_JWT_ROLE_CLAIM`` (a dotted path
such as ``realm_access.roles``; a string or a list of role names).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt
import orjson

from ingest_api.auth import Principal, Role
from ingest_api.config import ApiSettings
from ingest_api.exceptions import ConfigError, NotAllowed, NotAuthenticated
from ingest_api.jwt_keys import JwksCache

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "EdDSA"})


def looks_like_jwt(token: str) -> bool:
    """True for ``header.payload.signature`` whose header is a JSON object naming an ``alg``."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0]:
        return False
    try:
        header = orjson.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header


def role_from_claims(claims: dict[str, Any], path: str) -> Role:
    """The role at ``path`` in ``claims``; a list holding producer and analyst means admin."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = {Role(n.lower()) for n in names if isinstance(n, str) and n.lower() in set(Role)}
    if Role.ADMIN in roles or {Role.PRODUCER, Role.ANALYST} <= roles:
        return Role.ADMIN
    if len(roles) == 1:
        return roles.pop()
    raise NotAllowed(
        f"the token's {path!r} claim names no Pulse role: it must be producer, analyst or admin"
    )


class JwtVerifier:
    """Verifies platform JWTs and turns their claims into a :class:`Principal`."""

    def __init__(
        self,
        keys: JwksCache,
        issuer: str,
        audience: str,
        algorithms: list[str],
        role_claim: str,
        leeway_s: float,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._algorithms = algorithms
        self._role_claim = role_claim
        self._leeway_s = leeway_s

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> JwtVerifier | None:
        """The verifier ``PULSE_JWT_*`` describe, or None when ``PULSE_JWT_JWKS`` is unset."""
        if not settings.jwt_jwks:
            return None
        if not settings.jwt_issuer or not settings.jwt_audience:
            raise ConfigError(
                "PULSE_JWT_JWKS is set: set PULSE_JWT_ISSUER and PULSE_JWT_AUDIENCE too, so "
                "tokens issued to other services are refused"
            )
        algorithms = [a.strip() for a in settings.jwt_algorithms.split(",") if a.strip()]
        unfit = [a for a in algorithms if a not in ASYMMETRIC]
        if unfit or not algorithms:
            raise ConfigError(
                f"PULSE_JWT_ALGORITHMS {settings.jwt_algorithms!r}: list asymmetric algorithms "
                "only, e.g. RS256,ES256 (a JWKS holds public keys)"
            )
        keys = JwksCache(
            settings.jwt_jwks, settings.jwt_jwks_cache_s, settings.jwt_jwks_min_refresh_s
        )
        return cls(
            keys,
            settings.jwt_issuer,
            settings.jwt_audience,
            algorithms,
            settings.jwt_role_claim,
            settings.jwt_leeway_s,
        )

    def accepts(self, token: str) -> bool:
        """Whether ``token`` is for this verifier (a JWT) rather than an API key."""
        return looks_like_jwt(token)

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid token; :class:`NotAuthenticated` for any invalid one."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self._algorithms:
                raise NotAuthenticated(
                    f"token algorithm {header.get('alg')!r} is not accepted: "
                    f"sign with one of {', '.join(self._algorithms)}"
                )
            key = self._keys.key(header.get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise NotAuthenticated(f"this token is not valid: {exc}") from None
        role = role_from_claims(claims, self._role_claim)
        subject = f"{claims.get('iss')}|{claims.get('sub', '')}"
        key_id = "jwt:" + hashlib.sha256(subject.encode()).hexdigest()[:12]
        return Principal(key_id=key_id, role=role)
