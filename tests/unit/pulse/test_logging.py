import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest
from loguru import logger

from core.logging import configure_logging, request_id_var


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    original, out = sys.stderr, io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    configure_logging("test_service", "DEBUG")
    yield out
    logger.remove()
    logger.configure(patcher=None)
    logger.add(original)


def records(out: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def test_each_line_is_one_json_object_with_the_fixed_fields(lines: io.StringIO) -> None:
    logger.info("hello {}", "world")
    [line] = records(lines)
    assert line["message"] == "hello world"
    assert line["level"] == "INFO"
    assert line["service"] == "test_service"
    assert line["request_id"] is None
    assert str(line["timestamp"]).startswith("20")


def test_request_id_of_the_running_context_is_on_every_line(lines: io.StringIO) -> None:
    token = request_id_var.set("req-77")
    try:
        logger.info("inside")
    finally:
        request_id_var.reset(token)
    logger.info("outside")
    inside, outside = records(lines)
    assert inside["request_id"] == "req-77"
    assert outside["request_id"] is None


def test_bound_extras_and_exceptions_are_kept(lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logger.bind(events=3).exception("failed")
    [line] = records(lines)
    assert line["events"] == 3
    assert line["exception"] == "ValueError: boom"


def test_an_exception_line_carries_its_whole_traceback(lines: io.StringIO) -> None:
    def inner() -> None:
        raise KeyError("deep")

    try:
        inner()
    except KeyError:
        logger.exception("crashed")
    [line] = records(lines)
    traceback_text = str(line["traceback"])
    assert traceback_text.startswith("Traceback (most recent call last)")
    assert "in inner" in traceback_text and "KeyError: 'deep'" in traceback_text


def test_standard_library_logging_goes_through_the_same_sink(lines: io.StringIO) -> None:
    logging.getLogger("aiokafka").warning("from the stdlib")
    [line] = records(lines)
    assert line["message"] == "from the stdlib"
    assert line["level"] == "WARNING"
