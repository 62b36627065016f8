"""API keys and roles: ``PULSE_API_KEYS`` parsing and constant-time key checks.

``PULSE_API_KEYS`` is a comma list of ``key:role`` or ``sha256:<hex digest of the key>:role``
entries; roles are ``producer`` (writes events), ``analyst`` (reads reports) and ``admin`` (both).
Keys are kept only as SHA-256 digests and never logged. Beside keys, platform JWTs are
accepted when ``PULSE_JWT_JWKS`` is set (``ingest_api/jwt_auth.py``): :class:`Authenticator`
sends each bearer token to the one that reads it.

To keep keys out of the environment too, store ``sha256:<hex>:role`` entries; make one with
``python -m ingest_api.auth hash --role producer`` (reads the key on standard input, so it stays
out of the shell history) or ``python -m ingest_api.auth hash KEY --role producer``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ingest_api.exceptions import ConfigError, NotAuthenticated

_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


class Role(StrEnum):
    PRODUCER = "producer"
    ANALYST = "analyst"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who made a request: a short, non-secret key id (digest prefix) and the key's role."""

    key_id: str
    role: Role


@dataclass(frozen=True)
class _Entry:
    digest: bytes
    role: Role


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def hashed_entry(key: str, role: Role) -> str:
    """The ``PULSE_API_KEYS`` entry that accepts ``key`` with ``role`` without holding the key."""
    if not key or "," in key:
        raise ConfigError("an API key must be non-empty and contain no comma")
    return f"sha256:{_digest(key).hex()}:{role}"


def _parse_entry(raw: str, position: int) -> _Entry:
    secret, sep, role_name = raw.rpartition(":")
    if not sep or not secret:
        raise ConfigError(
            f"PULSE_API_KEYS entry {position} has no role: write it as key:role "
            "(roles producer, analyst, admin)"
        )
    try:
        role = Role(role_name.strip().lower())
    except ValueError:
        raise ConfigError(
            f"PULSE_API_KEYS entry {position} has role {role_name!r}: "
            "use producer, analyst or admin"
        ) from None
    if secret.startswith("sha256:"):
        hexdigest = secret.removeprefix("sha256:")
        if not _HEX_DIGEST.match(hexdigest):
            raise ConfigError(
                f"PULSE_API_KEYS entry {position} starts with sha256: but is not followed by "
                "64 hex digits: write sha256:<sha256 hex of the key>:role"
            )
        return _Entry(bytes.fromhex(hexdigest), role)
    return _Entry(_digest(secret), role)


class KeyRing:
    """The API keys this process accepts, as digests; looks keys up in constant time."""

    def __init__(self, entries: list[_Entry]) -> None:
        self._entries = tuple(entries)
        # Each key's principal, made once rather than for every request it makes.
        self._principals = {
            e.digest: Principal(key_id=e.digest.hex()[:12], role=e.role) for e in entries
        }

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Read a ``PULSE_API_KEYS`` value; raise :class:`ConfigError` on a malformed entry."""
        parts = [p.strip() for p in spec.split(",")]
        return cls([_parse_entry(p, i + 1) for i, p in enumerate(parts) if p])

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, key: str | None) -> Principal:
        """The principal owning ``key``; :class:`NotAuthenticated` if it is missing or unknown."""
        if not key:
            raise NotAuthenticated("send your API key as: Authorization: Bearer <key>")
        digest = _digest(key)
        found: _Entry | None = None
        for entry in self._entries:  # no early exit: the time does not depend on the match
            if hmac.compare_digest(entry.digest, digest):
                found = entry
        if found is None:
            raise NotAuthenticated("this API key is not valid: check PULSE_API_KEYS")
        return self._principals[found.digest]


class TokenVerifier(Protocol):
    """A second kind of bearer token (platform JWTs): which tokens it reads, and who they name."""

    def accepts(self, token: str) -> bool: ...

    def authenticate(self, token: str) -> Principal: ...


class Authenticator:
    """API keys, and the tokens of an optional :class:`TokenVerifier`, behind one call."""

    def __init__(self, keyring: KeyRing, tokens: TokenVerifier | None = None) -> None:
        self.keyring = keyring
        self._tokens = tokens

    def __len__(self) -> int:
        """How many ways in: the keys, plus one for signed tokens."""
        return len(self.keyring) + (self._tokens is not None)

    def authenticate(self, token: str | None) -> Principal:
        """The principal behind ``token``: a signed token when it is one, else an API key."""
        if token and self._tokens is not None and self._tokens.accepts(token):
            return self._tokens.authenticate(token)
        return self.keyring.authenticate(token)


def main(argv: list[str] | None = None) -> int:
    """``python -m ingest_api.auth hash [KEY] --role ROLE``: print a hashed keys entry."""
    parser = argparse.ArgumentParser(prog="python -m ingest_api.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    hash_cmd = commands.add_parser("hash", help="print the sha256:<hex>:role entry of a key")
    hash_cmd.add_argument("key", nargs="?", help="the key (default: read from standard input)")
    hash_cmd.add_argument("--role", choices=[r.value for r in Role], default=Role.PRODUCER.value)
    args = parser.parse_args(argv)
    key = args.key if args.key is not None else sys.stdin.readline().strip()
    try:
        sys.stdout.write(hashed_entry(key, Role(args.role)) + "\n")
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
