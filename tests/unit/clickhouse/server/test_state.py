from __future__ import annotations

from typing import Any

import anyio

from clickhouse.server.auth import Principal
from clickhouse.server.state import EndpointState


def test_analysts_run_on_their_own_threads_never_the_writers() -> None:
    async def limiters() -> tuple[Any, Any, Any]:
        analysts = anyio.CapacityLimiter(2)
        state = EndpointState(None, None, None, None, analysts)  # type: ignore[arg-type]
        writer = state.limiter(Principal("default", 0, False))
        analyst = state.limiter(Principal("analyst", 2, True))
        return writer, analyst, analysts

    writer, analyst, analysts = anyio.run(limiters)
    assert analyst is analysts
    assert writer is not analysts
