"""The stream-processor pipeline fixtures, for the `pulse dlq` full-stack test."""

from tests.integration.stream_processors.conftest import pipeline, worker

__all__ = ["pipeline", "worker"]
