from __future__ import annotations

import gzip

import lz4.frame
import pytest
from backports import zstd

from clickhouse.exceptions import EndpointError
from clickhouse.server.compression import decoder, encoder, response_encoding

FRAMES = {
    "lz4": lz4.frame.compress,
    "zstd": zstd.compress,
    "gzip": gzip.compress,
}


@pytest.mark.parametrize("encoding", sorted(FRAMES))
def test_decoder_reads_concatenated_frames_fed_in_small_pieces(encoding: str) -> None:
    body = FRAMES[encoding](b"first block,") + FRAMES[encoding](b"second block")
    codec = decoder(encoding)
    out = b"".join(codec.feed(body[i : i + 7]) for i in range(0, len(body), 7)) + codec.flush()
    assert out == b"first block,second block"


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate"])
def test_encoder_output_decodes_back(encoding: str) -> None:
    codec = encoder(encoding)
    data = codec.feed(b"a" * 1000) + codec.feed(b"b" * 10) + codec.flush()
    assert decoder(encoding).feed(data) == b"a" * 1000 + b"b" * 10


def test_unknown_content_encoding_is_refused() -> None:
    with pytest.raises(EndpointError) as raised:
        decoder("snappy")
    assert raised.value.code == 89


def test_response_encoding_prefers_lz4_then_zstd() -> None:
    assert response_encoding("gzip, zstd, lz4") == "lz4"
    assert response_encoding("gzip;q=1.0, zstd") == "zstd"
    assert response_encoding("br") is None
    assert response_encoding(None) is None
