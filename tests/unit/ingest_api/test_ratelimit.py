import pytest

from ingest_api.exceptions import RateLimited
from ingest_api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_is_allowed_then_the_key_is_limited_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=0.5, burst=2, clock=clock)
    limiter.check("k")
    limiter.check("k")
    with pytest.raises(RateLimited) as caught:
        limiter.check("k")
    assert caught.value.retry_after == 2


def test_tokens_come_back_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=1, clock=clock)
    limiter.check("k")
    clock.now = 0.1
    limiter.check("k")


def test_keys_have_separate_buckets() -> None:
    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(RateLimited):
        limiter.check("a")
