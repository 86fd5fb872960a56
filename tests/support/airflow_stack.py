"""A real Airflow for the integration tests: PostgreSQL, api-server, scheduler, dag-processor,
and either the LocalExecutor or Celery workers with Redis. Everything binds 127.0.0.1 on free
ports and lives in one temp dir.

Stacks are started once per pytest session and shared by the modules that need them (the
integration and the browser tests look at the same run); `shared()` stops them when pytest ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from tests.support.http_server import LocalSite, Reply, article_html, rss, static

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "samples"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
ADMIN, PASSWORD = "admin", "test-admin-password"
DAG_ID = "news_ingest"
# Where the stack's alerts go (the apprise Connection newsdedup_alerts): a path on its site that
# stands for a webhook's secret token, which no log may show.
ALERT_PATH = "/alerts/T0KEN-of-the-test-webhook"
PAGE_DELAY = 0.3  # seconds each article page of the stack's feeds takes to answer
# The stack's sources: two feeds on its site (one polled, one backfilled; one host, so one
# fetch pool), and one whose listing fails.
FEEDS = {"wire": 4, "archive": 4, "broken-feed": 0}


def _sources_toml(site: LocalSite) -> str:
    entries = []
    for name in FEEDS:
        url = site.url(f"/{name}/feed.xml")
        entries.append(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\n'
            f'outlet = "{name.title()} Desk"\nallow_private_addresses = true\nshard_size = 2\n'
        )
    return "\n".join(entries)


def serve_feeds(site: LocalSite) -> None:
    """The stack's feeds: articles that take PAGE_DELAY each, and a listing that answers 500."""
    for name, count in FEEDS.items():
        if count == 0:
            site.routes[f"/{name}/feed.xml"] = Reply(500, b"upstream down")
            continue
        links = [(f"{name}-{i}", f"/{name}/a{i}") for i in range(count)]
        site.routes[f"/{name}/feed.xml"] = static(rss(site.base, links), "application/rss+xml")
        seed = 900 if name == "wire" else 950
        for i in range(count):
            page = article_html(seed + i, f"{name.title()} story {i}")
            site.routes[f"/{name}/a{i}"] = Reply(
                200, page, {"Content-Type": "text/html; charset=utf-8"}, delay=PAGE_DELAY
            )


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an Airflow whose state lives in `home`, loading this checkout's DAGs
    and plugins; nothing inherited from the caller's AIRFLOW_* / NEWSDEDUP_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSDEDUP"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PARALLELISM="4",
        NEWSDEDUP_DATA_DIR=str(home / "newsdedup-unused"),
        # Task processes must import this checkout's pipeline, not the venv's editable install.
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def migrated_airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """airflow_env, with the metadata database (SQLite in `home`) migrated."""
    env = airflow_env(home, **extra)
    subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _require(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.fail(f"{binary} is not installed: apt-get install {package} (.ci/run does)")
    return path


@dataclass
class Postgres:
    """Debian's PostgreSQL server (the deployment's kind), run as the postgres user."""

    root: Path
    port: int = 0

    def start(self) -> None:
        initdb, pg_ctl = _require("initdb", "postgresql"), _require("pg_ctl", "postgresql")
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # the server refuses to run as root: it runs as postgres
            shutil.chown(self.root, "postgres")
        self.port = free_port()
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        initdb_args = ["-D", str(self.pgdata), "-A", "trust", "-U", "postgres", "-N"]
        subprocess.run([*as_pg, initdb, *initdb_args], check=True, capture_output=True, timeout=300)
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c max_connections=200"
        )
        log = str(self.root / "server.log")
        start = ["-D", str(self.pgdata), "-o", options, "-w", "-t", "120", "-l", log, "start"]
        subprocess.run([*as_pg, pg_ctl, *start], check=True, capture_output=True, timeout=300)

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def stop(self) -> None:
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        pg_ctl = shutil.which("pg_ctl") or "pg_ctl"
        subprocess.run([*as_pg, pg_ctl, "-D", str(self.pgdata), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120, check=False)  # fmt: skip


@dataclass
class Stack:
    kind: str  # "local" or "celery"
    root: Path
    postgres: Postgres
    workers: int = 2
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    news_db_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _token: str | None = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    site: LocalSite = field(default_factory=LocalSite)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _base_env(self, home: Path) -> dict[str, str]:
        env = airflow_env(home)
        home.mkdir(parents=True, exist_ok=True)
        (self.root / "empty-inbox").mkdir(exist_ok=True)
        (self.root / "sources.toml").write_text(_sources_toml(self.site))
        passwords = self.root / "passwords.json"
        # Owner-only, as `make airflow-passwords` leaves the project's (scripts/), and holding
        # the admin's password, so that the api-server neither generates nor prints one.
        fd = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(json.dumps({ADMIN: PASSWORD}))
        news = psycopg2.extensions.parse_dsn(self.news_db_url)
        env.update(
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor" if self.kind == "celery" else "LocalExecutor",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.base_url}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
            AIRFLOW__CORE__FERNET_KEY="",
            AIRFLOW__API_AUTH__JWT_SECRET=f"test-jwt-secret-{self.kind}",
            AIRFLOW__API__SECRET_KEY=f"test-api-secret-{self.kind}",
            AIRFLOW__API__BASE_URL=self.base_url,
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=self.postgres.url(
                f"airflow_{self.kind}", "postgresql+psycopg2"
            ),
            # Only runs this test triggers: no scheduled run may load (or wait) in between.
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            # The news DB as the deployment passes it: the Connection `news_db`.
            AIRFLOW_CONN_NEWS_DB=json.dumps(
                {
                    "conn_type": "postgres",
                    "host": news["host"],
                    "port": int(news["port"]),
                    "login": news["user"],
                    "schema": news["dbname"],
                }
            ),
            # Should anything fall back to the embedded server, it must not be the project's.
            NEWSDEDUP_DATA_DIR=str(home / "newsdedup-unused"),
            NEWSDEDUP_INBOX=str(self.root / "empty-inbox"),
            NEWSDEDUP_SOURCES=str(self.root / "sources.toml"),
            # The test site: no pause between fetches within a task (the pools are under test).
            NEWSDEDUP_FETCH_MIN_INTERVAL="0",
            # Tests write their inbox files a moment before they trigger (see tests/conftest.py).
            NEWSDEDUP_FILE_SETTLE_SECONDS="0",
            # Alerts go through apprise to the test site, as they would to a Slack webhook.
            AIRFLOW_CONN_NEWSDEDUP_ALERTS=json.dumps(
                {
                    "conn_type": "apprise",
                    "extra": {"config": {"path": "json://" + self.site.base[7:] + ALERT_PATH}},
                }
            ),
            # Task processes must import this checkout's pipeline, not the venv's editable install.
            PYTHONPATH=str(REPO),
        )
        if self.kind == "celery":
            redis_port = self.env["_REDIS_PORT"]
            env.update(
                AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
                AIRFLOW__CELERY__RESULT_BACKEND="db+"
                + self.postgres.url(f"airflow_{self.kind}", "postgresql"),
                AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
            )
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.processes[name] = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self) -> None:
        self.site.__enter__()
        serve_feeds(self.site)
        self.site.routes[ALERT_PATH] = Reply(200, b"ok")
        self.port = free_port()
        self.news_db_url = self.postgres.create_database(f"news_{self.kind}")
        self.postgres.create_database(f"airflow_{self.kind}")
        if self.kind == "celery":
            redis = _require("redis-server", "redis-server")
            self.env["_REDIS_PORT"] = str(free_port())
            self._spawn("redis", [redis, "--port", self.env["_REDIS_PORT"], "--bind",
                                  "127.0.0.1", "--save", "", "--appendonly", "no"],
                        os.environ.copy(), self.root)  # fmt: skip
        home = self.root / "home"
        env = self._base_env(home)
        self.env.update(env)
        migrate = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True,
                                 text=True, timeout=600, check=False)  # fmt: skip
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        self.import_pools(env)
        self._spawn("api-server", [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port",
                                   str(self.port), "--workers", "1"], env, home)  # fmt: skip
        self._spawn("scheduler", [AIRFLOW, "scheduler"], env, home)
        self._spawn("dag-processor", [AIRFLOW, "dag-processor"], env, home)
        if self.kind == "celery":
            for n in range(1, self.workers + 1):
                # Each worker its own AIRFLOW_HOME, data dir and working dir: nothing shared
                # with the scheduler or the other worker but PostgreSQL, Redis and the repo.
                wenv = self._base_env(self.root / f"worker{n}")
                wenv["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(free_port())
                wenv.update({k: v for k, v in env.items() if k.startswith("AIRFLOW__CELERY")})
                self._spawn(f"worker{n}", [AIRFLOW, "celery", "worker", "--concurrency", "1",
                                           "--celery-hostname", f"worker{n}@%h"],
                            wenv, self.root / f"worker{n}")  # fmt: skip
        self.wait_until_ready()

    def import_pools(self, env: dict[str, str]) -> None:
        """The sources' fetch pools, the way a deployment creates them (README, Sources)."""
        pools = self.root / "pools.json"
        newsdedup = str(Path(sys.executable).with_name("newsdedup"))
        listed = subprocess.run([newsdedup, "sources", "pools"], env=env, capture_output=True,
                                text=True, timeout=120, check=True)  # fmt: skip
        pools.write_text(listed.stdout)
        subprocess.run([AIRFLOW, "pools", "import", str(pools)], env=env, capture_output=True,
                       timeout=300, check=True)  # fmt: skip

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts the stack's apprise Connection delivered, oldest first."""
        return [json.loads(s.body) for s in self.site.hits(ALERT_PATH) if s.method == "POST"]

    def logs(self, tail: int = 3000) -> str:
        out = []
        for name in self.processes:
            text = (self.root / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name} ---\n{text[-tail:]}")
        return "\n".join(out)

    def _check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}
        if dead:
            pytest.fail(f"Airflow processes exited: {dead}\n{self.logs()}")

    def wait_until_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if self.client().get(f"/api/v2/dags/{DAG_ID}").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(2)
        pytest.fail(f"Airflow did not list {DAG_ID} within {timeout}s\n{self.logs()}")

    def token(self) -> str:
        if self._token is None:
            response = httpx.post(
                f"{self.base_url}/auth/token",
                json={"username": ADMIN, "password": PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token

    def client(self, authenticated: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token()}"} if authenticated else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    def start_run(self, conf: dict[str, Any], dag_id: str = DAG_ID) -> str:
        """Trigger a DAG over the REST API v2 (unpausing it first); the new run's id."""
        with self.client() as api:
            api.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
            response = api.post(
                f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf}
            )
            assert response.status_code == 200, response.text
            return str(response.json()["dag_run_id"])

    def wait(self, run_id: str, dag_id: str = DAG_ID, timeout: float = 600) -> dict[str, Any]:
        """The run and its task instances once it has ended."""
        with self.client() as api:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                self._check_alive()
                run = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()
                if run["state"] in ("success", "failed"):
                    tis = api.get(
                        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                        params={"limit": 100},
                    ).json()["task_instances"]
                    return {"run": run, "task_instances": tis}
                time.sleep(3)
        pytest.fail(f"run {run_id} did not finish within {timeout}s\n{self.logs()}")

    def trigger(
        self, conf: dict[str, Any], dag_id: str = DAG_ID, timeout: float = 600
    ) -> dict[str, Any]:
        """Trigger a DAG and wait for the run to end."""
        return self.wait(self.start_run(conf, dag_id), dag_id, timeout)

    def sample_run(self) -> dict[str, Any]:
        """The run over data/samples, triggered once per stack."""
        if "samples" not in self.runs:
            self.runs["samples"] = self.trigger({"inbox": str(SAMPLES)})
        return self.runs["samples"]

    def stop(self) -> None:
        self.site.__exit__()
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


_POSTGRES: list[Postgres] = []
_STACKS: dict[str, Stack] = {}


def shared(config: pytest.Config, kind: str) -> Stack:
    """The session's stack of this kind, started on first use, stopped when pytest ends."""
    if kind in _STACKS:
        return _STACKS[kind]
    if not _POSTGRES:
        # Short: PostgreSQL's Unix socket lives here and socket paths are limited to ~100 bytes.
        pg = Postgres(Path(tempfile.mkdtemp(prefix="nd-afpg-")))
        pg.start()
        _POSTGRES.append(pg)

        def stop_all() -> None:
            for stack in _STACKS.values():
                stack.stop()
            pg.stop()
            if os.environ.get("NEWSDEDUP_KEEP_TEST_STACK") is None:
                shutil.rmtree(pg.root, ignore_errors=True)
                for stack in _STACKS.values():
                    shutil.rmtree(stack.root, ignore_errors=True)

        config.add_cleanup(stop_all)
    stack = Stack(kind, Path(tempfile.mkdtemp(prefix=f"nd-af-{kind}-")), _POSTGRES[0])
    _STACKS[kind] = stack
    stack.start()
    return stack
