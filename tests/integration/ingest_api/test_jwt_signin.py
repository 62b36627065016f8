"""Platform sign-in: ``Authorization: Bearer <JWT>`` against a real app on the real broker.

Keys are made here with ``cryptography``; the JWKS is a file (and, once, an http URL served by
a small local server). Every token that must fail is refused with 401 and stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ingest_api.main import create_app
from tests.integration.ingest_api.conftest import (
    PRODUCER_KEY,
    SettingsFactory,
    auth,
    consume,
    running,
    viewed,
)

pytestmark = pytest.mark.anyio
ISSUER = "https://gateway.studyin.test"
AUDIENCE = "pulse-ingest"
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Key, kid: str) -> dict[str, Any]:
    algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    doc: dict[str, Any] = orjson.loads(algorithm.to_jwk(key.public_key()))
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return doc | {"kid": kid, "alg": alg, "use": "sig"}


def write_jwks(path: Path, *keys: tuple[Key, str]) -> None:
    path.write_bytes(orjson.dumps({"keys": [jwk(key, kid) for key, kid in keys]}))


def token(key: Key, kid: str, alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc-1", "iat": now, "exp": now + 300}
    body |= {"role": "producer"} | claims
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def unsigned(**claims: Any) -> str:
    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(doc)).rstrip(b"=").decode()

    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 300, "role": "producer"} | claims
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(body)}."


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Any]:
    first, ec_key = rsa_key(), ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "jwks.json"
    write_jwks(path, (first, "k1"), (ec_key, "e1"))
    return {"path": path, "rsa": first, "ec": ec_key}


@pytest.fixture
async def client(
    make_settings: SettingsFactory, keys: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        PULSE_JWT_JWKS=str(keys["path"]),
        PULSE_JWT_ISSUER=ISSUER,
        PULSE_JWT_AUDIENCE=AUDIENCE,
        PULSE_JWT_LEEWAY_S=0,
        PULSE_JWT_JWKS_MIN_REFRESH_S=0,
    )
    async for c in running(create_app(settings)):
        yield c


async def post(client: httpx.AsyncClient, bearer: str, user: str = "jwt-user") -> httpx.Response:
    return await client.post("/v1/events", json=viewed(user), headers=auth(bearer))


async def test_rs256_token_with_producer_role_is_accepted(
    client: httpx.AsyncClient, keys: dict[str, Any], kafka_bootstrap: str
) -> None:
    response = await post(client, token(keys["rsa"], "k1"), user="rs-user")
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    topic = client._transport.app.state.api.settings.events_topic  # type: ignore[attr-defined]
    records = await consume(kafka_bootstrap, topic, 1)
    assert [orjson.loads(r.value)["user_id"] for r in records] == ["rs-user"]


async def test_es256_token_is_accepted(client: httpx.AsyncClient, keys: dict[str, Any]) -> None:
    response = await post(client, token(keys["ec"], "e1", alg="ES256"))
    assert response.status_code == 202, response.text


async def test_api_keys_still_work_beside_tokens(client: httpx.AsyncClient) -> None:
    assert (await post(client, PRODUCER_KEY)).status_code == 202


async def test_analyst_token_may_not_send_events(
    client: httpx.AsyncClient, keys: dict[str, Any]
) -> None:
    response = await post(client, token(keys["rsa"], "k1", role="analyst"))
    assert response.status_code == 403


async def test_token_without_a_pulse_role_is_403(
    client: httpx.AsyncClient, keys: dict[str, Any]
) -> None:
    response = await post(client, token(keys["rsa"], "k1", role="teacher"))
    assert response.status_code == 403
    assert "role" in response.json()["detail"]


@pytest.mark.parametrize(
    "case",
    ["expired", "unsigned", "wrong key", "wrong issuer", "wrong audience", "no exp", "hs256"],
)
async def test_invalid_token_is_401(
    client: httpx.AsyncClient, keys: dict[str, Any], kafka_bootstrap: str, case: str
) -> None:
    now = int(time.time())
    pem = (
        keys["rsa"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    bearer = {
        "expired": lambda: token(keys["rsa"], "k1", iat=now - 600, exp=now - 60),
        "unsigned": unsigned,
        "wrong key": lambda: token(rsa_key(), "k1"),
        "wrong issuer": lambda: token(keys["rsa"], "k1", iss="https://evil.test"),
        "wrong audience": lambda: token(keys["rsa"], "k1", aud="another-service"),
        "no exp": lambda: jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "role": "producer"},
            keys["rsa"],
            algorithm="RS256",
            headers={"kid": "k1"},
        ),
        # The classic confusion: the public key used as an HMAC secret.
        "hs256": lambda: _hmac_token(pem),
    }[case]()
    response = await post(client, bearer)
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    topic = client._transport.app.state.api.settings.events_topic  # type: ignore[attr-defined]
    assert await consume(kafka_bootstrap, topic, 1, timeout=1.0) == []


def _hmac_token(secret: bytes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 300, "role": "producer"}
    header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}

    def part(doc: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(orjson.dumps(doc)).rstrip(b"=")

    signing_input = part(header) + b"." + part(claims)
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


async def test_rotated_key_is_picked_up_on_its_unknown_kid(
    client: httpx.AsyncClient, keys: dict[str, Any]
) -> None:
    assert (await post(client, token(keys["rsa"], "k1"))).status_code == 202
    rotated = rsa_key()
    write_jwks(keys["path"], (rotated, "k2"))
    assert (await post(client, token(rotated, "k2"))).status_code == 202
    # The retired key is gone from the set once it was reloaded.
    assert (await post(client, token(keys["rsa"], "k1"))).status_code == 401


async def test_role_from_a_configured_nested_claim(
    make_settings: SettingsFactory, keys: dict[str, Any]
) -> None:
    settings = make_settings(
        PULSE_JWT_JWKS=str(keys["path"]),
        PULSE_JWT_ISSUER=ISSUER,
        PULSE_JWT_AUDIENCE=AUDIENCE,
        PULSE_JWT_ROLE_CLAIM="realm_access.roles",
    )
    async for client in running(create_app(settings)):
        nested = token(keys["rsa"], "k1", role=None, realm_access={"roles": ["producer", "x"]})
        assert (await post(client, nested)).status_code == 202
        flat = token(keys["rsa"], "k1")  # role=producer at the top level is not the claim
        assert (await post(client, flat)).status_code == 403


class _Jwks(http.server.BaseHTTPRequestHandler):
    body = b""
    served = 0

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        type(self).served += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def jwks_url(keys: dict[str, Any]) -> Iterator[str]:
    _Jwks.body, _Jwks.served = keys["path"].read_bytes(), 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


async def test_jwks_from_a_url_is_fetched_once_and_cached(
    make_settings: SettingsFactory, keys: dict[str, Any], jwks_url: str
) -> None:
    settings = make_settings(
        PULSE_JWT_JWKS=jwks_url, PULSE_JWT_ISSUER=ISSUER, PULSE_JWT_AUDIENCE=AUDIENCE
    )
    async for client in running(create_app(settings)):
        for n in range(3):
            response = await post(client, token(keys["rsa"], "k1"), user=f"url-{n}")
            assert response.status_code == 202, response.text
        # An unknown kid right after a load does not fetch again (PULSE_JWT_JWKS_MIN_REFRESH_S).
        assert (await post(client, token(rsa_key(), "made-up"))).status_code == 401
    assert _Jwks.served == 1
