"""The whole pipeline for a list of inputs: read, extract and clean, fingerprint, dedupe, store.

The CLI runs it over every file at once; the Airflow DAG runs it once per mapped shard. Either
way each batch is one transaction, taken under the dedupe lock only for the decisions and
inserts, so the expensive text work of several workers runs in parallel.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TypeVar

from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe.place import (
    Prepared,
    decide_batch,
    index_for_search,
    still_current,
    unindex_for_search,
    write_batch,
)
from pipeline.dedupe.revise import revise_batch
from pipeline.extract.core import Extracted
from pipeline.ingest import text_work
from pipeline.ingest.memory import release_free_memory
from pipeline.ingest.text_work import CleanJob, extract_one, prepare_one, submit_all
from pipeline.models import InputError, RawInput, Rejection
from pipeline.sources.files import read_file, source_uri_for
from pipeline.store import Connection, Cursor, RunCounts

log = logging.getLogger(__name__)

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
T = TypeVar("T")


def read_path(path: Path, settings: Settings) -> RawInput | Rejection:
    try:
        return read_file(path, settings.max_input_bytes)
    except InputError as exc:
        return Rejection(source_uri_for(path), exc.reason, exc.detail, exc.raw_sha256)
    except OSError as exc:
        return Rejection(source_uri_for(path), "unreadable", str(exc))


def load_batch(
    conn: Connection,
    run_id: int,
    items: Sequence[RawInput | Rejection],
    settings: Settings,
    pool: Executor | None = None,
) -> RunCounts:
    """Clean, fingerprint, dedupe and store one batch in one transaction; the text work runs in
    `pool` when one is given."""
    started = _clean_batch(conn, _extract_batch(conn, items, settings, pool), settings)
    return _finish_batch(conn, run_id, _recheck_batch(conn, started, settings), settings)


@dataclass
class _Extracting:
    """A batch whose extraction is under way (in the pool) or not begun (no pool)."""

    counts: RunCounts
    rejections: list[Rejection]
    results: Callable[[], list[Extracted | Rejection]]  # waits for the extraction
    pool: Executor | None


@dataclass
class _Started:
    """A batch whose text work is under way (in the pool) or not begun (no pool)."""

    counts: RunCounts
    rejections: list[Rejection]
    extracted: list[Extracted]
    boilerplate: dict[str, frozenset[str]]  # what the text work was given
    results: Callable[[], list[Prepared | Rejection]]  # waits for the text work
    pool: Executor | None


def _extract_batch(
    conn: Connection,
    items: Sequence[RawInput | Rejection],
    settings: Settings,
    pool: Executor | None,
) -> _Extracting:
    counts = RunCounts(inputs_read=len(items))
    with conn, conn.cursor() as cur:
        known = store.known_inputs(cur, [item.source_uri for item in items])
    rejections: list[Rejection] = []
    todo: list[tuple[RawInput, float]] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        if isinstance(item, Rejection):
            rejections.append(item)
        elif (
            known.get(item.source_uri) == item.raw_sha256
            or (item.source_uri, item.raw_sha256) in seen
        ):
            counts.unchanged += 1  # stored already, or a second name of one input
        else:  # new, or other bytes at a stored URI: a revision once it is cleaned
            seen.add((item.source_uri, item.raw_sha256))
            todo.append((item, settings.item_timeout))
    return _Extracting(counts, rejections, submit_all(pool, extract_one, todo), pool)


def _clean_batch(conn: Connection, extracting: _Extracting, settings: Settings) -> _Started:
    extracted: list[Extracted] = []
    rejections = extracting.rejections
    for result in extracting.results():
        if isinstance(result, Rejection):
            rejections.append(result)
        else:
            extracted.append(result)
    with conn, conn.cursor() as cur:
        boilerplate = store.site_boilerplate(
            cur, {e.site for e in extracted}, settings.site_boilerplate_min_articles
        )
    jobs = [(page, boilerplate.get(page.site, frozenset()), settings) for page in extracted]
    cleaning = submit_all(extracting.pool, prepare_one, jobs)
    return _Started(
        extracting.counts, rejections, extracted, boilerplate, cleaning, extracting.pool
    )


def _recheck_batch(conn: Connection, started: _Started, settings: Settings) -> _Started:
    """The batch with its articles whose site has learned a line since they were cleaned sent
    to be cleaned again (_finish_batch waits for them).

    A pipelined ingest cleans a batch before the previous ones commit: what they stored is
    looked at again, so that the outcome is the one of loading the batches in turn. Asked for
    before the next batches' work is queued, so the pool does these few first."""
    results = started.results()
    with conn, conn.cursor() as cur:
        boilerplate = store.site_boilerplate(
            cur, {page.site for page in started.extracted}, settings.site_boilerplate_min_articles
        )
    again: dict[int, CleanJob] = {}  # the articles to clean again: their site learned a line
    for i, (page, prepared) in enumerate(zip(started.extracted, results, strict=True)):
        site_lines = boilerplate.get(page.site, frozenset())
        changed = site_lines ^ started.boilerplate.get(page.site, frozenset())
        if _boilerplate_changes(prepared, changed):
            again[i] = (page, site_lines, settings)
    cleaning_again = submit_all(started.pool, prepare_one, list(again.values()))

    def merged() -> list[Prepared | Rejection]:
        for i, cleaned in zip(again, cleaning_again(), strict=True):
            results[i] = cleaned
        return results

    return dataclasses.replace(started, boilerplate=boilerplate, results=merged)


