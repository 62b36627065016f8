"""Hypothesis strategies for hostile traffic: events the contract accepts, with extreme values,
and events just outside its range.

Every valid strategy stays inside ``schemas.Event`` (the models the JSON Schema is generated
from): the test double-checks each generated item against the model before it is sent.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import strategies as st

from schemas import EVENT_NAME_PATTERN, KNOWN_EVENTS, MAX_EVENT_BYTES
from schemas.events import MAX_FUTURE, MAX_TOKENS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MARGIN = timedelta(minutes=10)  # between this clock and the API's receipt time
MAX_BIG_EVENTS = 12  # events near 32 KB per request: the body stays under the 1 MB cap


def _now() -> datetime:
    return datetime.now(UTC)


# ---- timestamps -------------------------------------------------------------------------------

offsets = st.sampled_from([14 * 60, -12 * 60, 0, 5 * 60 + 45, -(9 * 60 + 30), 1, -1]) | st.integers(
    -12 * 60, 14 * 60
)


def _end_of_month(year: int, month: int) -> datetime:
    day = calendar.monthrange(year, month)[1]
    return datetime(year, month, day, 23, 59, 59, 999_000, tzinfo=UTC)


def _uniform(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def _ahead(seconds: int) -> datetime:
    return _now() + MAX_FUTURE - MARGIN - timedelta(seconds=seconds)


def _in_past(ms: int) -> datetime:
    return max(EPOCH, _now() - timedelta(milliseconds=ms))


leap_years = [y for y in range(1972, 2025, 4)]
instants = st.one_of(
    st.just(EPOCH),
    st.integers(0, 999).map(lambda ms: EPOCH + timedelta(milliseconds=ms)),
    st.builds(
        lambda y, s: datetime(y, 2, 29, tzinfo=UTC) + timedelta(seconds=s),
        st.sampled_from(leap_years),
        st.integers(0, 86_399),
    ),
    st.builds(_end_of_month, st.integers(1970, 2025), st.integers(1, 12)),
    st.integers(0, 3600).map(_ahead),
    st.integers(0, 3_600_000).map(_in_past),
    st.integers(0, int((datetime(2026, 1, 1, tzinfo=UTC) - EPOCH).total_seconds() * 1000)).map(
        _uniform
    ),
)


def rfc3339(instant: datetime, offset_minutes: int, spec: str, zulu: bool) -> str:
    """``instant`` written at ``offset_minutes`` east of UTC, as RFC 3339."""
    text = instant.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat(timespec=spec)
    return text.replace("+00:00", "Z") if zulu else text


SPECS = ["milliseconds", "milliseconds", "seconds", "microseconds"]
FIXED_OFFSETS = [14 * 60, -12 * 60, 0, 5 * 60 + 45, -(9 * 60 + 30), 1, -1]


def random_timestamp(rng: random.Random) -> str:
    """A timestamp of the same kinds as ``timestamps``, from plain ``random`` (cheap in bulk)."""
    kind = rng.randrange(6)
    if kind == 0:
        instant = EPOCH + timedelta(milliseconds=rng.randrange(1000))
    elif kind == 1:
        instant = datetime(rng.choice(leap_years), 2, 29, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(86_400)
        )
    elif kind == 2:
        instant = _end_of_month(rng.randrange(1970, 2026), rng.randrange(1, 13))
    elif kind == 3:
        instant = _ahead(rng.randrange(3600))
    else:
        instant = _uniform(rng.randrange(int((_now() - EPOCH).total_seconds() * 1000)))
    offset = rng.choice(FIXED_OFFSETS) if rng.random() < 0.5 else rng.randint(-720, 840)
    return rfc3339(instant, offset, rng.choice(SPECS), rng.random() < 0.5)


timestamps = st.builds(
    rfc3339,
    instants,
    offsets,
    st.sampled_from(SPECS),
    st.booleans(),
)

# ---- strings ----------------------------------------------------------------------------------

HOSTILE = [
    "\x00",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "\U0001f9e8",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "'; DROP TABLE events; --",
    "{s:String}",
    "\\",
    '"',
    "\t\r\n",
    "\x1b[31m",
    "%s%n",
    "\u0130",
    "ß",
    "\u0627\u0644\u0639\u0631\u0628\u064a",
]
anything = (
    st.text(max_size=40)
    | st.sampled_from(HOSTILE)
    | st.lists(st.sampled_from(HOSTILE), max_size=8).map("".join)
)
printable_chars = st.characters(exclude_categories=["C", "Zl", "Zp", "Zs"]) | st.just(" ")
user_ids = (
    st.text(printable_chars, min_size=1, max_size=40)
    | st.text(printable_chars, min_size=128, max_size=128)
    | st.sampled_from(
        [
            "student-42",
            "\u0627\u0644\u0639\u0631\u0628\u064a-42",
            "\U0001f9e8",
            "a" * 128,
            "\U0001f642" * 128,
        ]
    )
)
identifiers = anything.filter(lambda s: 1 <= len(s) <= 256) | st.text(
    printable_chars, min_size=256, max_size=256
)
known_names = st.sampled_from(sorted(KNOWN_EVENTS))
custom_names = (
    st.from_regex(EVENT_NAME_PATTERN, fullmatch=True).filter(
        lambda n: len(n) <= 128 and n not in KNOWN_EVENTS
    )
    | st.just("x." + "y" * 126)
    | st.just("assignment.viewed_later")
)

# ---- numbers ----------------------------------------------------------------------------------

tokens = st.sampled_from([0, 1, 2**53]) | st.integers(0, 2**53)
# An LLM call's counts are bounded (their sums must fit UInt64): up to the bound, and at it.
token_counts = st.sampled_from([0, 1, MAX_TOKENS]) | st.integers(0, MAX_TOKENS)
costs = st.sampled_from([0, 0.0, 1e-300, 5e-324, 1e300, 1.7976931348623157e308]) | st.floats(
    0, 1e300, allow_nan=False
)
scores = st.sampled_from([0, 0.0, 100, 100.0, 1e-300, 99.999]) | st.floats(0, 100)

# ---- metadata ---------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | anything
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(anything, inner, max_size=4),
    max_leaves=4,
)
KNOWN_FIELDS = {
    "role",
    "assignment_id",
    "subject",
    "course_id",
    "score",
    "conversation_id",
    "chars",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "provider",
    "latency_ms",
    "feature",
}
extras = st.dictionaries(anything.filter(lambda k: k not in KNOWN_FIELDS), json_values, max_size=3)


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged |= part
    return merged


def metadata_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Metadata the contract accepts for event ``name``, extra keys included."""
    if name.startswith("assignment."):
        own = st.fixed_dictionaries(
            {"assignment_id": identifiers, "subject": identifiers},
            optional={"course_id": identifiers}
            | ({"score": scores} if name == "assignment.submitted" else {}),
        )
    elif name in ("user.login", "user.logout"):
        own = _optional(role=st.sampled_from(["student", "teacher", "admin"]))
    elif name == "chat.message":
        own = st.fixed_dictionaries(
            {"conversation_id": identifiers},
            optional={"role": st.sampled_from(["user", "assistant"]), "chars": tokens},
        )
    elif name == "llm.call":
        own = st.fixed_dictionaries(
            {
                "model": identifiers,
                "prompt_tokens": token_counts,
                "completion_tokens": token_counts,
                "cost_usd": costs,
            },
            optional={"provider": anything, "latency_ms": costs, "feature": anything},
        )
    else:
        return st.dictionaries(anything, json_values, max_size=4)
    return st.tuples(own, extras).map(lambda parts: _merge(list(parts)))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """One valid event without ``event_id`` (the test gives ids at run time, fresh per run)."""
    name = draw(known_names | custom_names)
    item: dict[str, Any] = {
        "event": name,
        "user_id": draw(user_ids),
        "timestamp": draw(timestamps),
        "metadata": draw(metadata_for(name)),
    }
    item |= draw(_optional(source=anything.filter(lambda s: len(s) <= 64), session_id=anything))
    return item


