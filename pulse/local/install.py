"""`python -m pulse.local.install`: fetch what the local stack needs beyond Python packages."""

from __future__ import annotations

from pulse.local.config import CacheSettings
from pulse.local.kafka import ensure_jars

if __name__ == "__main__":
    ensure_jars(CacheSettings().cache_dir)
