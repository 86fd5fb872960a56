"""Backfills from WARC archives with a progress bar (rich), for `newsdedup ingest x.warc.gz`.

The bar counts compressed bytes read, the only size known up front for a multi-GB CC-NEWS file;
the description keeps a running tally so a long backfill shows what it is achieving.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from pipeline.config import Settings
from pipeline.ingest.crawl import process_warcs
from pipeline.ingest.progress import tally
from pipeline.store import Connection, RunCounts


def ingest_warcs(
    conn: Connection,
    run_id: int,
    paths: Sequence[Path],
    settings: Settings,
    console: Console,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    source_name: str | None = None,
) -> RunCounts:
    total = RunCounts()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[tally]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        for path in paths:
            task = progress.add_task(path.name, total=path.stat().st_size, tally="")

            def on_batch(counts: RunCounts, task_id: TaskID = task) -> None:
                total.add(counts)
                progress.update(task_id, tally=tally(total))

            def on_progress(advance: int, task_id: TaskID = task) -> None:
                progress.advance(task_id, advance)

            process_warcs(
                conn, run_id, source_name, [str(path)], settings, since, until,
                on_progress=on_progress, on_batch=on_batch,
            )  # fmt: skip
    return total
