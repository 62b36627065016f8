"""The worker's agent (``pipeline``) and the projections it applies, one module per metric.

Nothing registers on import: ``stream_processors.factory.create_app`` wires the agent.
"""
