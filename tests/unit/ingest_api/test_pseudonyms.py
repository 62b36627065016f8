import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr, ValidationError

from ingest_api.config import ApiSettings
from ingest_api.pseudonyms import Pseudonymiser
from ingest_api.verdicts import judge

KEY = "k" * 32
OTHER_KEY = "o" * 32
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def viewed(user: str) -> dict[str, object]:
    return {
        "event": "assignment.viewed",
        "user_id": user,
        "timestamp": "2026-11-20T14:03:07.120Z",
        "metadata": {"assignment_id": "hw-7", "subject": "math"},
    }


def test_off_by_default_keeps_the_user_id() -> None:
    pseudonymise = Pseudonymiser(ApiSettings().pseudonymise_key)
    assert not pseudonymise.enabled
    assert pseudonymise("student-42") == "student-42"


def test_empty_key_means_off() -> None:
    settings = ApiSettings(PULSE_PSEUDONYMISE_KEY="")
    assert settings.pseudonymise_key is None


def test_pseudonym_is_the_keyed_hmac_sha256_in_hex() -> None:
    pseudonymise = Pseudonymiser(SecretStr(KEY))
    expected = hmac.new(KEY.encode(), b"student-42", hashlib.sha256).hexdigest()
    assert pseudonymise.enabled
    assert pseudonymise("student-42") == expected
    assert pseudonymise("student-42") != hashlib.sha256(b"student-42").hexdigest()


def test_same_input_gets_the_same_pseudonym() -> None:
    assert Pseudonymiser(SecretStr(KEY))("u-1") == Pseudonymiser(SecretStr(KEY))("u-1")


def test_different_users_get_different_pseudonyms() -> None:
    pseudonymise = Pseudonymiser(SecretStr(KEY))
    assert pseudonymise("u-1") != pseudonymise("u-2")


def test_different_secrets_give_different_pseudonyms() -> None:
    assert Pseudonymiser(SecretStr(KEY))("u-1") != Pseudonymiser(SecretStr(OTHER_KEY))("u-1")


def test_short_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters") as caught:
        ApiSettings(PULSE_PSEUDONYMISE_KEY="short-secret-value")
    assert "short-secret-value" not in str(caught.value)


def test_records_carry_the_pseudonym_and_never_the_raw_id() -> None:
    pseudonymise = Pseudonymiser(SecretStr(KEY))
    verdicts = judge([viewed("student-42")], NOW, None, pseudonymise)
    (record,) = verdicts.records
    assert record.user_id == pseudonymise("student-42")
    assert "student-42" not in record.model_dump_json()


def test_event_ids_differ_with_and_without_pseudonymisation() -> None:
    plain = judge([viewed("student-42")], NOW, None).records[0]
    hidden = judge([viewed("student-42")], NOW, None, Pseudonymiser(SecretStr(KEY))).records[0]
    assert plain.event_id != hidden.event_id
