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


def test_model_totals_of_a_forgotten_user_are_split_by_month_with_the_llm_keys() -> None:
    months = [date(2010 + m // 12, m % 12 + 1, 1) for m in range(120)]
    touched = TouchedKeys(
        llm={(d, "u", "m") for d in months[:60]}, models={(d, "m") for d in months[60:]}
    )
    parts = within_partition_limit(touched, 90)
    for part in parts:
        spanned = {(d.year, d.month) for d, _, _ in part.llm} | {
            (d.year, d.month) for d, _ in part.models
        }
        assert len(spanned) <= 90
    assert set().union(*(part.models for part in parts)) == touched.models
    assert set().union(*(part.llm for part in parts)) == touched.llm


def test_every_llm_key_names_the_model_total_it_changes() -> None:
    day = date(2026, 11, 30)
    touched = TouchedKeys(llm={(day, "u1", "a"), (day, "u2", "a")}, models={(day, "b")})
    assert touched.model_keys() == {(day, "a"), (day, "b")}
