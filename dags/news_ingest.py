"""news_ingest: clean, dedupe and load what is new in the inbox folder (the DAG of `make run`).

Every 15 minutes it reads the files that are new in the `inbox` folder param (default
$NEWSDEDUP_INBOX, else data/samples): .txt, .html(.gz) and .warc(.gz). The configured sources of
sources.toml have DAGs of their own (news_source_<name>, on each source's schedule) and share
news_backfill for date ranges: see dags/news_sources.py.

After the load, data-quality checks fail the run loudly when something is off: articles without
a body, a duplicate rate outside the expected band, too many rejected inputs (thresholds are the
`dq_*` params; defaults from $NEWSDEDUP_DQ_* variables). Only then, and only when the run loaded or
revised something, `publish` updates the `newsdedup_articles` Asset, with the run's counts as the
event's extra. Every failed task, failed check and failed run is an alert (a "NEWSDEDUP ALERT" log
line, sent through the apprise Connection `newsdedup_alerts` when it exists), and a Deadline alert
fires when a run has not finished $NEWSDEDUP_DEADLINE_MINUTES (default 60) after it was queued.
The README's Operations section explains each alert.

The database is the Airflow Connection `news_db` when one is defined, otherwise
$NEWSDEDUP_DATABASE_URL, otherwise the project's embedded PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from airflow.sdk import Param
from newsdedup_dags.ingest import ONE_LANE, build_ingest_dag, run_params

from pipeline import config
from pipeline.ingest.plan import INBOX, sources_for
from pipeline.sources.config import Source


def _inbox(params: Mapping[str, Any]) -> list[Source]:
    return sources_for(INBOX, params["inbox"])


news_ingest = build_ingest_dag(
    "news_ingest",
    schedule=timedelta(minutes=15),
    doc_md=__doc__ or "",
    params={
        "inbox": Param(
            config.inbox(),
            type="string",
            minLength=1,
            description="Folder (or file) to ingest; default $NEWSDEDUP_INBOX, else the samples",
        ),
        **run_params(shard_size=50),
    },
    choose=_inbox,
    lanes=[ONE_LANE],
)
