"""The Airflow UI's passwords file (simple auth manager) as `make run` leaves it: owner-only,
with every configured user's password; an api-server started on it (Airflow's own auth manager
init, which runs first thing in the api-server) keeps it so and prints no password."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.airflow_stack import REPO, airflow_env

PASSWORDS = "simple_auth_manager_passwords.json.generated"
INIT_AUTH_MANAGER = (
    "from airflow.api_fastapi.app import create_auth_manager; create_auth_manager().init()"
)


@pytest.fixture
def home() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="nd-afpw-"))
    yield root / "airflow"
    subprocess.run(["rm", "-rf", str(root)], check=True)


def _make_passwords(env: dict[str, str]) -> str:
    """`make airflow-passwords`, the step of `make run` that writes the file, on this home."""
    command = [
        "make",
        "-s",
        "-C",
        str(REPO),
        "airflow-passwords",
        f"AIRFLOW_HOME={env['AIRFLOW_HOME']}",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout + done.stderr


def _api_server_auth_init(env: dict[str, str]) -> str:
    """What an api-server's start does with the file, and what it prints meanwhile."""
    done = subprocess.run([sys.executable, "-c", INIT_AUTH_MANAGER], env=env,
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    return done.stdout + done.stderr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_writes_every_users_password_owner_only_and_prints_none(home: Path) -> None:
    env = airflow_env(home, AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin,ops:viewer")
    printed = _make_passwords(env)
    path = home / PASSWORDS
    assert _mode(path) == 0o600
    passwords = json.loads(path.read_text())
    assert set(passwords) == {"admin", "ops"}
    assert all(len(p) >= 16 for p in passwords.values())
    assert str(path) in printed
    assert not any(p in printed for p in passwords.values())


def test_an_api_server_start_after_it_prints_no_password_and_keeps_the_file(home: Path) -> None:
    env = airflow_env(home)
    _make_passwords(env)
    path = home / PASSWORDS
    written = path.read_text()
    printed = _api_server_auth_init(env)
    assert "Password for user" not in printed
    assert json.loads(written)["admin"] not in printed
    assert path.read_text() == written
    assert _mode(path) == 0o600


def test_a_world_readable_file_left_by_an_earlier_api_server_is_made_owner_only(
    home: Path,
) -> None:
    home.mkdir(parents=True)
    path = home / PASSWORDS
    path.write_text(json.dumps({"admin": "the-password-already-in-use"}) + "\n")
    path.chmod(0o644)
    _make_passwords(airflow_env(home))
    assert _mode(path) == 0o600
    assert json.loads(path.read_text()) == {"admin": "the-password-already-in-use"}
