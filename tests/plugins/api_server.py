"""A real Airflow api-server with this checkout's plugin, and nothing else: no scheduler, no
DAG run. For tests of the plugin's HTTP behaviour (status codes, limits) that need the real
login and the real request handling, but not a whole stack (tests/support/airflow_stack.py).

The metadata database is SQLite in a temp dir; the news database is the one the test gives
(NEWSDEDUP_DATABASE_URL, as a deployment without the `news_db` Connection passes it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.airflow_stack import AIRFLOW, free_port, migrated_airflow_env

ADMIN, PASSWORD = "admin", "api-test-password"
JWT_SECRET = "api-test-jwt-secret"


@dataclass
class ApiServer:
    base_url: str
    token: str
    log: Path

    def client(self, authenticated: bool = True, timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if authenticated else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"api-server exited {process.returncode}\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/api/v2/monitor/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"api-server did not answer within 300 s\n{log.read_text()[-4000:]}")


def _token(base_url: str) -> str:
    response = httpx.post(
        f"{base_url}/auth/token", json={"username": ADMIN, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@contextmanager
def api_server(root: Path, news_db_url: str, **extra_env: str) -> Iterator[ApiServer]:
    """An api-server on a free port of 127.0.0.1, its plugin reading `news_db_url`."""
    passwords = root / "passwords.json"
    passwords.write_text(json.dumps({ADMIN: PASSWORD}))
    env = migrated_airflow_env(
        root / "home",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__API_AUTH__JWT_SECRET=JWT_SECRET,
        AIRFLOW__API__SECRET_KEY="api-test-secret-key",
        NEWSDEDUP_DATABASE_URL=news_db_url,
        **extra_env,
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["AIRFLOW__API__BASE_URL"] = base_url
    log = root / "api-server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_up(process, base_url, log)
        yield ApiServer(base_url, _token(base_url), log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
