"""Pulse's Python SDK: typed events, validated where they are made, delivered in the background.

from pulse_client import Client
Client("http://127.0.0.1:8000", "pk_producer_...").assignment_viewed("student-42", "hw-7", "math")
"""

from pulse_client.aio import AsyncClient
from pulse_client.client import Client
from pulse_client.exceptions import ClientClosed, InvalidEvent, PulseError
from pulse_client.options import Options
from pulse_client.stats import Stats
from pulse_client.verdicts import Rejection

__all__ = [
    "AsyncClient",
    "Client",
    "ClientClosed",
    "InvalidEvent",
    "Options",
    "PulseError",
    "Rejection",
    "Stats",
]
