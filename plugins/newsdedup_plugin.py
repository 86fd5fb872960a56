"""Airflow plugin: the "News ingest" page (Browse menu) and its API, served by the api-server.

The page and the API live in one FastAPI app mounted at /news; the UI shows the page inside
Airflow through an external view. Both need an Airflow login (see newsdedup_ops/app.py).
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin
from newsdedup_ops.app import URL_PREFIX, app


class NewsdedupOpsPlugin(AirflowPlugin):
    name = "newsdedup_ops"
    fastapi_apps: list[Any] = [  # noqa: RUF012 (AirflowPlugin declares these as class lists)
        {"app": app, "url_prefix": URL_PREFIX, "name": "News ingest monitoring"}
    ]
    external_views: list[Any] = [  # noqa: RUF012
        {
            "name": "News ingest",
            "href": f"{URL_PREFIX}/",
            "url_route": "news-ingest",
            "destination": "nav",
            "category": "browse",
        }
    ]
