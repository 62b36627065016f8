from datetime import date

from clickhouse.rollups import TouchedKeys
from stream_processors.rollup_refresh import within_partition_limit


def test_llm_keys_of_150_months_are_recomputed_at_most_90_months_at_a_time() -> None:
    months = [date(2010 + m // 12, m % 12 + 1, d) for m in range(150) for d in (1, 2)]
    touched = TouchedKeys(
        days=set(months),
        llm={(d, "u", "m") for d in months},
        subjects={(months[0], "math")},
    )
    parts = within_partition_limit(touched, 90)
    spans = [len({(d.year, d.month) for d, _, _ in part.llm}) for part in parts]
    assert spans == [90, 60]
    assert set().union(*(part.llm for part in parts)) == touched.llm
    assert parts[0].days == touched.days and parts[0].subjects == touched.subjects
    assert not any(part.days or part.subjects for part in parts[1:])


def test_keys_of_a_few_months_stay_one_refresh() -> None:
    touched = TouchedKeys(days={date(2026, 11, 30)}, llm={(date(2026, 11, 30), "u", "m")})
    assert within_partition_limit(touched, 90) == [touched]
