"""Dead letters of ``pulse.events.dlq``: read them (``reader``), re-validate and replay them."""
