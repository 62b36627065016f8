import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from ingest_api.config import ApiSettings
from ingest_api.exceptions import RetryLater
from ingest_api.reports.connection import clickhouse_errors

pytestmark = pytest.mark.anyio


async def test_an_unreachable_clickhouse_asks_to_retry_after_the_configured_seconds() -> None:
    settings = ApiSettings(PULSE_API_RETRY_AFTER_S=7)
    with pytest.raises(RetryLater) as raised:
        async with clickhouse_errors(settings):
            raise OperationalError("connection refused")
    assert raised.value.retry_after == 7
    assert "CLICKHOUSE_URL" in str(raised.value)
