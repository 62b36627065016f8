from faust.types import Message

from core.settings import SharedSettings
from stream_processors.config import WorkerSettings
from stream_processors.decoding import Undecodable
from stream_processors.dlq import MAX_ERROR_BYTES, dead_letter_headers, header
from stream_processors.factory import create_app
from stream_processors.transport import ReadCommittedTransport


def message(headers: object) -> Message:
    return Message(
        "pulse.events.v1",
        4,
        17,
        0.0,
        0,
        headers,
        b"u-1",
        b"{bad",
        None,  # type: ignore[arg-type]
    )


def test_header_reads_lists_and_mappings_and_misses_quietly() -> None:
    assert header(message([("request_id", b"r-1")]), "request_id") == "r-1"
    assert header(message({"request_id": b"r-2"}), "request_id") == "r-2"
    assert header(message(None), "request_id") is None


def test_dead_letter_headers_carry_error_reason_origin_and_request_id() -> None:
    failure = Undecodable("not_json", "value is not JSON: unexpected character", b"{bad")
    headers = dict(dead_letter_headers(message([("request_id", b"r-9")]), failure))
    assert headers == {
        "error": b"value is not JSON: unexpected character",
        "reason": b"not_json",
        "source_topic": b"pulse.events.v1",
        "source_partition": b"4",
        "source_offset": b"17",
        "request_id": b"r-9",
    }


def test_long_errors_are_cut_to_fit_a_header() -> None:
    failure = Undecodable("invalid_record", "x" * 10_000, b"")
    headers = dict(dead_letter_headers(message([]), failure))
    assert len(headers["error"]) == MAX_ERROR_BYTES


def test_worker_app_uses_the_read_committed_transport(
    settings: WorkerSettings, shared: SharedSettings
) -> None:
    assert isinstance(create_app(settings, shared).transport, ReadCommittedTransport)
