"""The News ingest pages in a real browser (Debian's headless Chromium), logged in to Airflow.

Keeps the screenshots as test artefacts in .data/artifacts/ (see the README, Operations); with
NEWSDEDUP_UPDATE_SCREENSHOTS=1 the article page's and the sources' health's also replace the
README's in docs/screenshots/ (a test run does not otherwise touch tracked files).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.plugins.sources_run import failing_feed, feed_sources, ingest_sources
from tests.support.airflow_stack import DAG_ID, REPO, Stack, shared
from tests.support.http_server import LocalSite, article_html, rss, static

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / ".data" / "artifacts"
DOCS = REPO / "docs" / "screenshots"
# The flags that work headless on these machines (see the shared Airflow notes): without a
# virtual time budget the shot hangs or comes out blank.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=15000", "--window-size=1400,2200", "--hide-scrollbars",
]  # fmt: skip


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> Stack:
    stack = shared(request.config, "local")
    assert stack.sample_run()["run"]["state"] == "success", stack.logs()
    return stack


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: apt-get install chromium (.ci/run does)")
    return path


@pytest.fixture(scope="module")
def login_url(stack: Stack) -> Iterator[str]:
    """A page on another port of 127.0.0.1 that logs the browser in the way Airflow's login page
    does (the `_token` cookie; cookies are per host, not per port), then opens the target."""
    token = stack.token()

    class Login(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = stack.base_url + self.path
            body = (
                f"<script>document.cookie = '_token={token}; path=/';"
                f"location.replace({target!r});</script>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Login)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _chromium(chromium: str, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="nd-chromium-")
    try:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _totals(stack: Stack) -> dict[str, int]:
    with psycopg2.connect(stack.news_db_url) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT count(*), count(*) FILTER (WHERE canonical_id = id),
                      count(*) FILTER (WHERE canonical_id <> id), count(DISTINCT story_id),
                      (SELECT count(*) FROM ingest_runs) FROM articles"""
        )
        row = cur.fetchone()
    conn.close()
    assert row is not None
    return dict(zip(["articles", "canonical", "duplicates", "stories", "runs"], row, strict=True))


