"""No one query, page or login of the plugin can stall the pipeline: the plugin's API on a real
api-server (tests/plugins/api_server.py) over a real PostgreSQL with the samples loaded.

- an article of megabytes of repetitive text is explained promptly, and the explanation says it
  compared only the first characters (explain.MAX_COMPARED_CHARS);
- every parameter out of range, and NUL in a text parameter, is a 4xx with a JSON error;
- a forged or broken token is 401, as the README says;
- the plugin's queries stop at a statement_timeout, and when the client goes away.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import psycopg2
import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.dedupe import explain
from tests.conftest import SAMPLES, create_database, drop_database, query
from tests.plugins.api_server import ApiServer, api_server

pytestmark = pytest.mark.slow

# The plugin's statement_timeout on this server: long enough for every honest query of these
# tests, short enough that a test can wait it out.
STATEMENT_TIMEOUT = 6
# A body far over MAX_COMPARED_CHARS, one sentence repeated: what made a comparison run for
# more than 10 minutes (each sentence has a counterpart in every other).
HUGE_BODY = (
    "Engineer Qxvortelm of the Zanzibarian Frobnitz said the dredging of Tartus begins soon. "
) * 35_000
BIG = 2**63  # one past PostgreSQL's bigint
# Generous: the bounded work takes seconds; the unbounded took more than 10 minutes.
PROMPT = 180


@pytest.fixture(scope="module")
def news_db(pg_server: str) -> Iterator[str]:
    url = create_database(pg_server)
    yield url
    drop_database(pg_server, url)


@pytest.fixture(scope="module")
def ids(news_db: str) -> dict[str, int]:
    """The samples (002 is a copy of 003), with 002 and 003 then given HUGE_BODY."""
    assert main(["ingest", "--database-url", news_db, str(SAMPLES)]) == 0
    conn = psycopg2.connect(news_db)
    try:
        rows = query(
            conn, "SELECT regexp_replace(source_uri, '^.*/(...).*$', '\\1'), id FROM articles"
        )
        found = {prefix: int(i) for prefix, i in rows}
        query(conn, "UPDATE articles SET body = %s WHERE id IN (%s, %s) RETURNING id",
              (HUGE_BODY, found["002"], found["003"]))  # fmt: skip
    finally:
        conn.close()
    return found


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, news_db: str, ids: dict[str, int]
) -> Iterator[ApiServer]:
    root = tmp_path_factory.mktemp("api")
    env = {"NEWSDEDUP_PLUGIN_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT)}
    with api_server(root, news_db, **env) as started:
        yield started


# --- row 5: explain bounds its work ----------------------------------------------------------


def _says_it_cut(exp: dict[str, Any]) -> None:
    """The explanation (as JSON) says it compared only the first characters of each text."""
    note = exp["compared_now"]["note"]
    assert f"compared only the first {explain.MAX_COMPARED_CHARS:,} characters" in note, note
    for side in ("first", "second"):
        assert exp[side]["text_chars"] > len(HUGE_BODY)
        assert f"#{exp[side]['id']} ({exp[side]['text_chars']:,})" in note, note


def test_a_huge_repetitive_article_is_explained_promptly_and_says_what_it_compared(
    server: ApiServer, ids: dict[str, int]
) -> None:
    copy, original = ids["002"], ids["003"]
    with server.client(timeout=PROMPT) as api:
        response = api.get(f"/news/api/explain/{copy}/{original}")
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["first"]["id"], data["second"]["id"]) == (copy, original)
    _says_it_cut(data)
    assert data["compared_now"]["compared_chars"] == explain.MAX_COMPARED_CHARS
    # the first characters of one text in both: still a copy, as ingest found it
    assert data["compared_now"]["level"] == "duplicate"


def test_the_article_page_and_its_json_bound_the_evidence_too(
    server: ApiServer, ids: dict[str, int]
) -> None:
    copy, original = ids["002"], ids["003"]
    with server.client(timeout=PROMPT) as api:
        detail = api.get(f"/news/api/articles/{copy}")
        page = api.get(f"/news/articles/{copy}")
    assert detail.status_code == 200, detail.text
    (evidence,) = detail.json()["evidence"]
    assert evidence["second"]["id"] == original
    _says_it_cut(evidence)
    assert page.status_code == 200, page.text
    assert f"compared only the first {explain.MAX_COMPARED_CHARS:,} characters" in page.text


# --- row 8: parameters out of range are 4xx --------------------------------------------------

OUT_OF_RANGE = [
    "/news/api/articles?page=4611686018427387904",
    f"/news/api/articles?page={BIG}",
    f"/news/api/articles?run={BIG}",
    f"/news/api/articles?run={2**200}",
    "/news/api/articles?per_page=1000000",
    "/news/api/articles?q=a%00b",
    "/news/api/articles?outlet=a%00b",
    "/news/api/articles?day=2026-01-01%00",
    "/news/api/articles?status=canonical%00",
    "/news/api/articles?day=99999-01-01",
    "/news/articles?page=4611686018427387904",
    "/news/articles?q=%00",
    f"/news/api/articles/{BIG}",
    f"/news/articles/{BIG}",
    f"/news/api/explain/{BIG}/1",
    f"/news/api/explain/1/{BIG}",
    "/news/api/overview?days=100000000000000000000",
    "/news/api/runs?limit=100000000000000000000",
]


@pytest.mark.parametrize("path", OUT_OF_RANGE)
def test_a_parameter_out_of_range_is_a_4xx_with_a_json_error(server: ApiServer, path: str) -> None:
    with server.client() as api:
        response = api.get(path, headers={"Accept": "application/json"})
    assert response.status_code in (400, 422), (response.status_code, response.text[:500])
    assert response.json()["detail"], response.text


def test_the_largest_values_in_range_still_answer(server: ApiServer, ids: dict[str, int]) -> None:
    with server.client() as api:
        run = api.get(f"/news/api/articles?run={BIG - 1}")
        assert run.status_code == 200 and run.json()["total"] == 0
        far = api.get("/news/api/articles?page=1000000")
        assert far.status_code == 200 and far.json()["articles"] == []
        assert api.get(f"/news/api/articles/{BIG - 1}").status_code == 404
        assert api.get("/news/api/articles?q=Tartus").json()["total"] >= 1


# --- row 11: a forged token is 401 -----------------------------------------------------------


def _forged(token: str) -> str:
    """The server's own token's claims, signed with a key that is not the server's."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, "not-the-servers-secret-" * 4, algorithm="HS512")


