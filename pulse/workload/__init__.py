"""Synthetic learning-platform traffic: seeded, streaming, with knobs for messy delivery.

``generate(WorkloadConfig(...))`` yields event dicts in sending order; ``write_jsonl`` saves them.
"""

from pulse.workload.config import WorkloadConfig
from pulse.workload.exceptions import WorkloadError
from pulse.workload.generator import expected_events, generate, generate_sent
from pulse.workload.jsonl import read_jsonl, write_jsonl
from pulse.workload.shaping import Sent

__all__ = [
    "Sent",
    "WorkloadConfig",
    "WorkloadError",
    "expected_events",
    "generate",
    "generate_sent",
    "read_jsonl",
    "write_jsonl",
]
