"""The plugin's FastAPI app: the News ingest page and a JSON API, both behind Airflow's login.

A plugin's FastAPI app is mounted inside the api-server but is NOT protected by Airflow unless it
asks to be: every route here depends on `require_reader`, which resolves the caller with
Airflow's own `get_user` (a `Authorization: Bearer <JWT>` header, or the `_token` cookie the UI
sets at login) and then asks the auth manager whether that user may read news_ingest's runs.
A token that does not verify (forged, cut, expired) is 401 like a missing one; 403 is kept for a
user who is logged in but may not read the runs.
The numbers come from pipeline.ops (monitoring, browse, health, run_state) and the evidence of
a link from pipeline.dedupe.explain; this module holds no SQL.

No request may hold the api-server or the database for long: a parameter out of range (an id
or run past PostgreSQL's bigint, a page past MAX_PAGE, NUL in a text) is a 400 or 422 before
any query; each query stops at the plugin's statement_timeout (db.py: 503) and is cancelled
when the client goes away first; explain bounds its own work (pipeline/dedupe/explain.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Annotated, Any

import anyio
import psycopg2
from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import (
    DagAccessEntity,
    DagDetails,
)
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user, oauth2_scheme
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from newsdedup_ops import airflow_runs, db
from newsdedup_ops.article_page import render_article
from newsdedup_ops.browse_page import render_browse
from newsdedup_ops.html import document, esc
from newsdedup_ops.page import render_page
from newsdedup_ops.sources_page import render_sources
from pipeline.config import Settings
from pipeline.dedupe import explain
from pipeline.ops import browse, health, monitoring
from pipeline.store import Connection, jsonable

URL_PREFIX = "/news"
DAG_ID = "news_ingest"
MAX_EVIDENCE = 6  # linked articles compared afresh on one article page (each a comparison)
# Ids and run numbers are PostgreSQL bigints: a larger number names nothing, and the database
# refuses it as a parameter.
MAX_ID = 2**63 - 1
# Far past any real page, and its offset (page x per_page) stays well inside a bigint.
MAX_PAGE = 1_000_000_000
# How often a request whose client went away cancels its connection's running statement.
CANCEL_EVERY_SECONDS = 1.0

log = logging.getLogger(__name__)

# FastAPI's own schema and docs routes answer anyone: they are off, and served below behind
# the same login as every other route.
app = FastAPI(
    title="newsdedup: News ingest monitoring",
    description="What each news_ingest run ingested, merged and rejected (needs an Airflow login).",
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
)


async def caller(
    request: Request,
    oauth_token: Annotated[str | None, Depends(oauth2_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> BaseUser:
    """The user of Airflow's get_user (the Bearer header, else the UI's cookie). Airflow answers
    403 to a token that does not verify; here it is 401, as the README promises: the caller is
    not authenticated, and a browser is sent to the login page for it."""
    try:
        return await get_user(request, _oauth_token=oauth_token, bearer_credentials=bearer)
    except HTTPException as exc:
        if exc.status_code not in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN):
            raise
        detail = exc.detail if exc.status_code == status.HTTP_401_UNAUTHORIZED else (
            "invalid token: log in again, or get one from POST /auth/token"
        )  # fmt: skip
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
        ) from exc


def require_reader(user: Annotated[BaseUser, Depends(caller)]) -> BaseUser:
    """Anyone who may read news_ingest's runs in Airflow may read these numbers."""
    allowed = get_auth_manager().is_authorized_dag(
        method="GET", access_entity=DagAccessEntity.RUN, details=DagDetails(id=DAG_ID), user=user
    )
    if not allowed:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"no read access to {DAG_ID} runs")
    return user


async def news_db(request: Request) -> AsyncIterator[Connection]:
    """A connection for one request, whose statements are cancelled should the client go away
    before the route returns (the route runs in a worker thread; this watches meanwhile)."""
    conn = await anyio.to_thread.run_sync(db.connect)
    watcher = asyncio.get_running_loop().create_task(_cancel_when_gone(request, conn))
    try:
        yield conn
    finally:
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
        await anyio.to_thread.run_sync(conn.close)


