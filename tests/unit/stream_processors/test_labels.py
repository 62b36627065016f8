from stream_processors.labels import OTHER, BoundedLabel


def test_models_beyond_the_limit_count_as_other() -> None:
    label = BoundedLabel(allowed=(), limit=2)
    assert [label(m) for m in ("a", "b", "c", "a", "d", "b")] == ["a", "b", OTHER, "a", OTHER, "b"]


def test_allowed_models_keep_their_name_even_when_first_seen_late() -> None:
    label = BoundedLabel(allowed=("gpt-x",), limit=2)
    assert [label(m) for m in ("a", "b", "gpt-x")] == ["a", OTHER, "gpt-x"]


def test_a_limit_of_zero_names_only_the_allowed_models() -> None:
    label = BoundedLabel(allowed=("m",), limit=0)
    assert (label("m"), label("n")) == ("m", OTHER)


def test_a_million_distinct_models_make_a_bounded_set_of_labels() -> None:
    label = BoundedLabel(allowed=(), limit=20)
    assert len({label(f"model-{i}") for i in range(1_000_000)}) == 21
