"""HTTPS: ``python -m ingest_api`` serves TLS with PULSE_API_TLS_CERTFILE/KEYFILE, checked by a
client that trusts only the test's own CA."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from tests.e2e.security.conftest import PRODUCER_KEY, ApiLauncher

EVENT = {"event": "user.login", "user_id": "tls-user", "timestamp": "2026-11-20T14:00:00Z"}


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[trustme.CA, Path, Path]:
    """A fresh CA and a server certificate for 127.0.0.1 signed by it, as PEM files."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "server.pem", tmp_path / "server.key"
    server.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    server.private_key_pem.write_to_path(str(keyfile))
    return ca, certfile, keyfile


def test_api_serves_https_verified_against_its_ca(
    launch_api: ApiLauncher, tls_files: tuple[trustme.CA, Path, Path]
) -> None:
    ca, certfile, keyfile = tls_files
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    url, _ = launch_api(
        "https", trusted, PULSE_API_TLS_CERTFILE=str(certfile), PULSE_API_TLS_KEYFILE=str(keyfile)
    )
    with httpx.Client(base_url=url, verify=trusted, timeout=15) as client:
        assert client.get("/healthz").status_code == 200
        response = client.post(
            "/v1/events", json=EVENT, headers={"Authorization": f"Bearer {PRODUCER_KEY}"}
        )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1


def test_https_is_refused_by_a_client_that_does_not_trust_the_ca(
    launch_api: ApiLauncher, tls_files: tuple[trustme.CA, Path, Path]
) -> None:
    ca, certfile, keyfile = tls_files
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    url, _ = launch_api(
        "https", trusted, PULSE_API_TLS_CERTFILE=str(certfile), PULSE_API_TLS_KEYFILE=str(keyfile)
    )
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{url}/healthz", timeout=5)  # the system's trust store only
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://") + "/healthz", timeout=5)  # no plain HTTP