def test_the_page_renders_the_numbers_and_charts(
    stack: Stack, chromium: str, login_url: str
) -> None:
    dom = _chromium(chromium, "--dump-dom", f"{login_url}/news/").stdout
    assert "<h1>News ingest</h1>" in dom, dom[:2000]
    for metric, value in _totals(stack).items():
        assert re.search(rf'data-metric="{metric}">{value}<', dom), (metric, value)
    for chart in ("runs", "daily", "outlets", "outlet_daily"):
        svg = re.search(rf'<svg class="chart" data-chart="{chart}".*?</svg>', dom, re.S)
        assert svg, f"chart {chart} missing"
        assert "<rect" in svg.group(0) or "<circle" in svg.group(0), f"chart {chart} is empty"
    assert 'data-table="duplicate_groups"' in dom


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_screenshots_of_the_page_and_of_it_inside_the_airflow_ui(
    stack: Stack, chromium: str, login_url: str
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / "news-ingest-page.png"
    page.unlink(missing_ok=True)
    _chromium(chromium, f"--screenshot={page}", f"{login_url}/news/")
    assert _png_size(page) == (1400, 2200)
    # A blank or error page compresses to a few KB; charts, tables and text do not.
    assert page.stat().st_size > 40_000, page.stat().st_size
    in_ui = ARTIFACTS / "news-ingest-in-airflow-ui.png"
    in_ui.unlink(missing_ok=True)
    _chromium(chromium, f"--screenshot={in_ui}", f"{login_url}/plugin/news-ingest")
    assert _png_size(in_ui) == (1400, 2200)


def _news(stack: Stack, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(stack.news_db_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def _screenshot(chromium: str, url: str, name: str, *, docs: bool) -> Path:
    """A 1400x2200 screenshot into .data/artifacts/ (and docs/screenshots/ for the README)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    shot.unlink(missing_ok=True)
    _chromium(chromium, f"--screenshot={shot}", url)
    assert _png_size(shot) == (1400, 2200)
    assert shot.stat().st_size > 40_000, shot.stat().st_size  # not a blank or error page
    if docs and os.environ.get("NEWSDEDUP_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS / name)
    return shot


def test_the_article_page_of_a_duplicate_shows_its_canonical_and_the_shared_passages(
    stack: Stack, chromium: str, login_url: str
) -> None:
    copy, canonical, title = _news(
        stack,
        """SELECT d.id, c.id, c.title FROM articles d JOIN articles c ON c.id = d.canonical_id
           WHERE d.canonical_id <> d.id ORDER BY d.id LIMIT 1""",
    )[0]
    dom = _chromium(chromium, "--dump-dom", f"{login_url}/news/articles/{copy}").stdout
    link = re.search(rf'<a href="(/news/articles/{canonical})" data-canonical-link="{canonical}">'
                     r"(.*?)</a>", dom)  # fmt: skip
    assert link, dom[:3000]
    assert link.group(2) == html.escape(title, quote=False)
    pair = re.search(
        rf'<div class="pair" data-pair="{copy}-{canonical}">(.*?)</details>', dom, re.S
    )
    assert pair, "no side-by-side texts of the duplicate and its canonical"
    this, other = pair.group(1).split('data-side="other"')
    marked_here = set(re.findall(r'<mark data-shared-passage="(\d+)"', this))
    marked_there = set(re.findall(r'<mark data-shared-passage="(\d+)"', other))
    assert marked_here and marked_there, "the shared passages are not marked in both texts"
    assert marked_here & marked_there  # one passage, marked on both sides
    assert 'data-table="removals"' in dom and 'data-table="scores"' in dom
    assert "Compared now:" in dom

    with stack.client() as api:
        detail = api.get(f"/news/api/articles/{copy}").json()
        found = api.get("/news/api/articles", params={"status": "duplicate"}).json()
    assert detail["canonical"]["id"] == canonical
    assert detail["evidence"][0]["grouped_as"].startswith("duplicates")
    assert detail["evidence"][0]["shared_passages"]
    assert copy in [a["id"] for a in found["articles"]]
    assert all(a["role"] == "duplicate" for a in found["articles"])
    with stack.client(authenticated=False) as anonymous:
        for route in (f"/news/api/articles/{copy}", "/news/api/articles", "/news/api/sources"):
            assert anonymous.get(route).status_code == 401, route
        page = anonymous.get(f"/news/articles/{copy}", headers={"Accept": "text/html"})
        assert page.status_code == 307 and "/auth/login" in page.headers["location"]

    _screenshot(chromium, f"{login_url}/news/articles/{copy}", "ops-article-page.png", docs=True)
    browse = _chromium(chromium, "--dump-dom", f"{login_url}/news/articles?q=Tartus").stdout
    assert f'data-article="{copy}"' in browse and f'data-article="{canonical}"' in browse
    assert "<mark data-search-hit" in browse


def test_the_source_health_table_shows_a_failing_feed(
    stack: Stack, chromium: str, login_url: str, site: LocalSite, tmp_path: Path
) -> None:
    # A feed that is down, and one that was down once and then answered 200, then 304.
    recovered = failing_feed(site, "/recovered-feed.xml")
    sources = feed_sources(
        tmp_path / "sources.toml", {"ui-dead-feed": failing_feed(site), "ui-back-feed": recovered}
    )
    ingest_sources(stack.news_db_url, sources)
    for i in range(2):
        site.routes[f"/back/a{i}"] = static(article_html(820 + i), "text/html")
    site.routes["/recovered-feed.xml"] = static(
        rss(site.base, [(f"b{i}", f"/back/a{i}") for i in range(2)]), "application/rss+xml"
    )
    ingest_sources(stack.news_db_url, sources)
    ingest_sources(stack.news_db_url, sources)  # 304: nothing new

    dom = _chromium(chromium, "--dump-dom", f"{login_url}/news/").stdout
    rows = dict(re.findall(r'<tr data-source="(ui-[a-z-]+)" data-source-status="\w+">(.*?)</tr>',
                           dom))  # fmt: skip
    assert set(rows) == {"ui-dead-feed", "ui-back-feed"}, "not in the source-health table"
    dead, back = rows["ui-dead-feed"], rows["ui-back-feed"]
    assert 'data-source-status="failing"' in dead and 'data-error-reason="http_500"' in dead
    assert 'data-source-status="ok"' in back and "50.0%" in back
    assert '<tr data-source="ui-dead-feed" data-source-status="failing">' in dom
    with stack.client() as api:
        health = {s["source"]: s for s in api.get("/news/api/sources").json()}
    assert health["ui-dead-feed"]["status"] == "failing"
    assert health["ui-dead-feed"]["last_error_reason"] == "http_500"
    assert health["ui-back-feed"]["status"] == "ok"
    assert health["ui-back-feed"]["items"]["done"] == 2
    assert (health["ui-back-feed"]["polls"], health["ui-back-feed"]["not_modified"]) == (2, 1)
    _screenshot(chromium, f"{login_url}/news/sources", "ops-source-health.png", docs=True)


def test_the_runs_table_shows_airflow_states_and_closes_runs_whose_process_died(
    stack: Stack, chromium: str, login_url: str
) -> None:
    dag_run = stack.sample_run()["run"]["dag_run_id"]
    # An ingest run its DAG run left 'running': what a worker killed mid-run leaves behind.
    (orphan,) = _news(
        stack,
        "INSERT INTO ingest_runs (triggered_by) VALUES (%s) RETURNING id",
        (f"airflow:{DAG_ID}/{dag_run}",),
    )[0]
    with stack.client() as api:
        runs = {r["run_id"]: r for r in api.get("/news/api/runs").json()}
    assert runs[orphan]["status"] == "failed"
    assert runs[orphan]["airflow_state"] == "success"
    assert "abandoned" in runs[orphan]["error"] and dag_run in runs[orphan]["error"]
    (status, error) = _news(stack, "SELECT status, error FROM ingest_runs WHERE id = %s",
                            (orphan,))[0]  # fmt: skip
    assert (status, error) == ("failed", runs[orphan]["error"])
    sampled = [r for r in runs.values() if r["triggered_by"] == f"airflow:{DAG_ID}/{dag_run}"]
    assert {r["airflow_state"] for r in sampled} == {"success"}
    dom = _chromium(chromium, "--dump-dom", f"{login_url}/news/").stdout
    row = re.search(rf'data-run-link="{orphan}">{orphan}</a>.*?</tr>', dom, re.S)
    assert row and 'data-run-status="failed"' in row.group(0)
    assert 'data-airflow-state="success"' in row.group(0)
