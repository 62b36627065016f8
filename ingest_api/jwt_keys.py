"""The JWKS that platform JWTs are verified against: read from a file or an http(s) URL, cached.

The set is loaded on first use and kept for ``PULSE_JWT_JWKS_CACHE_S``. A token whose ``kid``
is not in the set makes it reload at once (the issuer rotated its keys), but at most once per
``PULSE_JWT_JWKS_MIN_REFRESH_S``, so tokens with made-up ``kid`` values cannot turn every
request into a fetch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
from loguru import logger

from ingest_api.exceptions import NotAuthenticated, RetryLater

FETCH_TIMEOUT_S = 5.0


def read_jwks(source: str) -> str:
    """The JWKS document at ``source``: an http(s) URL or a file path."""
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, timeout=FETCH_TIMEOUT_S, follow_redirects=False)
        response.raise_for_status()
        return response.text
    return Path(source).read_text(encoding="utf-8")


class JwksCache:
    """Signing keys by ``kid``, reloaded when stale or when an unknown ``kid`` shows up."""

    def __init__(
        self,
        source: str,
        cache_s: float,
        min_refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
        read: Callable[[str], str] = read_jwks,
    ) -> None:
        self._source = source
        self._cache_s = cache_s
        self._min_refresh_s = min_refresh_s
        self._clock = clock
        self._read = read
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK:
        """The key named ``kid`` (the only key when the set has one and the token names none)."""
        with self._lock:
            now = self._clock()
            stale = self._loaded_at is None or now - self._loaded_at >= self._cache_s
            if stale or (kid not in self._keys and self._may_refresh(now)):
                self._load(now)
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            found = self._keys.get(kid or "")
        if found is None:
            raise NotAuthenticated(f"no key with kid {kid!r} in the configured JWKS")
        return found

    def _may_refresh(self, now: float) -> bool:
        return self._loaded_at is None or now - self._loaded_at >= self._min_refresh_s

    def _load(self, now: float) -> None:
        try:
            document = self._read(self._source)
            keyset = jwt.PyJWKSet.from_json(document)
        except (OSError, httpx.HTTPError, jwt.PyJWKSetError, ValueError) as exc:
            if self._loaded_at is None:
                raise RetryLater(f"cannot read the JWKS (PULSE_JWT_JWKS): {exc}", 5) from exc
            logger.warning("JWKS reload failed, keeping the keys loaded before: {}", exc)
            self._loaded_at = now
            return
        self._keys = {k.key_id: k for k in keyset.keys if k.key_id}
        if not self._keys and len(keyset.keys) == 1:
            self._keys = {"": keyset.keys[0]}
        self._loaded_at = now
