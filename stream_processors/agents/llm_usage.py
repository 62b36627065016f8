"""LLM usage: one fact per ``llm.call`` event, and the live Prometheus counters."""

from __future__ import annotations

from faust.types import Message

from schemas.events import EventRecord
from stream_processors import metrics
from stream_processors.agents.batching import Projection
from stream_processors.labels import BoundedLabel
from stream_processors.rows import Row, llm_call_row


def row(record: EventRecord, message: Message) -> Row | None:
    return llm_call_row(record)


def count_calls(records: list[EventRecord], model_label: BoundedLabel) -> None:
    """Add the stored calls to the llm_* counters, models labelled by ``model_label``."""
    for record in records:
        row = llm_call_row(record)
        if row is None:
            continue
        _, _, name, _, prompt_tokens, completion_tokens, cost = row
        model = model_label(name)
        metrics.LLM_CALLS.labels(model).inc()
        metrics.LLM_COST.labels(model).inc(cost)
        metrics.LLM_TOKENS.labels(model, "prompt").inc(prompt_tokens)
        metrics.LLM_TOKENS.labels(model, "completion").inc(completion_tokens)


def projection(model_label: BoundedLabel) -> Projection:
    """The llm_calls projection; producers name the model, ``model_label`` bounds the names."""
    return Projection("llm_calls", row, on_stored=lambda records: count_calls(records, model_label))
