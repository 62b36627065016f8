"""Where each part of the stack keeps its data, logs and pid file under ``PULSE_DATA_DIR``."""

from __future__ import annotations

from pathlib import Path

from core.settings import SharedSettings


class Layout:
    """The layout under PULSE_DATA_DIR that the launcher and the worker's metrics share."""

    def __init__(self, shared: SharedSettings) -> None:
        self.root = Path(shared.data_dir).resolve()

    def data(self, part: str) -> Path:
        return self.root / part

    def log(self, part: str) -> Path:
        return self.root / "logs" / f"{part}.log"

    def pid(self, part: str) -> Path:
        return self.root / "run" / f"{part}.pid"
