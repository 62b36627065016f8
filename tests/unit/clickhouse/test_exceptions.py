import pytest

from clickhouse.backup import BackupError
from clickhouse.exceptions import ClickHouseComponentError
from clickhouse.migrate import MigrationError


@pytest.mark.parametrize("error", [MigrationError, BackupError])
def test_migration_and_backup_errors_are_the_clickhouse_component_s(error: type) -> None:
    assert issubclass(error, ClickHouseComponentError)
