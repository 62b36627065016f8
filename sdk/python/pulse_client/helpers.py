"""``track`` and one typed method per known event, shared by the sync and async clients.

Queueing never does I/O: these methods validate, encode and queue, then return at once with
the event's id (or None if the queue's overflow policy refused it, counted in ``stats.dropped``).
A bad event raises :class:`InvalidEvent` here, in the caller's code, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pulse_client.encoding import Encoded, encode, timestamp_text

Timestamp = datetime | str | None


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class EventMethods:
    """Mixed into the clients; they provide ``_put``, ``_validate`` and ``_source``."""

    _validate: bool = True
    _source: str | None = None

    def _put(self, item: Encoded) -> bool:
        raise NotImplementedError

    def track(
        self,
        event: str,
        user_id: str,
        *,
        timestamp: Timestamp = None,
        source: str | None = None,
        session_id: str | None = None,
        event_id: UUID | str | None = None,
        metadata: Mapping[str, Any] | None = None,
        **more_metadata: Any,
    ) -> str | None:
        """Queue any event, known or custom; metadata from ``metadata`` and keyword arguments.

        ``timestamp`` defaults to now (UTC); ``event_id`` to a fresh UUID, kept by every retry.
        """
        item: dict[str, Any] = {
            "event_id": str(event_id) if event_id is not None else None,
            "event": event,
            "user_id": user_id,
            "timestamp": timestamp_text(timestamp),
            "source": source if source is not None else self._source,
            "session_id": session_id,
            # keyword metadata set to None is absent (the typed methods' optional fields)
            "metadata": {**(metadata or {}), **_present(more_metadata)},
        }
        if item["event_id"] is None:
            del item["event_id"]
        encoded = encode(item, self._validate)
        return encoded.event_id if self._put(encoded) else None

    # Known events: the metadata of each as keyword arguments, checked as the server checks it.

    def login(
        self,
        user_id: str,
        role: Literal["student", "teacher", "admin"] | None = None,
        **common: Any,
    ) -> str | None:
        return self.track("user.login", user_id, **common, role=role)

    def logout(
        self,
        user_id: str,
        role: Literal["student", "teacher", "admin"] | None = None,
        **common: Any,
    ) -> str | None:
        return self.track("user.logout", user_id, **common, role=role)

    def assignment_viewed(
        self,
        user_id: str,
        assignment_id: str,
        subject: str,
        course_id: str | None = None,
        **common: Any,
    ) -> str | None:
        return self._assignment("viewed", user_id, assignment_id, subject, course_id, common)

    def assignment_started(
        self,
        user_id: str,
        assignment_id: str,
        subject: str,
        course_id: str | None = None,
        **common: Any,
    ) -> str | None:
        return self._assignment("started", user_id, assignment_id, subject, course_id, common)

    def assignment_heartbeat(
        self,
        user_id: str,
        assignment_id: str,
        subject: str,
        course_id: str | None = None,
        **common: Any,
    ) -> str | None:
        return self._assignment("heartbeat", user_id, assignment_id, subject, course_id, common)

    def assignment_submitted(
        self,
        user_id: str,
        assignment_id: str,
        subject: str,
        course_id: str | None = None,
        score: float | None = None,
        **common: Any,
    ) -> str | None:
        common = {**common, "score": score}
        return self._assignment("submitted", user_id, assignment_id, subject, course_id, common)

    def chat_message(
        self,
        user_id: str,
        conversation_id: str,
        role: Literal["user", "assistant"] | None = None,
        chars: int | None = None,
        **common: Any,
    ) -> str | None:
        return self.track(
            "chat.message",
            user_id,
            **common,
            conversation_id=conversation_id,
            role=role,
            chars=chars,
        )

    def llm_call(
        self,
        user_id: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float,
        provider: str | None = None,
        latency_ms: float | None = None,
        feature: str | None = None,
        **common: Any,
    ) -> str | None:
        """An LLM call: tokens are ints >= 0, ``cost_usd`` >= 0 (the server's rules)."""
        return self.track(
            "llm.call",
            user_id,
            **common,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
            provider=provider,
            latency_ms=latency_ms,
            feature=feature,
        )

    def _assignment(
        self,
        verb: str,
        user_id: str,
        assignment_id: str,
        subject: str,
        course_id: str | None,
        common: dict[str, Any],
    ) -> str | None:
        return self.track(
            f"assignment.{verb}",
            user_id,
            **common,
            assignment_id=assignment_id,
            subject=subject,
            course_id=course_id,
        )