def test_a_forged_or_broken_token_is_401(server: ApiServer) -> None:
    forged = _forged(server.token)
    with server.client(authenticated=False) as anonymous:
        for token in ("not-a-jwt", forged, server.token[:-4] + "AAAA"):
            bearer = anonymous.get("/news/api/runs", headers={"Authorization": f"Bearer {token}"})
            assert bearer.status_code == 401, (token, bearer.status_code, bearer.text)
            assert bearer.headers.get("www-authenticate", "").lower().startswith("bearer")
            with server.client(authenticated=False) as browser:
                browser.cookies.set("_token", token)
                cookie = browser.get("/news/api/runs")
                assert cookie.status_code == 401, (token, cookie.status_code, cookie.text)
                # a browser with a bad cookie is sent to the login page, as one without
                page = browser.get("/news/", headers={"Accept": "text/html"})
                assert page.status_code == 307 and "/auth/login" in page.headers["location"]
    with server.client() as api:
        assert api.get("/news/api/runs").status_code == 200


# --- the plugin's queries: statement_timeout, and cancelled when the client goes away ---------


def _waiting_plugin_queries(news_db: str) -> list[str]:
    """The statements of the plugin's sessions (application_name newsdedup) waiting on a lock."""
    with psycopg2.connect(news_db) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT query FROM pg_stat_activity WHERE datname = current_database()
               AND application_name = 'newsdedup' AND wait_event_type = 'Lock'"""
        )
        rows = [str(r[0]) for r in cur.fetchall()]
    conn.close()
    return rows


def _lock_articles(news_db: str) -> store.Connection:
    """A session holding articles in ACCESS EXCLUSIVE mode until it is rolled back: every read
    of articles waits, as behind a long migration or a runaway analyst statement."""
    conn = psycopg2.connect(news_db)
    with conn.cursor() as cur:
        cur.execute("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE")
    return conn


def test_a_query_stops_at_the_plugins_statement_timeout(server: ApiServer, news_db: str) -> None:
    locker = _lock_articles(news_db)
    try:
        started = time.monotonic()
        with server.client(timeout=PROMPT) as api:
            response = api.get("/news/api/articles")
        waited = time.monotonic() - started
    finally:
        locker.rollback()
        locker.close()
    assert response.status_code == 503, response.text
    assert "statement timeout" in response.json()["detail"]
    assert waited >= STATEMENT_TIMEOUT - 1  # it did wait for the lock, up to the timeout


def test_a_query_is_cancelled_when_the_client_goes_away(server: ApiServer, news_db: str) -> None:
    locker = _lock_articles(news_db)
    try:
        with server.client(timeout=2) as api, pytest.raises(httpx.ReadTimeout):
            api.get("/news/api/articles?q=Tartus")  # waits for the lock; the client gives up
        # the database's own words for a cancel request (the timeout's are "due to statement
        # timeout"): the client's leaving stopped it
        cancelled = "/news/api/articles stopped: canceling statement due to user request"
        deadline = time.monotonic() + STATEMENT_TIMEOUT * 3
        while cancelled not in server.logs() and time.monotonic() < deadline:
            time.sleep(0.2)
        logs = server.logs()
        assert "client went away: query cancelled (/news/api/articles)" in logs, logs
        assert cancelled in logs, logs
        # nobody waits any more, while the table is still locked
        assert _waiting_plugin_queries(news_db) == []
        with locker.cursor() as cur:  # not `with locker`: that would commit, and unlock
            cur.execute("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                        "AND relation = 'articles'::regclass AND granted")  # fmt: skip
            assert cur.fetchone() == (1,)
    finally:
        locker.rollback()
        locker.close()
