import stat
from pathlib import Path

from pulse.local.envfile import ensure_env_file, keys_by_role


def test_first_run_generates_a_key_per_role_and_a_private_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    values = ensure_env_file(env)
    assert set(keys_by_role(values)) == {"producer", "analyst", "admin"}
    assert values["CLICKHOUSE_READONLY_PASSWORD"]
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_second_run_keeps_existing_secrets(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    first = ensure_env_file(env)
    assert ensure_env_file(env) == first


def test_user_supplied_keys_are_not_replaced(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PULSE_API_KEYS=mine:producer\n")
    values = ensure_env_file(env)
    assert keys_by_role(values) == {"producer": "mine"}


def test_hashed_keys_are_never_offered_as_plain_keys() -> None:
    assert keys_by_role({"PULSE_API_KEYS": "sha256:ab12:analyst,k1:admin"}) == {"admin": "k1"}


def test_first_run_generates_the_writer_password_too(tmp_path: Path) -> None:
    values = ensure_env_file(tmp_path / ".env")
    assert len(values["CLICKHOUSE_PASSWORD"]) >= 24
    assert values["CLICKHOUSE_PASSWORD"] != values["CLICKHOUSE_READONLY_PASSWORD"]


def test_an_existing_env_without_a_writer_password_gets_one(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("CLICKHOUSE_READONLY_PASSWORD=kept\nCLICKHOUSE_PASSWORD=\n")
    values = ensure_env_file(path)
    assert values["CLICKHOUSE_READONLY_PASSWORD"] == "kept"
    assert values["CLICKHOUSE_PASSWORD"]
