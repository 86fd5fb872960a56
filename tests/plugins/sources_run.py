"""Ingest configured sources from a sources file, the way a run does: plan what is due per
source, load each shard, close the run (pipeline/ingest/plan.py, what the DAG's tasks call).

`newsdedup ingest` reads paths and URLs only (no sources file option yet), so the source-health
tests drive the same functions here, with the test server's quick fetch settings.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline import store
from pipeline.config import Settings
from pipeline.ingest import plan
from pipeline.store import RunCounts, database
from tests.support.http_server import LOCAL_FETCH, LocalSite, Reply

SETTINGS = Settings(fetch=replace(LOCAL_FETCH, max_backoff=0.1))


def feed_sources(path: Path, feeds: dict[str, str]) -> Path:
    """A sources file of feeds {name: URL} on the local test server."""
    path.write_text(
        "".join(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\n'
            f'outlet = "{name}"\nallow_private_addresses = true\n\n'
            for name, url in feeds.items()
        )
    )
    return path


def ingest_sources(database_url: str, sources_file: Path) -> tuple[int, RunCounts]:
    """One run over every enabled source of the file: (its ingest run id, its counts)."""
    conn = database.connect(database_url)
    try:
        store.apply_migrations(conn)
        sources = plan.sources_for(None, None, sources_file)
        run_id = store.start_run(conn, "cli")
        for shard in plan.plan(conn, sources, SETTINGS):
            plan.run_shard(conn, run_id, shard, sources, SETTINGS)
        return run_id, store.finish_run(conn, run_id)
    finally:
        conn.close()


def failing_feed(site: LocalSite, path: str = "/broken-feed.xml") -> str:
    """A feed URL on `site` that answers 500 Internal Server Error."""
    site.routes[path] = Reply(500, b"upstream error", {"Content-Type": "text/plain"})
    return site.url(path)
