"""Pseudonymous user ids: keyed HMAC-SHA256 of ``user_id`` (``PULSE_PSEUDONYMISE_KEY``).

When the key is set, the API replaces every event's ``user_id`` with its pseudonym before the
event id is derived and before anything is published, so Kafka, the stream workers and
ClickHouse only ever hold pseudonyms. The report routes take the raw id and look up its
pseudonym. A plain (unkeyed) hash is not offered: user ids are guessable, so anyone could
hash candidates and match them. Changing the key changes every pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac

from pydantic import SecretStr


class Pseudonymiser:
    """Maps a user id to its pseudonym: hex HMAC-SHA256 under the key, or itself when off."""

    def __init__(self, key: SecretStr | None) -> None:
        secret = key.get_secret_value() if key is not None else ""
        self._key = secret.encode() if secret else None

    @property
    def enabled(self) -> bool:
        """True when user ids are replaced by pseudonyms."""
        return self._key is not None

    def __call__(self, user_id: str) -> str:
        if self._key is None:
            return user_id
        return hmac.new(self._key, user_id.encode(), hashlib.sha256).hexdigest()
