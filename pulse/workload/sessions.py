"""What one visit to the platform looks like: the events of a session, in event-time order.

Times are integer milliseconds since the Unix epoch (UTC). Each builder takes the RNG, user and
start time and yields its drafts lazily, so only open sessions (not their future events) are held
in memory; ids and timestamps are written later.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from pulse.workload.catalog import (
    GRADE_POSTED,
    LLM_MODELS,
    PAGE_VIEWED,
    QUIZ_ANSWERED,
    STUDENT_LLM_FEATURES,
    TEACHER_LLM_FEATURES,
    VIDEO_PLAYED,
    LlmModel,
)
from pulse.workload.population import Assignment, User

SECOND = 1000
HEARTBEAT_GAP_PROBABILITY = 0.06
# Mean events per session by role, measured on 50k sessions of the builders below (a unit test
# keeps them honest); they turn the events-per-second rate into sessions per second.
MEAN_SESSION_EVENTS = {"student": 11.06, "teacher": 4.0}
_MODEL_WEIGHTS = [m.weight for m in LLM_MODELS]


class Draft(NamedTuple):
    """A valid event before it gets an id and a written timestamp."""

    ts_ms: int
    user: User
    event: str
    session_id: str
    metadata: dict[str, Any]


Builder = Callable[[random.Random, User, int, str], Iterator[Draft]]


def _seconds(rng: random.Random, low: float, high: float) -> int:
    return int(rng.uniform(low, high) * SECOND)


def _assignment_meta(assignment: Assignment) -> dict[str, Any]:
    return {
        "assignment_id": assignment.assignment_id,
        "subject": assignment.subject,
        "course_id": assignment.course_id,
    }


def _pick_assignment(rng: random.Random, user: User) -> Assignment:
    return rng.choice(rng.choice(user.courses).assignments)


def _login(user: User, t: int, sid: str, event: str = "user.login") -> Draft:
    return Draft(t, user, event, sid, {"role": user.role})


def _work_on_assignment(rng: random.Random, user: User, t: int, sid: str) -> Iterator[Draft]:
    """viewed -> started -> heartbeats (30-120 s, some gaps over 300 s) -> maybe submitted."""
    assignment = _pick_assignment(rng, user)
    meta = _assignment_meta(assignment)
    yield Draft(t, user, "assignment.viewed", sid, dict(meta))
    if rng.random() < 0.15:
        return
    t += _seconds(rng, 3, 90)
    yield Draft(t, user, "assignment.started", sid, dict(meta))
    end = t + int(min(rng.lognormvariate(math.log(15 * 60), 0.6), 90 * 60) * SECOND)
    while t < end:
        if rng.random() < HEARTBEAT_GAP_PROBABILITY:
            t += _seconds(rng, 301, 1500)
        else:
            t += _seconds(rng, 30, 120)
        yield Draft(t, user, "assignment.heartbeat", sid, dict(meta))
    if rng.random() < 0.75:
        score: float = min(100, max(0, round(rng.gauss(74, 16))))
        if rng.random() < 0.2:
            score = round(min(100.0, max(0.0, rng.gauss(74, 16))), 1)
        t += _seconds(rng, 5, 60)
        yield Draft(t, user, "assignment.submitted", sid, {**meta, "score": score})


def llm_call(
    rng: random.Random, user: User, t: int, sid: str, feature: str, extra: dict[str, Any]
) -> Draft:
    """One ``llm.call`` with log-normal token counts and cost from the model's list prices."""
    model: LlmModel = rng.choices(LLM_MODELS, _MODEL_WEIGHTS)[0]
    prompt = min(32_000, max(20, int(rng.lognormvariate(math.log(700), 0.8))))
    completion = min(4_000, max(1, int(rng.lognormvariate(math.log(220), 0.7))))
    cost = prompt / 1000 * model.prompt_per_1k + completion / 1000 * model.completion_per_1k
    latency = 150 + completion * model.ms_per_token * rng.lognormvariate(0, 0.25)
    return Draft(
        t,
        user,
        "llm.call",
        sid,
        {
            **extra,
            "model": model.name,
            "provider": model.provider,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost_usd": round(cost, 8),
            "latency_ms": round(latency, 1),
            "feature": feature,
        },
    )


