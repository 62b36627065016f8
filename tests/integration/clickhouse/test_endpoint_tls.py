"""With a certificate and key the endpoint serves HTTPS, for clickhouse-connect too."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from clickhouse_connect import get_client

from pulse.local.process import ManagedProcess, wait_until
from tests.stack import endpoint_credentials, free_port


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _ready(url: str, cert: Path) -> bool:
    try:
        context = ssl.create_default_context(cafile=str(cert))
        return httpx.get(f"{url}/ping", verify=context, timeout=2).text == "Ok.\n"
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def tls_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A second endpoint, on its own data directory, serving HTTPS."""
    directory = tmp_path_factory.mktemp("clickhouse-tls")
    cert, key = _self_signed(directory)
    port = free_port()
    proc = ManagedProcess("clickhouse-tls", directory / "pid", directory / "log")
    proc.spawn(
        [sys.executable, "-m", "clickhouse.server", "--port", str(port),
         "--data-dir", str(directory / "chdb"), "--certfile", str(cert), "--keyfile", str(key)],
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    wait_until(lambda: _ready(url, cert), 60, "the TLS endpoint", alive=proc.is_running)
    yield port, cert
    proc.stop()


def test_https_endpoint_answers_clickhouse_connect(tls_endpoint: tuple[int, Path]) -> None:
    port, cert = tls_endpoint
    client = get_client(
        host="127.0.0.1",
        port=port,
        secure=True,
        ca_cert=str(cert),
        username="default",
        password=endpoint_credentials()["CLICKHOUSE_PASSWORD"],
    )
    assert client.command("SELECT 40 + 2") == 42
    client.close()


def test_plain_http_is_not_served_on_the_tls_port(tls_endpoint: tuple[int, Path]) -> None:
    port, _ = tls_endpoint
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5)
