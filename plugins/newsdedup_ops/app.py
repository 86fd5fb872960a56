"""The plugin's FastAPI app: the News ingest page and a JSON API, both behind Airflow's login.

A plugin's FastAPI app is mounted inside the api-server but is NOT protected by Airflow unless it
asks to be: every route here depends on `require_reader`, which resolves the caller with
Airflow's own `get_user` (a `Authorization: Bearer <JWT>` header, or the `_token` cookie the UI
sets at login) and then asks the auth manager whether that user may read news_ingest's runs.
The numbers come from pipeline.ops.monitoring; this module holds no SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import (
    DagAccessEntity,
    DagDetails,
)
from airflow.api_fastapi.core_api.security import get_user
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from newsdedup_ops import db
from newsdedup_ops.page import render_page
from pipeline.ops import monitoring
from pipeline.store import Connection

URL_PREFIX = "/news"
DAG_ID = "news_ingest"

# FastAPI's own schema and docs routes answer anyone: they are off, and served below behind
# the same login as every other route.
app = FastAPI(
    title="newsdedup: News ingest monitoring",
    description="What each news_ingest run ingested, merged and rejected (needs an Airflow login).",
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
)


def require_reader(user: Annotated[BaseUser, Depends(get_user)]) -> BaseUser:
    """Anyone who may read news_ingest's runs in Airflow may read these numbers."""
    allowed = get_auth_manager().is_authorized_dag(
        method="GET", access_entity=DagAccessEntity.RUN, details=DagDetails(id=DAG_ID), user=user
    )
    if not allowed:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"no read access to {DAG_ID} runs")
    return user


def news_db() -> Iterator[Connection]:
    conn = db.connect()
    try:
        yield conn
    finally:
        conn.close()


Reader = Annotated[BaseUser, Depends(require_reader)]
NewsDb = Annotated[Connection, Depends(news_db)]
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


def _rows_json(rows: list[dict[str, Any]]) -> list[Any]:
    result: list[Any] = monitoring.jsonable(rows)
    return result


@app.get("/api/overview")
def overview(_: Reader, conn: NewsDb, days: Days = 30, limit: Limit = 20) -> dict[str, Any]:
    """Everything the page shows, as JSON."""
    return monitoring.overview(conn, days=days, limit=limit).as_json()


@app.get("/api/runs")
def runs(_: Reader, conn: NewsDb, limit: Limit = 30) -> list[Any]:
    """Per-run counts: ingested, canonical, duplicates, same story, rejected; newest first."""
    return _rows_json(monitoring.recent_runs(conn, limit))


@app.get("/api/daily")
def daily(_: Reader, conn: NewsDb, days: Days = 30) -> list[Any]:
    """Per-day counts, oldest first."""
    return _rows_json(monitoring.daily_counts(conn, days))


@app.get("/api/outlets")
def outlets(_: Reader, conn: NewsDb, days: Days = 30) -> dict[str, Any]:
    """Duplicate rate per outlet, over the whole window and per day."""
    return {
        "outlets": monitoring.jsonable(monitoring.outlet_duplicate_rates(conn, days)),
        "daily": monitoring.jsonable(monitoring.outlet_daily_rates(conn, days)),
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


@app.get("/", response_class=HTMLResponse)
def page(_: Reader, conn: NewsDb, days: Days = 30) -> HTMLResponse:
    """The page the "News ingest" entry of the Airflow UI shows."""
    return HTMLResponse(render_page(monitoring.overview(conn, days=days, limit=20), days))


@app.get("/openapi.json", include_in_schema=False)
def openapi_schema(_: Reader) -> JSONResponse:
    return JSONResponse(app.openapi())


def _schema_url(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}/openapi.json"


@app.get("/docs", include_in_schema=False)
def swagger_docs(_: Reader, request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=_schema_url(request), title=f"{app.title}: API")


@app.get("/redoc", include_in_schema=False)
def redoc_docs(_: Reader, request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=_schema_url(request), title=f"{app.title}: API")
