from datetime import UTC, datetime
from uuid import uuid4

from faust.types import Message

from schemas.events import EventRecord
from stream_processors import metrics
from stream_processors.agents import llm_usage
from stream_processors.agents.batching import refused_messages
from stream_processors.labels import BoundedLabel
from stream_processors.sink import Rejected


def message(offset: int, value: bytes) -> Message:
    return Message("pulse.events.v1", 0, offset, 0.0, 0, [], b"u-1", value, None)  # type: ignore[arg-type]


def test_a_message_refused_by_two_tables_is_dead_lettered_once_with_both_errors() -> None:
    first, second = message(1, b'{"one": 1}'), message(2, b'{"two": 2}')
    rejected = [
        Rejected("dau_users", ("d",), first, "DataError: day"),
        Rejected("llm_calls", ("l",), first, "DataError: tokens"),
        Rejected("llm_calls", ("l2",), second, "DataError: tokens"),
    ]
    letters = refused_messages(rejected)
    assert [(m.offset, f.reason, f.raw, f.error) for m, f in letters] == [
        (
            1,
            "clickhouse_rejected",
            b'{"one": 1}',
            "dau_users: DataError: day; llm_calls: DataError: tokens",
        ),
        (2, "clickhouse_rejected", b'{"two": 2}', "llm_calls: DataError: tokens"),
    ]


def llm_call(model: str) -> EventRecord:
    now = datetime.now(UTC)
    return EventRecord(
        event_id=uuid4(),
        event="llm.call",
        user_id="u-1",
        timestamp=now,
        received_at=now,
        metadata={"model": model, "prompt_tokens": 1, "completion_tokens": 2, "cost_usd": 0.5},
    )


def test_llm_counters_keep_a_bounded_set_of_model_labels() -> None:
    tag = uuid4().hex[:8]
    models = [f"{tag}-{i}" for i in range(50)] + ["tutor-main"]
    llm_usage.count_calls([llm_call(m) for m in models], BoundedLabel(("tutor-main",), limit=3))
    labels = {
        sample.labels["model"]
        for family in metrics.REGISTRY.collect()
        if family.name == "llm_calls"
        for sample in family.samples
        if sample.labels["model"].startswith(tag)
    }
    assert labels == {f"{tag}-0", f"{tag}-1"}
    other = metrics.REGISTRY.get_sample_value("llm_calls_total", {"model": "other"})
    assert other is not None and other >= 48
    assert metrics.REGISTRY.get_sample_value("llm_calls_total", {"model": "tutor-main"}) >= 1
