"""Fast-lz4 record batches read back as the same records as aiokafka's own lz4 batches."""

from __future__ import annotations

import lz4.frame
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch

from ingest_api.record_batches import CODEC_LZ4, FastLz4Batch, compress_batch

RECORDS = [
    (f"student-{i % 7}".encode(), b'{"event":"assignment.viewed","n":%d}' % i) for i in range(300)
]
HEADERS = [("request_id", b"req-1")]


def filled(batch: BatchBuilder) -> DefaultRecordBatch:
    for key, value in RECORDS:
        assert batch.append(key=key, value=value, timestamp=1_700_000_000_000, headers=HEADERS)
    batch._set_producer_state(42, 3, 17)
    return DefaultRecordBatch(bytes(batch._build()))


def test_a_fast_batch_holds_what_aiokafkas_lz4_batch_holds() -> None:
    fast = filled(FastLz4Batch(256 * 1024, is_transactional=True))
    ours = filled(BatchBuilder(256 * 1024, CODEC_LZ4, is_transactional=True))
    assert fast.validate_crc()
    assert fast.compression_type == CODEC_LZ4 and fast.is_transactional
    header = ("producer_id", "producer_epoch", "base_sequence", "last_offset_delta")
    assert [getattr(fast, h) for h in header] == [getattr(ours, h) for h in header]
    assert [(r.offset, r.key, r.value, r.headers) for r in fast] == [
        (r.offset, r.key, r.value, r.headers) for r in ours
    ]


def test_the_records_are_one_fast_mode_lz4_frame() -> None:
    plain = BatchBuilder(256 * 1024, 0, is_transactional=False)
    for key, value in RECORDS:
        plain.append(key=key, value=value, timestamp=None, headers=[])
    raw = plain._build()
    packed = compress_batch(bytearray(raw))
    assert lz4.frame.decompress(bytes(packed[61:])) == bytes(raw[61:])
    assert len(packed) < len(raw)


def test_a_batch_that_does_not_shrink_is_sent_plain() -> None:
    batch = FastLz4Batch(1024, is_transactional=False)
    batch.append(key=b"k", value=b"\x8f\x13", timestamp=None, headers=[])
    read = DefaultRecordBatch(bytes(batch._build()))
    assert read.compression_type == 0 and read.validate_crc()
    assert [r.value for r in read] == [b"\x8f\x13"]
