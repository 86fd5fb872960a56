"""Scheduled ingest of the configured sources, cut into shards a scheduler can map over.

`plan` discovers what is due per source and returns JSON-able shards; `run_shard` loads one.
The ingest DAGs (dags/) are wiring around these two; they run the same without Airflow.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypedDict

from pipeline.config import Settings, ingest_workers
from pipeline.ingest import crawl
from pipeline.sources.config import Source, SourceConfigError, load_sources, select
from pipeline.store import Connection, RunCounts

log = logging.getLogger(__name__)
INBOX = "inbox"


class Shard(TypedDict):
    source: str
    keys: list[str]
    label: str  # the mapped task's name in the UI
    expected: int  # inputs the shard must account for (0 for archives: records are unknown)


def parse_when(value: str | None) -> datetime | None:
    """A since/until parameter: ISO date or date-time, UTC unless it says otherwise."""
    if not value:
        return None
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def day_window(since: str, until: str) -> tuple[datetime, datetime]:
    """A backfill's days, `since` through `until` (ISO dates, UTC, the last day included), as
    the half-open range [since 00:00, the day after until 00:00) that discovery filters on."""
    start = datetime.combine(date.fromisoformat(since), time(), tzinfo=UTC)
    end = datetime.combine(date.fromisoformat(until) + timedelta(days=1), time(), tzinfo=UTC)
    if end <= start:
        raise ValueError(f"the backfill ends ({until}) before it starts ({since})")
    return start, end


def sources_for(name: str | None, inbox: str | None, config: Path | None = None) -> list[Source]:
    """The sources a run covers: the enabled configured ones (or the one named), plus the
    `inbox` folder as an ad-hoc source when given (and not excluded by naming another one)."""
    chosen: list[Source] = []
    if name != INBOX:
        configured = load_sources(config)
        chosen = select(configured, name)
    if inbox and name in (None, "", "all", INBOX):
        chosen.append(Source(name=INBOX, kind="inbox", location=str(Path(inbox).resolve())))
    if not chosen:
        raise SourceConfigError(f"nothing to ingest for source {name!r}")
    return chosen


def _label(source: Source, keys: list[str]) -> str:
    first = keys[0].rstrip("/").rsplit("/", 1)[-1][:40] or keys[0][:40]
    more = f" (+{len(keys) - 1})" if len(keys) > 1 else ""
    return f"{source.name}: {first}{more}"


def plan(
    conn: Connection,
    sources: list[Source],
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    shard_size: int | None = None,
) -> list[Shard]:
    """Shards of due work for every source. A source whose discovery fails is logged and
    skipped: the others still run, and its items stay due for the next run."""
    shards: list[Shard] = []
    for source in sources:
        try:
            keys = crawl.discover(conn, source, settings, since=since, until=until, limit=limit)
        except Exception:
            conn.rollback()
            log.exception("source %s: discovery failed; skipped this run", source.name)
            continue
        size = shard_size or source.shard_size
        if source.kind == "warc":
            size = 1  # one archive per task: they are big, and progress is per file
        for start in range(0, len(keys), size):
            part = keys[start : start + size]
            expected = 0 if source.kind == "warc" else len(part)
            shards.append(Shard(source=source.name, keys=part, label=_label(source, part),
                                expected=expected))  # fmt: skip
    return shards


def run_shard(
    conn: Connection,
    run_id: int,
    shard: Shard | dict[str, Any],
    sources: list[Source],
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> RunCounts:
    by_name = {s.name: s for s in sources}
    source = by_name.get(shard["source"])
    if source is None:
        raise SourceConfigError(f"shard of unknown source {shard['source']!r}")
    # A DAG task is one slot of Airflow's parallelism: its text work stays in its process
    # unless NEWSDEDUP_INGEST_WORKERS asks for a pool.
    return crawl.process(
        conn, run_id, source, shard["keys"], settings, since=since, until=until,
        workers=ingest_workers(default=1),
    )  # fmt: skip
