import hashlib

import pytest

from ingest_api.auth import KeyRing, Role
from ingest_api.exceptions import ConfigError, NotAuthenticated


def test_plain_key_authenticates_with_its_role() -> None:
    ring = KeyRing.parse("p-key:producer, a-key:analyst,admin-key:admin")
    assert ring.authenticate("p-key").role is Role.PRODUCER
    assert ring.authenticate("a-key").role is Role.ANALYST
    assert ring.authenticate("admin-key").role is Role.ADMIN


def test_hashed_entry_accepts_the_key_whose_digest_it_holds() -> None:
    digest = hashlib.sha256(b"secret-key").hexdigest()
    ring = KeyRing.parse(f"sha256:{digest}:analyst")
    principal = ring.authenticate("secret-key")
    assert principal.role is Role.ANALYST
    assert principal.key_id == digest[:12]


def test_key_containing_colons_keeps_everything_before_the_role() -> None:
    ring = KeyRing.parse("a:b:c:producer")
    assert ring.authenticate("a:b:c").role is Role.PRODUCER


def test_unknown_key_is_not_authenticated() -> None:
    ring = KeyRing.parse("p-key:producer")
    with pytest.raises(NotAuthenticated, match="not valid"):
        ring.authenticate("other")


def test_missing_key_is_not_authenticated() -> None:
    with pytest.raises(NotAuthenticated, match="Bearer"):
        KeyRing.parse("p-key:producer").authenticate(None)


def test_empty_setting_accepts_no_key() -> None:
    ring = KeyRing.parse("")
    assert len(ring) == 0
    with pytest.raises(NotAuthenticated):
        ring.authenticate("anything")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-role", "has no role"),
        (":producer", "has no role"),
        ("key:superuser", "use producer, analyst or admin"),
        ("sha256:abc:producer", "64 hex digits"),
    ],
)
def test_malformed_entry_says_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        KeyRing.parse(spec)


def test_error_never_contains_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        KeyRing.parse("s3cr3t-value:root")
    assert "s3cr3t-value" not in str(caught.value)
