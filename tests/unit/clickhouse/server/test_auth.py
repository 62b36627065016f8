from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from clickhouse.config import EndpointSettings
from clickhouse.exceptions import EndpointConfigError, EndpointError
from clickhouse.server.auth import Authenticator, credentials
from clickhouse.server.policy import check, source_grant

SETTINGS = EndpointSettings(password=SecretStr(""), readonly_password=SecretStr("s3cret"))


def test_credentials_from_basic_auth_headers_and_url() -> None:
    basic = "Basic " + base64.b64encode(b"analyst:s3cret").decode()
    assert credentials({"authorization": basic}, {}) == ("analyst", "s3cret")
    assert credentials({"x-clickhouse-user": "analyst", "x-clickhouse-key": "k"}, {}) == (
        "analyst",
        "k",
    )
    assert credentials({}, {"user": "analyst", "password": "p"}) == ("analyst", "p")
    assert credentials({}, {"user": "analyst"}) == ("analyst", "")


def test_no_credentials_at_all_is_required_password() -> None:
    with pytest.raises(EndpointError) as raised:
        credentials({"origin": "https://elsewhere.example"}, {})
    assert raised.value.code == 194


def test_endpoint_refuses_to_bind_beyond_loopback_with_an_empty_password() -> None:
    with pytest.raises(EndpointConfigError, match="empty password"):
        EndpointSettings(host="0.0.0.0", password=SecretStr(""), readonly_password=SecretStr("x"))
    EndpointSettings(host="0.0.0.0", password=SecretStr("w"), readonly_password=SecretStr("x"))
    EndpointSettings(host="127.0.0.1", password=SecretStr(""), readonly_password=SecretStr(""))


def test_writer_and_analyst_get_their_readonly_levels() -> None:
    auth = Authenticator(SETTINGS)
    assert auth.authenticate("default", "").readonly == 0
    analyst = auth.authenticate("analyst", "s3cret")
    assert (analyst.readonly, analyst.restricted) == (2, True)


@pytest.mark.parametrize(("user", "password"), [("analyst", "wrong"), ("mallory", "")])
def test_bad_credentials_are_authentication_failed(user: str, password: str) -> None:
    with pytest.raises(EndpointError) as raised:
        Authenticator(SETTINGS).authenticate(user, password)
    assert raised.value.code == 516


def test_analyst_fence_names_the_missing_grant() -> None:
    analyst = Authenticator(SETTINGS).authenticate("analyst", "s3cret")
    with pytest.raises(EndpointError) as raised:
        check(analyst, "SELECT * FROM url('x')", frozenset({"url", "file"}), read_only=False)
    assert raised.value.code == 497
    assert "READ ON URL" in raised.value.message
    assert source_grant("s3Cluster".lower()) == "READ ON S3"


def test_get_in_a_writer_session_refuses_writes() -> None:
    writer = Authenticator(SETTINGS).authenticate("default", "")
    check(writer, "SELECT 1", frozenset(), read_only=True)
    with pytest.raises(EndpointError) as raised:
        check(writer, "DROP TABLE t", frozenset(), read_only=True)
    assert raised.value.code == 164


def test_tls_needs_both_files() -> None:
    with pytest.raises(EndpointConfigError):
        EndpointSettings(certfile="cert.pem")
