"""The timing helpers: nearest-rank percentiles, summaries in milliseconds, safe ratios."""

from __future__ import annotations

from bench.stats import latency_summary, median, quantile, rate, ratio, repeat


def test_quantile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.50) == 50.0
    assert quantile(values, 0.95) == 95.0
    assert quantile(values, 1.0) == 100.0


def test_quantile_of_few_runs_is_one_of_them() -> None:
    assert quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert quantile([3.0, 1.0, 2.0], 0.95) == 3.0


def test_quantile_of_nothing_is_zero() -> None:
    assert quantile([], 0.5) == 0.0


def test_latency_summary_reports_milliseconds() -> None:
    assert latency_summary([0.001, 0.002, 0.010]) == {"runs": 3, "p50_ms": 2.0, "p95_ms": 10.0}


def test_ratio_of_zero_denominator_is_none() -> None:
    assert ratio(1.0, 0.0) is None
    assert ratio(1.0, 4.0) == 0.25


def test_rate_of_zero_duration_is_zero() -> None:
    assert rate(100, 0.0) == 0.0
    assert rate(100, 4.0) == 25.0


def test_repeat_times_only_the_runs_after_warmup() -> None:
    calls: list[int] = []
    durations = repeat(lambda: calls.append(1), runs=3, warmup=2)
    assert len(calls) == 5
    assert len(durations) == 3
    assert all(d >= 0 for d in durations)


def test_median_of_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