def _finish_batch(
    conn: Connection, run_id: int, started: _Started, settings: Settings
) -> RunCounts:
    counts, rejections = started.counts, started.rejections
    results = started.results()
    fresh: list[Prepared] = []
    for prepared in results:
        if isinstance(prepared, Rejection):
            rejections.append(prepared)
        else:
            fresh.append(prepared)
    return _store(conn, run_id, _placement_order(fresh), rejections, settings, counts)


def _placement_order(fresh: list[Prepared]) -> list[Prepared]:
    """Earliest publication first, so that when a batch brings an original and its copies
    together the original becomes canonical (source_uri breaks ties deterministically). The
    versions of one URI stay together in the order they arrived, which decides the first and
    the order of its revisions (whatever dates each version shows)."""
    first: dict[str, tuple[datetime, str]] = {}
    for p in fresh:
        uri = p.article.source_uri
        first.setdefault(uri, (p.article.metadata.published_at or _FAR_FUTURE, uri))
    order = sorted(range(len(fresh)), key=lambda i: (first[fresh[i].article.source_uri], i))
    return [fresh[i] for i in order]


def _store(
    conn: Connection,
    run_id: int,
    fresh: Sequence[Prepared],
    rejections: Sequence[Rejection],
    settings: Settings,
    before: RunCounts,
) -> RunCounts:
    """Place and store a batch's articles and record its rejections: decided in one
    transaction without the dedupe lock, written in one under it; the run's counts gain
    `before` (what the batch counted so far) and what this adds.

    An article the database refuses (store.is_row_refused) must cost that article only: the
    batch is stored again in halves until the refused one is alone, and it is quarantined with
    the database's reason. The other halves commit as they succeed, in order, so the outcome
    is that of loading the batch without it.
    """
    counts = dataclasses.replace(before)
    try:
        # Decided first without the lock, so that other processes place their batches while
        # this one finds and verifies candidates; decided again under it only when one did.
        with conn, conn.cursor() as cur:
            decided = decide_batch(cur, _new_and_revised(cur, fresh, RunCounts())[0], settings)
        with conn, conn.cursor() as cur:
            index_for_search(cur, decided)  # the search documents too (sql/017)
            store.lock_for_dedupe(cur)
            # Known now, under the lock: another worker may have stored some of these meanwhile.
            new, revisions = _new_and_revised(cur, fresh, counts)
            if not still_current(cur, decided, new):
                unindex_for_search(cur, decided)
                decided = decide_batch(cur, new, settings)
                index_for_search(cur, decided)
            write_batch(cur, run_id, decided, counts)
            revise_batch(cur, run_id, revisions, settings, counts)
            for rejection in rejections:
                store.record_rejection(cur, rejection, run_id)
            counts.rejected += len(rejections)
            store.add_run_counts(cur, run_id, counts)
        return counts
    except Exception as exc:
        if not store.is_row_refused(exc) or not fresh:
            raise  # rejections are valid text by construction (store.record_rejection)
        if len(fresh) > 1:
            half = len(fresh) // 2
            counts = _store(conn, run_id, fresh[:half], [], settings, RunCounts())
            counts.add(_store(conn, run_id, fresh[half:], rejections, settings, before))
            return counts
        article = fresh[0].article
        log.warning("the database refused %s: %s", article.source_uri, exc)
        detail = "".join(traceback.format_exception_only(exc)).strip()
        refused = Rejection(article.source_uri, "store_refused", detail, article.raw_sha256)
        return _store(conn, run_id, [], [*rejections, refused], settings, before)


def _new_and_revised(
    cur: Cursor, fresh: Sequence[Prepared], counts: RunCounts
) -> tuple[list[Prepared], list[Prepared]]:
    """The articles to place as new, and those that are a later version of a stored one (or of
    one placed in this batch): other bytes at a known URI."""
    stored = store.known_inputs(cur, [p.article.source_uri for p in fresh])
    new: list[Prepared] = []
    revised: list[Prepared] = []
    placed: set[str] = set()
    for prepared in fresh:
        uri = prepared.article.source_uri
        if stored.get(uri) == prepared.article.raw_sha256:
            counts.unchanged += 1
        elif uri in stored or uri in placed:
            revised.append(prepared)
        else:
            placed.add(uri)
            new.append(prepared)
    return new, revised


