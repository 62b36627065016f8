from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas import Event, describe_errors

NOW = datetime.now(UTC).isoformat()


def error_of(payload: dict) -> str:
    with pytest.raises(ValidationError) as exc:
        Event.model_validate(payload)
    return describe_errors(exc.value)


def test_contract_example_is_valid() -> None:
    event = Event.model_validate(
        {
            "event_id": "0b6c6f0e-6f0a-4c47-9a3e-5f1b1f0f4a11",
            "event": "assignment.viewed",
            "user_id": "student-42",
            "timestamp": "2026-11-20T14:03:07.120Z",
            "source": "web",
            "session_id": "s-9",
            "metadata": {"assignment_id": "hw-7", "subject": "math"},
        }
    )
    assert event.timestamp.utcoffset() == timedelta(0)


def test_missing_required_metadata_names_the_field() -> None:
    msg = error_of(
        {
            "event": "assignment.viewed",
            "user_id": "u",
            "timestamp": NOW,
            "metadata": {"subject": "math"},
        }
    )
    assert msg == "metadata.assignment_id: field required"


def test_llm_call_tokens_must_be_non_negative_integers() -> None:
    msg = error_of(
        {
            "event": "llm.call",
            "user_id": "u",
            "timestamp": NOW,
            "metadata": {
                "model": "m",
                "prompt_tokens": "12",
                "completion_tokens": -1,
                "cost_usd": 0.1,
            },
        }
    )
    assert "metadata.prompt_tokens" in msg and "metadata.completion_tokens" in msg


def test_custom_events_take_free_form_metadata() -> None:
    event = Event.model_validate(
        {
            "event": "video.played",
            "user_id": "u",
            "timestamp": NOW,
            "metadata": {"anything": [1, {"x": None}]},
        }
    )
    assert event.metadata["anything"][0] == 1


@pytest.mark.parametrize("name", ["login", "User.login", "user.", ".x", "user..login", "a.b-c"])
def test_bad_event_names_are_rejected(name: str) -> None:
    assert error_of({"event": name, "user_id": "u", "timestamp": NOW}).startswith("event:")


def test_timestamp_needs_an_offset() -> None:
    assert "timestamp" in error_of(
        {"event": "a.b", "user_id": "u", "timestamp": "2026-11-20T14:03:07"}
    )


def test_timestamp_more_than_a_day_ahead_is_rejected() -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    assert "future" in error_of({"event": "a.b", "user_id": "u", "timestamp": ahead})


def test_user_id_must_be_printable_and_at_most_128_chars() -> None:
    assert "user_id" in error_of({"event": "a.b", "user_id": "a\nb", "timestamp": NOW})
    assert "user_id" in error_of({"event": "a.b", "user_id": "x" * 129, "timestamp": NOW})


@pytest.mark.parametrize(
    "user_id",
    [
        "\U0001f469\u200d\U0001f393",  # woman student: two emoji and a zero-width joiner
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, with a non-joiner
        "Ana\u00a0Mar\u00eda",  # a no-break space
    ],
)
def test_user_ids_of_real_text_with_joiners_and_spaces_are_accepted(user_id: str) -> None:
    event = Event.model_validate({"event": "a.b", "user_id": user_id, "timestamp": NOW})
    assert event.user_id == user_id


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2028", "\x00", "\x1b"])
def test_user_ids_with_invisible_or_control_characters_are_rejected(char: str) -> None:
    payload = {"event": "a.b", "user_id": f"a{char}b", "timestamp": NOW}
    assert "user_id: must contain printable characters only" in error_of(payload)


def test_token_counts_are_bounded_so_that_their_sums_stay_exact() -> None:
    def llm(tokens: int) -> dict:
        metadata = {"model": "m", "prompt_tokens": tokens, "completion_tokens": 0, "cost_usd": 0}
        return {"event": "llm.call", "user_id": "u", "timestamp": NOW, "metadata": metadata}

    assert Event.model_validate(llm(10**12)).metadata["prompt_tokens"] == 10**12
    assert "metadata.prompt_tokens" in error_of(llm(10**12 + 1))
    assert "metadata.prompt_tokens" in error_of(llm(2**64 - 1))


def test_submitted_score_is_bounded() -> None:
    msg = error_of(
        {
            "event": "assignment.submitted",
            "user_id": "u",
            "timestamp": NOW,
            "metadata": {"assignment_id": "a", "subject": "s", "score": 101},
        }
    )
    assert msg.startswith("metadata.score")


def test_numbers_in_known_metadata_must_be_json_numbers_not_strings() -> None:
    msg = error_of(
        {
            "event": "llm.call",
            "user_id": "u",
            "timestamp": NOW,
            "metadata": {
                "model": "m",
                "prompt_tokens": 1,
                "completion_tokens": 1,
                "cost_usd": "0.5",
            },
        }
    )
    assert msg.startswith("metadata.cost_usd")