def _tutor_chat(rng: random.Random, user: User, t: int, sid: str) -> Iterator[Draft]:
    """A conversation with the tutor: user message, llm.call, assistant message, per turn."""
    conversation = f"conv-{rng.getrandbits(48):012x}"
    context: dict[str, Any] = {}
    if rng.random() < 0.6:
        assignment = _pick_assignment(rng, user)
        context = {"assignment_id": assignment.assignment_id, "subject": assignment.subject}
    for _ in range(rng.randint(1, 8)):
        t += _seconds(rng, 10, 180)
        chars = max(1, int(rng.lognormvariate(math.log(120), 0.8)))
        meta = {"conversation_id": conversation, "role": "user", "chars": chars, **context}
        yield Draft(t, user, "chat.message", sid, meta)
        call = llm_call(rng, user, t + 5, sid, rng.choice(STUDENT_LLM_FEATURES), context)
        yield call
        t += 5 + int(call.metadata["latency_ms"])
        answer = call.metadata["completion_tokens"] * 4
        meta = {"conversation_id": conversation, "role": "assistant", "chars": answer, **context}
        yield Draft(t, user, "chat.message", sid, meta)


def _browse(rng: random.Random, user: User, t: int, sid: str) -> Iterator[Draft]:
    """Custom events: pages, videos and quiz answers, some tied to a subject."""
    for _ in range(rng.randint(1, 6)):
        t += _seconds(rng, 5, 400)
        course = rng.choice(user.courses)
        kind = rng.random()
        if kind < 0.4:
            meta: dict[str, Any] = {
                "video_id": f"vid-{rng.randint(1, 500)}",
                "seconds": rng.randint(5, 1800),
                "subject": course.subject,
            }
            yield Draft(t, user, VIDEO_PLAYED, sid, meta)
        elif kind < 0.7:
            meta = {
                "quiz_id": f"quiz-{rng.randint(1, 300)}",
                "correct": rng.random() < 0.6,
                "subject": course.subject,
                "tags": ["practice"],
            }
            yield Draft(t, user, QUIZ_ANSWERED, sid, meta)
        else:
            path = f"/courses/{course.course_id}"
            meta = {"path": path, "referrer": rng.choice(["home", "mail"])}
            yield Draft(t, user, PAGE_VIEWED, sid, meta)


def _teach(rng: random.Random, user: User, t: int, sid: str) -> Iterator[Draft]:
    """A teacher reviews assignments, posts grades and asks the LLM for help."""
    for _ in range(rng.randint(1, 5)):
        t += _seconds(rng, 20, 600)
        assignment = _pick_assignment(rng, user)
        meta = _assignment_meta(assignment)
        if rng.random() < 0.5:
            yield Draft(t, user, "assignment.viewed", sid, meta)
        elif rng.random() < 0.6:
            grade = {**meta, "student": f"student-{rng.randint(1, 1000)}"}
            yield Draft(t, user, GRADE_POSTED, sid, grade)
        else:
            feature = rng.choice(TEACHER_LLM_FEATURES)
            yield llm_call(rng, user, t, sid, feature, {"subject": assignment.subject})


_STUDENT_ACTIVITIES: tuple[tuple[Builder, float], ...] = (
    (_work_on_assignment, 0.5),
    (_tutor_chat, 0.25),
    (_browse, 0.25),
)


def build_session(rng: random.Random, user: User, start_ms: int, sid: str) -> Iterator[Draft]:
    """One session, lazily: maybe a login, one activity by role, maybe a logout; in time order."""
    t = start_ms
    if rng.random() < 0.6:
        yield _login(user, t, sid)
        t += _seconds(rng, 1, 20)
    if user.role == "teacher":
        activity: Builder = _teach
    else:
        activity = rng.choices(
            [b for b, _ in _STUDENT_ACTIVITIES], [w for _, w in _STUDENT_ACTIVITIES]
        )[0]
    for draft in activity(rng, user, t, sid):
        t = draft.ts_ms
        yield draft
    if rng.random() < 0.4:
        yield _login(user, t + _seconds(rng, 1, 60), sid, "user.logout")


def build_assignment_session(
    rng: random.Random, user: User, start_ms: int, sid: str
) -> Iterator[Draft]:
    """A session that is surely assignment work (used to straddle UTC midnight on purpose)."""
    return _work_on_assignment(rng, user, start_ms, sid)
