"""Event ids drawn from a seeded RNG, so a workload is reproducible to the last byte."""

from __future__ import annotations

import random

_VERSION_MASK = ~(0xF000 << 64) & ~(0xC000 << 48)
_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)


def random_uuid4(rng: random.Random) -> str:
    """A version-4 UUID string from ``rng``, as ``str(uuid.UUID(int=..., version=4))`` writes it."""
    h = f"{rng.getrandbits(128) & _VERSION_MASK | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
