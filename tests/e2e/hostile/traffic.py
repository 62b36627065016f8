"""A round of hostile traffic as one request: the body, what the contract says of each item,
and the check of the API's verdicts against it."""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from pydantic import ValidationError

from schemas import MAX_EVENT_BYTES, Event
from tests.e2e.hostile.strategies import Round, pad_to

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Expect:
    """``accept`` (and, for a copy, the body position whose id it must share) or ``reject``
    with a word the error must contain."""

    accept: bool
    same_as: int | None = None
    error_mentions: str = ""


def build(r: Round) -> tuple[list[dict[str, Any]], list[Expect]]:
    """The request body of round ``r`` with fresh event ids, and the verdict due to each item."""
    originals = []
    for i, item in enumerate(r.events):
        item = {"event_id": str(uuid.uuid4()), **item} if r.with_id[i] else dict(item)
        originals.append(pad_to(item, r.big[i]) if i in r.big else item)
    body: list[tuple[dict[str, Any], Expect, int | None]] = [
        (item, Expect(True), i) for i, item in enumerate(originals)
    ] + [(o.item, Expect(False, error_mentions=o.error_mentions), None) for o in r.outside]
    random.Random(r.order_seed).shuffle(body)
    position = {i: pos for pos, (_, _, i) in enumerate(body) if i is not None}
    items, expects = [b[0] for b in body], [b[1] for b in body]
    for i in r.copies:
        items.append(copy.deepcopy(originals[i]))
        expects.append(Expect(True, same_as=position[i]))
    for i in r.conflicts:
        items.append({**originals[i], "user_id": f"conflict-{uuid.uuid4().hex}"})
        expects.append(Expect(False, error_mentions="event_id"))
    return items, expects


def self_check(items: list[dict[str, Any]], expects: list[Expect]) -> None:
    """The generator keeps its promise: what it calls valid, ``schemas.Event`` accepts."""
    now = datetime.now(UTC)
    for item, expect in zip(items, expects, strict=True):
        if expect.accept:
            assert len(orjson.dumps(item)) <= MAX_EVENT_BYTES
            Event.model_validate(item, context={"now": now})
        elif expect.error_mentions != "event_id":
            try:
                Event.model_validate(item, context={"now": now})
            except ValidationError:
                continue
            assert len(orjson.dumps(item)) > MAX_EVENT_BYTES, item


def post(api: httpx.Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    """POST the items as one request; the contract's answer is a 202 whatever they hold."""
    body = orjson.dumps(items)
    assert len(body) <= MAX_BODY_BYTES
    resp = api.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 202, f"{resp.status_code}: {resp.text[:2000]}"
    return dict(resp.json())


def accepted_ids(answer: dict[str, Any], expects: list[Expect]) -> set[str]:
    """Check every item's verdict against the contract; the ids the API accepted."""
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(expects)))
    for result, expect in zip(results, expects, strict=True):
        if expect.accept:
            assert result["status"] == "accepted", result
            if expect.same_as is not None:
                assert result["event_id"] == results[expect.same_as]["event_id"]
        else:
            assert result["status"] == "rejected", result
            assert expect.error_mentions in result["error"], result
    assert answer["accepted"] == sum(e.accept for e in expects)
    assert answer["rejected"] == sum(not e.accept for e in expects)
    return {r["event_id"] for r in results if r["status"] == "accepted"}
