import pytest

from core.settings import SharedSettings
from stream_processors.config import WorkerSettings


@pytest.fixture
def shared(tmp_path_factory: pytest.TempPathFactory) -> SharedSettings:
    """Shared settings whose data directory is a fresh temporary one (nothing is contacted)."""
    return SharedSettings(PULSE_DATA_DIR=tmp_path_factory.mktemp("data"))  # type: ignore[call-arg]


@pytest.fixture
def settings() -> WorkerSettings:
    return WorkerSettings()  # type: ignore[call-arg]
