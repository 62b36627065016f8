from ingest_api.config import ApiSettings
from ingest_api.main import create_app


def test_each_app_has_its_own_metrics_registry() -> None:
    settings = ApiSettings(PULSE_API_KEYS="k:producer")  # type: ignore[call-arg]
    first, second = create_app(settings), create_app(settings)
    assert first.state.api.metrics.registry is not second.state.api.metrics.registry


def test_app_serves_the_contract_routes() -> None:
    app = create_app(ApiSettings(PULSE_API_KEYS=""))  # type: ignore[call-arg]
    paths = set(app.openapi()["paths"])
    assert {"/v1/events", "/healthz", "/readyz", "/metrics"} <= paths