async def _cancel_when_gone(request: Request, conn: Connection) -> None:
    # A GET's only message before the disconnect is its empty body: wait past it.
    while (await request.receive())["type"] != "http.disconnect":
        continue
    log.warning("client went away: query cancelled (%s)", request.url.path)
    while True:  # the running statement, and any the route would still start
        await anyio.to_thread.run_sync(conn.cancel)
        await asyncio.sleep(CANCEL_EVERY_SECONDS)


Reader = Annotated[BaseUser, Depends(require_reader)]
# scope "function": the connection is closed, and the watch ends, when the route returns,
# before the response is sent (whose end the watch would take for the client leaving).
NewsDb = Annotated[Connection, Depends(news_db, scope="function")]
Days = Annotated[int, Query(ge=1, le=366, description="Look back this many days")]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many rows")]


@app.exception_handler(HTTPException)
async def _login_for_the_page(request: Request, exc: HTTPException) -> Response:
    """A browser that is not logged in gets Airflow's login page; API clients get the 401."""
    wants_html = "text/html" in request.headers.get("accept", "")
    is_api = "/api/" in request.url.path
    if exc.status_code == status.HTTP_401_UNAUTHORIZED and wants_html and not is_api:
        login = get_auth_manager().get_url_login(next_url=str(request.url))
        return RedirectResponse(login, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@app.exception_handler(psycopg2.errors.QueryCanceled)
async def _query_stopped(request: Request, exc: psycopg2.errors.QueryCanceled) -> Response:
    """A statement stopped by the statement_timeout (or for a client that left, who will not
    read this): the database is busy or the question too big, not a bug."""
    log.warning("%s stopped: %s", request.url.path, _first_line(exc))
    detail = (
        f"the database stopped the query: {_first_line(exc)} (the plugin's limit is "
        f"{db.statement_timeout_seconds():g} s, {db.STATEMENT_TIMEOUT_ENV}); try again later "
        "or ask for less"
    )
    return JSONResponse({"detail": detail}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


@app.exception_handler(psycopg2.DataError)
async def _value_refused(request: Request, exc: psycopg2.DataError) -> Response:
    """A parameter the database cannot take (checked here first where known: a safety net)."""
    detail = f"the database refused a parameter: {_first_line(exc)}"
    return JSONResponse({"detail": detail}, status_code=status.HTTP_400_BAD_REQUEST)


def _rows_json(rows: list[dict[str, Any]]) -> list[Any]:
    result: list[Any] = jsonable(rows)
    return result


def _overview(conn: Connection, days: int, limit: int) -> monitoring.Overview:
    """The overview, its runs with their Airflow state, after marking failed the runs whose
    DAG run ended without closing them."""
    airflow_runs.close_abandoned(conn)
    view = monitoring.overview(conn, days=days, limit=limit)
    view.runs = airflow_runs.with_states(view.runs)
    return view


@app.get("/api/overview")
def overview(_: Reader, conn: NewsDb, days: Days = 30, limit: Limit = 20) -> dict[str, Any]:
    """Everything the page shows, as JSON (the sources' health: /api/sources)."""
    return _overview(conn, days, limit).as_json()


@app.get("/api/runs")
def runs(_: Reader, conn: NewsDb, limit: Limit = 30) -> list[Any]:
    """Per-run counts: ingested, canonical, duplicates, same story, rejected; newest first.

    `airflow_state` is the state of the DAG run that started the run (null for a command-line
    run). A run still `running` whose DAG run has finished is marked `failed` first, its
    `error` saying why: the process that would have closed it died."""
    airflow_runs.close_abandoned(conn)
    return _rows_json(airflow_runs.with_states(monitoring.recent_runs(conn, limit)))


@app.get("/api/daily")
def daily(_: Reader, conn: NewsDb, days: Days = 30) -> list[Any]:
    """Per-day counts, oldest first."""
    return _rows_json(monitoring.daily_counts(conn, days))


@app.get("/api/outlets")
def outlets(_: Reader, conn: NewsDb, days: Days = 30) -> dict[str, Any]:
    """Duplicate rate per outlet, over the whole window and per day."""
    return {
        "outlets": jsonable(monitoring.outlet_duplicate_rates(conn, days)),
        "daily": jsonable(monitoring.outlet_daily_rates(conn, days)),
    }


@app.get("/api/rejections")
def rejections(_: Reader, conn: NewsDb, limit: Limit = 20) -> list[Any]:
    """The latest rejected inputs with their reasons."""
    return _rows_json(monitoring.latest_rejections(conn, limit))


@app.get("/api/duplicate-groups")
def duplicate_groups(_: Reader, conn: NewsDb, limit: Limit = 10) -> list[Any]:
    """The canonical articles with the most duplicates."""
    return _rows_json(monitoring.largest_duplicate_groups(conn, limit))


@app.get("/api/cleaning-audit")
def cleaning_audit(_: Reader, conn: NewsDb, limit: Limit = 20) -> list[Any]:
    """The latest articles whose cleaning to check: kept as extracted, or mostly removed."""
    return _rows_json(monitoring.cleaning_audit(conn, limit))


# --- which articles, and why ------------------------------------------------------------------

Query_ = Annotated[str | None, Query(description='Full-text search: words, "a phrase", or, -word')]
Outlet = Annotated[str | None, Query(description="Only this outlet ((unknown): none named)")]
Day = Annotated[
    str | None, Query(description="Only this UTC day of publication (else of loading), ISO")
]
Status = Annotated[
    str | None,
    Query(alias="status", description="canonical, duplicate or same_story (a story of more "
          "than one canonical text)"),
]  # fmt: skip
Run = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only articles this ingest run loaded")
]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, 1 for the newest")]
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="An article's id")]
PerPage = Annotated[int, Query(ge=1, le=browse.MAX_PER_PAGE, description="Articles per page")]