def pad_to(item: dict[str, Any], size: int) -> dict[str, Any]:
    """``item`` with a metadata string added so that its JSON is exactly ``size`` bytes."""
    padded = {**item, "metadata": {**item["metadata"], "padding": ""}}
    missing = size - len(orjson.dumps(padded))
    padded["metadata"]["padding"] = "x" * max(missing, 0)
    return padded


# ---- just outside the contract ----------------------------------------------------------------

OUTSIDE_TIMESTAMPS = [
    "1969-12-31T23:59:59.999Z",
    "1969-12-31T23:59:59.999+00:00",
    "1970-01-01T00:00:00.000+00:01",
    "1970-01-01T13:59:59.999+14:00",
    "1969-12-31T11:59:59.999-12:00",
    "0001-01-01T00:30:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
]


def _too_far_ahead(hours: int) -> str:
    return (_now() + timedelta(hours=hours)).isoformat(timespec="milliseconds")


outside_timestamps = st.sampled_from(OUTSIDE_TIMESTAMPS) | st.integers(25, 24 * 365 * 100).map(
    _too_far_ahead
)


@dataclass(frozen=True)
class Outside:
    """An item the API must reject by itself, and a word its error must contain."""

    item: dict[str, Any]
    error_mentions: str


@st.composite
def outside(draw: st.DrawFn) -> Outside:
    base = draw(events())
    if draw(st.integers(0, 5)) == 0:
        return Outside(pad_to(base, MAX_EVENT_BYTES + 1), "bytes")
    return Outside(base | {"timestamp": draw(outside_timestamps)}, "timestamp")


