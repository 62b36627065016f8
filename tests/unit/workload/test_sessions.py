"""Sessions: realistic shapes, prices that add up, and honest size constants."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from pulse.workload.catalog import LLM_MODELS, SOURCES
from pulse.workload.population import User, build_population
from pulse.workload.sessions import MEAN_SESSION_EVENTS, SECOND, build_session, llm_call

RNG_SEED = 11


@pytest.fixture(scope="module")
def population_users() -> tuple[User, ...]:
    return build_population(random.Random(RNG_SEED), 400, 0.1, SOURCES).users


@pytest.mark.parametrize("role", ["student", "teacher"])
def test_mean_session_size_constants_match_the_builders(
    population_users: tuple[User, ...], role: str
) -> None:
    rng = random.Random(RNG_SEED)
    people = [u for u in population_users if u.role == role]
    sizes = [len(list(build_session(rng, rng.choice(people), 0, "s"))) for _ in range(8000)]
    assert sum(sizes) / len(sizes) == pytest.approx(MEAN_SESSION_EVENTS[role], rel=0.05)


def test_assignment_work_has_heartbeats_30_to_120_s_apart_and_some_long_gaps(
    population_users: tuple[User, ...],
) -> None:
    rng = random.Random(RNG_SEED)
    students = [u for u in population_users if u.role == "student"]
    gaps = []
    for _ in range(500):
        drafts = list(build_session(rng, rng.choice(students), 0, "s"))
        beats = [d.ts_ms for d in drafts if d.event == "assignment.heartbeat"]
        gaps += [(b - a) / SECOND for a, b in pairwise(beats)]

    assert all(30 <= g <= 120 or 300 < g <= 1500 for g in gaps)
    assert 0.02 < sum(g > 300 for g in gaps) / len(gaps) < 0.12


def test_sessions_are_in_time_order_with_one_session_id(
    population_users: tuple[User, ...],
) -> None:
    rng = random.Random(RNG_SEED)
    for _ in range(300):
        drafts = list(build_session(rng, rng.choice(population_users), 1000, "s-1"))
        assert [d.ts_ms for d in drafts] == sorted(d.ts_ms for d in drafts)
        assert {d.session_id for d in drafts} == {"s-1"}


def test_llm_cost_is_tokens_times_the_models_price_per_1k(
    population_users: tuple[User, ...],
) -> None:
    rng = random.Random(RNG_SEED)
    prices = {m.name: m for m in LLM_MODELS}
    for _ in range(200):
        meta = llm_call(rng, population_users[0], 0, "s", "hint", {}).metadata
        model = prices[meta["model"]]
        expected = (
            meta["prompt_tokens"] * model.prompt_per_1k
            + meta["completion_tokens"] * model.completion_per_1k
        ) / 1000
        assert meta["cost_usd"] == pytest.approx(expected, abs=1e-8)
        assert meta["provider"] == model.provider
        assert 20 <= meta["prompt_tokens"] <= 32_000 and meta["latency_ms"] > 0