def _filters(
    q: str | None, outlet: str | None, day: str | None, status_: str | None, run: int | None
) -> browse.Filters:
    """The browse filters from query parameters; an empty one (a form's) means none."""
    texts = {"q": q, "outlet": outlet, "day": day, "status": status_}
    for name, value in texts.items():
        if value and "\x00" in value:  # no PostgreSQL text can hold one
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name} must not contain NUL (%00)")
    try:
        when = dt.date.fromisoformat(day) if day else None
        return browse.Filters(q=q or None, outlet=outlet or None, day=when,
                              status=status_ or None, run=run)  # fmt: skip
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


@app.get("/api/articles")
def articles(
    _: Reader, conn: NewsDb, q: Query_ = None, outlet: Outlet = None, day: Day = None,
    status_: Status = None, run: Run = None, page: PageNo = 1, per_page: PerPage = 50,
) -> dict[str, Any]:  # fmt: skip
    """Articles, newest first, filtered and searched; `total` counts every match. With `q`,
    each article has an `excerpt` with the matches between « and »."""
    view = browse.browse(conn, _filters(q, outlet, day, status_, run), page, per_page)
    return view.as_json()


def _detail(conn: Connection, article_id: int) -> tuple[browse.ArticleDetail, list[Any], int]:
    detail = browse.article(conn, article_id)
    if detail is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no article with id {article_id}")
    related = detail.related_ids()
    settings = Settings.from_env()
    # The page's comparisons share one time limit (ingest's per item), not one each: six
    # slow pairs must not hold the request six times as long.
    deadline = time.monotonic() + settings.item_timeout
    explained = []
    for other in related[:MAX_EVIDENCE]:
        left = max(deadline - time.monotonic(), 0.001) if settings.item_timeout > 0 else 0
        explained.append(explain.explain(conn, article_id, other, settings.dedupe, left))
    return detail, explained, max(len(related) - MAX_EVIDENCE, 0)


