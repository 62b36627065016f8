import io
import subprocess
import sys

import pytest

from ingest_api.auth import KeyRing, Role, hashed_entry, main
from ingest_api.exceptions import ConfigError


def test_hashed_entry_authenticates_the_key_with_its_role() -> None:
    ring = KeyRing.parse(hashed_entry("s3cret-key", Role.ANALYST))
    assert ring.authenticate("s3cret-key").role is Role.ANALYST


def test_hashed_entry_does_not_contain_the_key() -> None:
    assert "s3cret-key" not in hashed_entry("s3cret-key", Role.ADMIN)


@pytest.mark.parametrize("key", ["", "a,b"])
def test_key_that_cannot_be_listed_is_refused(key: str) -> None:
    with pytest.raises(ConfigError, match="no comma"):
        hashed_entry(key, Role.PRODUCER)


def test_hash_command_reads_the_key_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped-key\n"))
    assert main(["hash", "--role", "admin"]) == 0
    entry = capsys.readouterr().out.strip()
    assert KeyRing.parse(entry).authenticate("piped-key").role is Role.ADMIN


def test_python_dash_m_prints_an_entry_the_api_accepts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest_api.auth", "hash", "--role", "producer"],
        input="module-key\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    entry = done.stdout.strip()
    assert entry.startswith("sha256:") and entry.endswith(":producer")
    assert KeyRing.parse(entry).authenticate("module-key").role is Role.PRODUCER
