"""The worker's agent (``pipeline``) and the projections it applies, one module per metric.

Importing this package registers the agent on the app.
"""

from stream_processors.agents import pipeline  # noqa: F401