@app.get("/api/articles/{article_id}")
def article(_: Reader, conn: NewsDb, article_id: ArticleId) -> dict[str, Any]:
    """One article: its metadata, run, cleaned body, the lines the cleaner removed (with their
    rules; `applied` false when the extracted text was kept), its canonical, copies and story,
    the stored links, and `evidence`: what `newsdedup explain` says of it and each linked
    article (at most 6; `evidence_left_out` counts the rest)."""
    detail, explained, left_out = _detail(conn, article_id)
    return {
        **detail.as_json(),
        "evidence": [exp.as_json() for exp in explained],
        "evidence_left_out": left_out,
    }


@app.get("/api/explain/{first_id}/{second_id}")
def explain_pair(
    _: Reader, conn: NewsDb, first_id: ArticleId, second_id: ArticleId
) -> dict[str, Any]:
    """`newsdedup explain FIRST SECOND` as JSON: how the database groups the two articles, the
    stored links, a fresh comparison (scores, decision, shared passages)."""
    try:
        return explain.explain(conn, first_id, second_id, Settings.from_env().dedupe).as_json()
    except explain.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@app.get("/api/sources")
def sources(_: Reader, conn: NewsDb) -> list[Any]:
    """Per source seen in source_items: `status` (`failing` while the last poll of one of its
    listings failed, else `ok`), its last run, last poll, items by status, the last error
    (the newest failed item or listing), and `hit_rate`: the share of its listings' answered
    polls that were 304 Not Modified (`polls`, `not_modified`)."""
    return _rows_json(health.source_health(conn))


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


@app.get("/", response_class=HTMLResponse)
def page(_: Reader, conn: NewsDb, request: Request, days: Days = 30) -> HTMLResponse:
    """The page the "News ingest" entry of the Airflow UI shows."""
    view = _overview(conn, days, 20)
    rows = health.source_health(conn)
    return HTMLResponse(render_page(view, days, _base(request), rows))


@app.get("/articles", response_class=HTMLResponse)
def articles_page(
    _: Reader, conn: NewsDb, request: Request, q: Query_ = None, outlet: Outlet = None,
    day: Day = None, status_: Status = None, run: Run = None, page: PageNo = 1,
    per_page: PerPage = 50,
) -> HTMLResponse:  # fmt: skip
    """The article browser."""
    view = browse.browse(conn, _filters(q, outlet, day, status_, run), page, per_page)
    return HTMLResponse(render_browse(view, browse.outlets(conn), _base(request)))


@app.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(_: Reader, conn: NewsDb, request: Request, article_id: ArticleId) -> HTMLResponse:
    """One article and the evidence of each of its links."""
    try:
        detail, explained, left_out = _detail(conn, article_id)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_404_NOT_FOUND:
            raise
        body = f"<h1>No such article</h1><p>{esc(exc.detail)}</p>"
        return HTMLResponse(document("No such article", body, _base(request)), exc.status_code)
    return HTMLResponse(render_article(detail, explained, _base(request), left_out))


@app.get("/sources", response_class=HTMLResponse)
def sources_page(_: Reader, conn: NewsDb, request: Request) -> HTMLResponse:
    """The sources' health."""
    rows = health.source_health(conn)
    return HTMLResponse(render_sources(rows, _base(request)))


@app.get("/openapi.json", include_in_schema=False)
def openapi_schema(_: Reader) -> JSONResponse:
    return JSONResponse(app.openapi())


def _schema_url(request: Request) -> str:
    return f"{_base(request)}/openapi.json"


@app.get("/docs", include_in_schema=False)
def swagger_docs(_: Reader, request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=_schema_url(request), title=f"{app.title}: API")


@app.get("/redoc", include_in_schema=False)
def redoc_docs(_: Reader, request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=_schema_url(request), title=f"{app.title}: API")
