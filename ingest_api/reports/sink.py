"""A write-only file object whose bytes are taken out as they are written."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class DrainableSink(io.RawIOBase):
    """Collects written bytes until :meth:`drain`; ``tell()`` counts every byte ever written,
    so writers that record offsets (Parquet's footer) stay correct."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        """The bytes written since the last drain."""
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data
