"""Units of platform sign-in: role claims, telling a JWT from a key, JWKS caching, settings."""

from __future__ import annotations

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ingest_api.auth import Role
from ingest_api.config import ApiSettings
from ingest_api.exceptions import ConfigError, NotAllowed, NotAuthenticated, RetryLater
from ingest_api.jwt_auth import JwtVerifier, looks_like_jwt, role_from_claims
from ingest_api.jwt_keys import JwksCache


def test_role_is_read_from_a_string_or_a_list() -> None:
    assert role_from_claims({"role": "Producer"}, "role") is Role.PRODUCER
    assert role_from_claims({"a": {"roles": ["x", "analyst"]}}, "a.roles") is Role.ANALYST


def test_a_list_with_producer_and_analyst_is_admin() -> None:
    assert role_from_claims({"roles": ["producer", "analyst"]}, "roles") is Role.ADMIN


@pytest.mark.parametrize("claims", [{}, {"role": "teacher"}, {"role": 3}, {"role": {"x": 1}}])
def test_no_pulse_role_is_not_allowed(claims: dict[str, object]) -> None:
    with pytest.raises(NotAllowed):
        role_from_claims(claims, "role")


def test_api_keys_are_not_taken_for_jwts() -> None:
    assert looks_like_jwt(jwt.encode({"a": 1}, "s" * 32, algorithm="HS256"))
    assert not looks_like_jwt("producer-key-1")
    assert not looks_like_jwt("a.b.c")


def _jwks(kid: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    doc = orjson.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return orjson.dumps({"keys": [doc | {"kid": kid, "alg": "RS256"}]}).decode()


class FakeSource:
    def __init__(self, document: str) -> None:
        self.document, self.reads, self.now = document, 0, 0.0

    def read(self, source: str) -> str:
        self.reads += 1
        if not self.document:
            raise OSError("gone")
        return self.document


def _cache(source: FakeSource) -> JwksCache:
    return JwksCache("jwks.json", 300, 30, clock=lambda: source.now, read=source.read)


def test_unknown_kid_reloads_at_most_once_per_min_refresh() -> None:
    source = FakeSource(_jwks("k1"))
    cache = _cache(source)
    assert cache.key("k1").key_id == "k1"
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            cache.key("k2")
    assert source.reads == 1
    source.document, source.now = _jwks("k2"), 31.0
    assert cache.key("k2").key_id == "k2"
    assert source.reads == 2


def test_stale_set_is_reloaded_and_a_failed_reload_keeps_the_old_keys() -> None:
    source = FakeSource(_jwks("k1"))
    cache = _cache(source)
    cache.key("k1")
    source.document, source.now = "", 301.0
    assert cache.key("k1").key_id == "k1"
    assert source.reads == 2


def test_unreadable_jwks_at_first_use_is_retry_later() -> None:
    with pytest.raises(RetryLater):
        _cache(FakeSource("")).key("k1")


def _settings(**values: object) -> ApiSettings:
    return ApiSettings(**{"PULSE_JWT_JWKS": "jwks.json"} | values)  # type: ignore[arg-type]


def test_jwks_without_issuer_or_audience_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="PULSE_JWT_ISSUER"):
        JwtVerifier.from_settings(_settings(PULSE_JWT_ISSUER="https://i"))


def test_symmetric_algorithms_are_a_config_error() -> None:
    settings = _settings(
        PULSE_JWT_ISSUER="https://i", PULSE_JWT_AUDIENCE="a", PULSE_JWT_ALGORITHMS="RS256,HS256"
    )
    with pytest.raises(ConfigError, match="asymmetric"):
        JwtVerifier.from_settings(settings)


def test_no_jwks_means_no_verifier() -> None:
    assert JwtVerifier.from_settings(ApiSettings()) is None  # type: ignore[call-arg]
