"""news_source_<name>: one DAG per source of sources.toml, on that source's own `schedule`; and
news_backfill: a date range of one source, run by hand, beside the polls and never blocking them.

A source whose `enabled = false` still has its DAG, paused when Airflow first sees it (and tagged
`disabled`): unpausing it, or triggering it, is an explicit ask and runs it. Each poll DAG runs
one run at a time (two polls would fetch the same due items twice); the backfill may run beside
them. Every fetch of one host, from any of these DAGs, waits for that host's pool
(news_fetch_<host>, one slot): parallel shards of a poll and a backfill never hit a site at the
same time. `newsdedup sources pools` writes the pools for `airflow pools import`; `make run`,
docker-compose's airflow-init and the test stacks import them, and Airflow flags a DAG whose pool
is missing. A source's feed or sitemap is listed anew at every poll; a backfill loads what the
source listed (feeds, sitemaps: by publication date) or reads its archives again (WARC: by
capture date) for the days from `since` through `until`, and skips what is loaded already.

Runs go through the same steps, checks, Asset and alerts as news_ingest (dags/newsdedup_dags).
The sources file is sources.toml, or the one $NEWSDEDUP_SOURCES names; a mistake in it is this
file's import error, shown in the UI with the source and field it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from airflow.sdk import Param
from newsdedup_dags.ingest import ONE_LANE, build_ingest_dag, lanes_of, run_params

from pipeline.ingest.plan import day_window, sources_for
from pipeline.sources.config import Source, load_sources

SOURCES = load_sources()
BACKFILL_DOC = __doc__ or ""


def _one(name: str) -> Any:
    def choose(params: Mapping[str, Any]) -> list[Source]:
        return sources_for(name, None)

    return choose


def _chosen(params: Mapping[str, Any]) -> list[Source]:
    return sources_for(params["source"], None)


def _days(params: Mapping[str, Any]) -> Any:
    return day_window(params["since"], params["until"])


for source in SOURCES:
    globals()[source.dag_id] = build_ingest_dag(
        source.dag_id,
        schedule=source.schedule,
        doc_md=f"Polls source `{source.name}` ({source.kind}: {source.location}).\n\n"
        + BACKFILL_DOC,
        params=run_params(shard_size=source.shard_size),
        choose=_one(source.name),
        lanes=[replace(ONE_LANE, pool=source.fetch_pool)],
        paused=not source.enabled,
        tags=(source.kind, "source") if source.enabled else (source.kind, "source", "disabled"),
    )

if SOURCES:
    news_backfill = build_ingest_dag(
        "news_backfill",
        schedule=None,
        doc_md=BACKFILL_DOC,
        params={
            "source": Param(
                SOURCES[0].name,
                type="string",
                enum=[s.name for s in SOURCES],
                description="The source to backfill",
            ),
            "since": Param(
                type="string", format="date", description="First day (UTC) of the range"
            ),
            "until": Param(
                type="string", format="date", description="Last day (UTC) of the range, included"
            ),
            **run_params(shard_size=50),
        },
        choose=_chosen,
        lanes=lanes_of(SOURCES),
        window=_days,
        max_active_runs=4,  # backfills of different sources or ranges may run side by side
        tags=("backfill",),
    )