@dataclass(frozen=True)
class Round:
    """One request's worth of hostile traffic, before event ids are given.

    ``with_id[i]`` says whether event ``i`` carries an event_id; ``big`` maps events to the
    size (near 32 KB) their JSON is padded to once the id is in; ``copies`` repeat events with
    the same content at the end of the request; ``conflicts`` repeat an event's id with another
    content (the contract rejects the second).
    """

    events: list[dict[str, Any]]
    with_id: list[bool]
    big: dict[int, int]
    copies: list[int]
    conflicts: list[int]
    outside: list[Outside]
    order_seed: int


@st.composite
def rounds(draw: st.DrawFn, templates: int = 20, fanout: int = 10) -> Round:
    """Up to ``templates`` generated events, each sent ``fanout`` times at other timestamps
    (hypothesis cannot draw a few hundred rich events per example within its buffer)."""
    drawn = draw(st.lists(events(), min_size=templates * 3 // 5, max_size=templates))
    rng = random.Random(draw(st.integers(0, 2**32)))
    items = [
        t | ({"timestamp": random_timestamp(rng)} if k else {})
        for t in drawn
        for k in range(fanout)
    ]
    n = len(items)
    big = draw(
        st.dictionaries(
            st.integers(0, n - 1),
            st.integers(MAX_EVENT_BYTES - 64, MAX_EVENT_BYTES),
            max_size=MAX_BIG_EVENTS,
        )
    )
    with_id = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    small = [i for i in range(n) if i not in big]
    copies = draw(st.lists(st.sampled_from(small), max_size=10))
    conflicts = draw(
        st.lists(st.sampled_from([i for i in small if with_id[i]] or [None]), max_size=5).map(
            lambda ix: [i for i in ix if i is not None]
        )
    )
    return Round(
        items,
        with_id,
        big,
        copies,
        conflicts,
        draw(st.lists(outside(), max_size=8)),
        draw(st.integers(0, 2**32)),
    )