def _boilerplate_changes(prepared: Prepared | Rejection, changed_lines: Collection[str]) -> bool:
    """Whether cleaning again with the site's lines now known would change `prepared`: only a
    line the article carries can (clean_paragraphs drops exactly the known lines among them)."""
    if not changed_lines:
        return False
    if isinstance(prepared, Rejection):
        return True  # its lines are unknown: it may have been rejected for what was left
    return any(key in changed_lines for key in prepared.article.site_lines)


def ingest_files(
    conn: Connection,
    run_id: int,
    files: Sequence[Path | Rejection],
    settings: Settings,
    on_batch: Callable[[RunCounts], None] | None = None,
    workers: int | None = None,
) -> RunCounts:
    """Load files in batches of settings.batch_size; return the counts of this call. A
    Rejection among them (a file discovery skipped) is recorded with the rest.

    `workers` processes do the text work (default: config.ingest_workers)."""
    inputs = (read_path(f, settings) if isinstance(f, Path) else f for f in files)
    return ingest_items(conn, run_id, inputs, settings, on_batch, workers)


def new_files(conn: Connection, files: Sequence[Path]) -> list[Path]:
    """The files not stored yet, or modified since their article was stored (a rewrite, a
    half-written file completed): a cheap pre-filter for schedulers, which reads no file.

    Modification times decide, not hashes, so that an inbox's old files are not read again at
    every poll; load_batch then compares the bytes, and stores a revision only if the text
    changed. A file rewritten with an older time kept (`cp -p`) is not seen: name it to
    `newsdedup ingest` to load it."""
    uris = [source_uri_for(p) for p in files]
    with conn, conn.cursor() as cur:
        stored = store.stored_at(cur, uris)
    return [
        path
        for path, uri in zip(files, uris, strict=True)
        if uri not in stored or path.stat().st_mtime > stored[uri].timestamp()
    ]


def ingest_items(
    conn: Connection,
    run_id: int,
    items: Iterable[RawInput | Rejection],
    settings: Settings,
    on_batch: Callable[[RunCounts], None] | None = None,
    workers: int | None = None,
) -> RunCounts:
    """Like ingest_files for any stream of inputs (WARC records, fetched pages), batch by batch.

    The stream is consumed lazily, so an archive of any size needs two batches in memory.
    """
    return _pipelined(
        conn, run_id, _chunks(items, settings.batch_size), settings, on_batch, workers
    )


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pipelined(
    conn: Connection,
    run_id: int,
    batches: Iterable[Sequence[RawInput | Rejection]],
    settings: Settings,
    on_batch: Callable[[RunCounts], None] | None,
    workers: int | None,
) -> RunCounts:
    """Load batch after batch; with a pool, the text work of the next two batches runs in the
    workers while this process places the current one (and _recheck_batch keeps the outcome
    the same as loading them strictly in turn).

    Two, not one: extraction is a step of its own (the sites' known lines are read between it
    and cleaning). And the articles to clean again are queued before the next batches' work:
    behind it, this process waited for a whole batch's cleaning and then placed while the
    workers sat idle (BENCHMARKS.md, issue 21)."""
    total = RunCounts()
    with text_work.text_pool(workers) as pool, rare_full_collections():
        extracting: _Extracting | None = None
        cleaning: _Started | None = None
        for batch in chain(batches, (None, None)):  # two steps more carry the last two through
            # The pool's queue holds work while this process waits or places: batch k is
            # extracted and k-1 cleaned while k-2 is placed, after the few articles of k-2 to
            # clean again, which are queued first.
            checked = _recheck_batch(conn, cleaning, settings) if cleaning else None
            begun = _extract_batch(conn, batch, settings, pool) if batch is not None else None
            started = _clean_batch(conn, extracting, settings) if extracting else None
            if checked is not None:
                _report(_finish_batch(conn, run_id, checked, settings), total, on_batch)
                release_free_memory()
            extracting, cleaning = begun, started
    return total


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Fewer garbage-collector passes while batches are placed in this process.

    The verification-doc cache holds many container objects (sentence word sets, tuples) that
    live for hundreds of articles, so with CPython's default thresholds (700, 10, 10) full
    collections, each walking the whole cache, took a large share of the placing process's CPU
    (BENCHMARKS.md, "Figures behind the code"). Placement's objects are freed by reference
    counting (no cycles), so collecting less often keeps no more memory; young cycles are still
    collected every 10,000 allocations."""
    before = gc.get_threshold()
    gc.set_threshold(10_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _report(
    counts: RunCounts, total: RunCounts, on_batch: Callable[[RunCounts], None] | None
) -> None:
    total.add(counts)
    if on_batch is not None:
        on_batch(counts)
