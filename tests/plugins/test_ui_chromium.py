"""The News ingest page in a real browser (Debian's headless Chromium), logged in to Airflow.

Keeps the screenshots as test artefacts in .data/artifacts/ (see the README, Operations).
"""

from __future__ import annotations

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

from tests.support.airflow_stack import REPO, Stack, shared

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / ".data" / "artifacts"
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
