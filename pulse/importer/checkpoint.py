"""Where an import stands, kept beside the file so an interrupted import resumes.

The checkpoint names the file (size and a digest of its first MiB: a different file is never
resumed by mistake), the first row not yet settled, the counts so far and the size the rejects
file had at that point. A batch is settled once the API confirmed it (a ``202``: its accepted
events are durably in Kafka) and its rejected rows are written; the checkpoint is then replaced
atomically. Rows after it may have been sent already; sending them again stores nothing new,
since their event ids are derived from their content.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from pulse.importer.exceptions import ImporterError

_HEAD_BYTES = 1024 * 1024


def fingerprint(path: Path) -> str:
    """``size:sha256-of-the-first-MiB`` of ``path``."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    return f"{path.stat().st_size}:{hashlib.sha256(head).hexdigest()}"


@dataclass
class Checkpoint:
    """An import's progress; ``next_row`` is the first row not yet settled."""

    file: str
    fingerprint: str
    next_row: int = 1
    accepted: int = 0
    rejected: int = 0
    rejects_bytes: int = 0
    complete: bool = False

    def save(self, path: Path) -> None:
        """Replace ``path`` atomically (write a sibling, fsync, rename)."""
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("wb") as stream:
            stream.write(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)

    @classmethod
    def open(cls, path: Path, source: Path, restart: bool) -> Checkpoint:
        """The checkpoint of ``source`` at ``path``; a fresh one with ``restart`` or none yet."""
        digest = fingerprint(source)
        if restart or not path.exists():
            return cls(file=str(source), fingerprint=digest)
        try:
            found = cls(**orjson.loads(path.read_bytes()))
        except (orjson.JSONDecodeError, TypeError) as exc:
            raise ImporterError(
                f"checkpoint {path} is unreadable ({exc}): pass --restart"
            ) from None
        if found.fingerprint != digest:
            raise ImporterError(
                f"{source} changed since the import recorded in {path} began: pass --restart "
                "to import it from the first row (events already stored are not doubled)"
            )
        return found
