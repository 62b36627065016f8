"""LLM usage: one fact per ``llm.call`` event, and the live Prometheus counters."""

from __future__ import annotations

from typing import Any

from faust.types import Message

from schemas.events import EventRecord
from stream_processors import metrics
from stream_processors.agents.batching import Projection
from stream_processors.labels import BoundedLabel
from stream_processors.rows import Row, llm_call_row


def row(record: EventRecord, message: Message) -> Row | None:
    return llm_call_row(record)


def count_calls(records: list[EventRecord], model_label: BoundedLabel) -> None:
    """Add the stored calls to the llm_* counters, models labelled by ``model_label``: counts
    and tokens summed per model and added once a batch, costs added call by call (the same
    floating-point sums as before) to a counter looked up once a batch per model."""
    totals: dict[str, list[int]] = {}
    costs: dict[str, Any] = {}
    for record in records:
        if record.event != "llm.call":
            continue
        row = llm_call_row(record)
        if row is None:
            continue
        _, _, name, _, prompt_tokens, completion_tokens, cost = row
        model = model_label(name)
        total = totals.get(model)
        if total is None:
            total = totals[model] = [0, 0, 0]
            costs[model] = metrics.LLM_COST.labels(model)
        total[0] += 1
        total[1] += prompt_tokens
        total[2] += completion_tokens
        costs[model].inc(cost)
    for model, (calls, prompt_tokens, completion_tokens) in totals.items():
        metrics.LLM_CALLS.labels(model).inc(calls)
        metrics.LLM_TOKENS.labels(model, "prompt").inc(prompt_tokens)
        metrics.LLM_TOKENS.labels(model, "completion").inc(completion_tokens)


def projection(model_label: BoundedLabel) -> Projection:
    """The llm_calls projection; producers name the model, ``model_label`` bounds the names."""
    return Projection("llm_calls", row, on_stored=lambda records: count_calls(records, model_label))
