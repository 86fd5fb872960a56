"""Incremental ingest of configured sources: find what is new, fetch it politely, load it.

Two steps, so a scheduler can shard the second: `discover` polls a source's listing (feed,
sitemap, archive folder, inbox) and returns the keys due now (new items and retries); `process`
fetches or reads those keys and loads them through ingest.load_batch, like the CLI does, then
records in source_items what became of each one. One bad item costs that item only.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from pipeline import store
from pipeline.config import Settings, file_settle_seconds
from pipeline.ingest.batch import ingest_items, load_batch, new_files, read_path
from pipeline.models import RawInput, Rejection
from pipeline.sources import state
from pipeline.sources.config import Source
from pipeline.sources.feeds import parse_feed
from pipeline.sources.fetch import Fetcher, FetchError, Response, canonical_url, is_xml_type
from pipeline.sources.files import Found, discover_files, is_supported
from pipeline.sources.sitemaps import sitemap_pages
from pipeline.sources.state import DONE, REJECTED, RETRY, Listed, Outcome
from pipeline.sources.warc import file_sha256, is_warc, read_records
from pipeline.store import Connection, RunCounts

log = logging.getLogger(__name__)


def poll(conn: Connection, fetcher: Fetcher, url: str) -> Response:
    """GET a listing with the validators of the last poll; remember the new ones."""
    key = canonical_url(url)
    response = fetcher.get(key, validators=state.load_validators(conn, key), accept=is_xml_type)
    state.save_validators(conn, key, response.status, response.validators)
    return response


def _list_feed(conn: Connection, fetcher: Fetcher, source: Source) -> list[Listed]:
    response = poll(conn, fetcher, source.location)
    if response.not_modified:
        return []
    return parse_feed(response.body, response.final_url, response.content_type)


def _list_sitemap(conn: Connection, fetcher: Fetcher, source: Source) -> list[Listed]:
    """Pages of the root sitemap and of the children whose turn it is (sources/sitemaps.py)."""
    return sitemap_pages(conn, source.name, source.location, partial(poll, conn, fetcher))


def fetcher_for(source: Source, settings: Settings) -> Fetcher:
    """A fetcher with the source's own opt-in to private addresses (off unless it says so)."""
    fetch = replace(settings.fetch, allow_private_addresses=source.allow_private_addresses)
    return Fetcher(fetch)


def list_new(conn: Connection, source: Source, fetcher: Fetcher) -> int:
    """Poll a feed or sitemap and remember what it lists; return how many items are new.

    A listing that cannot be read is recorded (source_items, kind 'listing') and yields nothing
    new: items listed before and still due are processed all the same.
    """
    lister = _list_feed if source.kind == "feed" else _list_sitemap
    try:
        listed = lister(conn, fetcher, source)
    except FetchError as exc:
        log.warning("source %s: listing %s failed: %s", source.name, source.location, exc)
        state.record_listing_failure(conn, source.name, source.location, exc.reason, exc.detail)
        return 0
    state.record_listing_success(conn, source.name, source.location)
    return state.remember(conn, source.name, listed)


def discover(
    conn: Connection,
    source: Source,
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[str]:
    """Keys to process now: URLs for feeds and sitemaps, file paths for inboxes and archives."""
    limit = min(limit or source.max_items, source.max_items)
    max_attempts = settings.fetch.max_attempts
    if source.kind in ("feed", "sitemap"):
        list_new(conn, source, fetcher or fetcher_for(source, settings))
        due = state.due(
            conn, source.name, max_attempts=max_attempts, since=since, until=until, limit=limit
        )
        if since or until:  # a backfill of a date range fetches what is missing, nothing more
            return due
        return due + state.due_rechecks(
            conn, source.name, window_hours=source.refetch_hours,
            every_minutes=source.refetch_every_minutes, limit=limit - len(due), exclude=due,
        )  # fmt: skip
    wanted = is_warc if source.kind == "warc" else is_supported
    found = discover_files(
        [source.location],
        wanted=wanted,
        follow_links_out=source.follow_links_out,
        settle_seconds=file_settle_seconds(),
    )
    _record_skipped(conn, source, found)
    if source.kind == "warc":
        files = found.inputs
        if since or until:  # a date-range backfill rereads the archives; loaded pages are skipped
            return [str(p) for p in files][:limit]
        listed = [Listed(str(p), content_sha256=file_sha256(p)) for p in files]
        state.remember(conn, source.name, listed, kind="file")
        return state.due(conn, source.name, max_attempts=max_attempts, limit=limit, kind="file")
    return [str(p) for p in new_files(conn, found.inputs)][:limit]


def _record_skipped(conn: Connection, source: Source, found: Found) -> None:
    """What a folder holds that is never read (links out, FIFOs, devices) is quarantined with
    its reason, and what is still being written is logged: neither vanishes unseen."""
    if found.skipped:
        with conn, conn.cursor() as cur:
            for rejection in found.skipped:
                store.record_rejection(cur, rejection, None)
    for path in found.waiting:
        log.info(
            "source %s: %s was modified just now; it waits for the next run", source.name, path
        )


def process(
    conn: Connection,
    run_id: int,
    source: Source,
    keys: Sequence[str],
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    workers: int | None = None,
) -> RunCounts:
    """Load the given keys of one source (one shard); never raises for a bad item. `workers`
    processes do the text work of files and archives (default: config.ingest_workers)."""
    if source.kind in ("feed", "sitemap"):
        fetcher = fetcher or fetcher_for(source, settings)
        return process_pages(conn, run_id, source.name, keys, settings, fetcher, source.outlet)
    if source.kind == "warc":
        return process_warcs(
            conn, run_id, source.name, keys, settings, since, until, outlet=source.outlet,
            workers=workers,
        )  # fmt: skip
    files = (read_path(Path(key), settings) for key in keys)
    return ingest_items(conn, run_id, with_outlet(files, source.outlet), settings, workers=workers)


def with_outlet(
    items: Iterable[RawInput | Rejection], outlet: str | None
) -> Iterator[RawInput | Rejection]:
    """The inputs of a configured source, carrying its outlet name (see extract._named)."""
    for item in items:
        yield replace(item, outlet=outlet) if outlet and isinstance(item, RawInput) else item


def _fetch(
    conn: Connection, fetcher: Fetcher, url: str, outlet: str | None, stored: bool
) -> tuple[RawInput | Rejection | None, bool]:
    """The page as a RawInput, or a Rejection and whether a later run may succeed; None when a
    page stored before answers 304 to the validators it gave last time."""
    validators = state.load_validators(conn, url) if stored else None
    try:
        response = fetcher.get(url, validators=validators)
    except FetchError as exc:
        return Rejection(url, exc.reason, exc.detail), exc.retryable
    if response.not_modified:
        return None, False
    if response.validators.etag or response.validators.last_modified:
        state.save_validators(conn, response.final_url, response.status, response.validators)
    digest = hashlib.sha256(response.body).hexdigest()
    page = RawInput(response.final_url, response.body, digest, response.content_type, outlet)
    return page, False


def process_pages(
    conn: Connection,
    run_id: int,
    source_name: str,
    urls: Sequence[str],
    settings: Settings,
    fetcher: Fetcher | None = None,
    outlet: str | None = None,
    on_batch: Callable[[RunCounts], None] | None = None,
) -> RunCounts:
    fetcher = fetcher or Fetcher(settings.fetch)
    total = RunCounts()
    for start in range(0, len(urls), settings.batch_size):
        batch = urls[start : start + settings.batch_size]
        counts = _process_page_batch(conn, run_id, source_name, batch, settings, fetcher, outlet)
        total.add(counts)
        if on_batch is not None:
            on_batch(counts)
    return total


def _process_page_batch(
    conn: Connection,
    run_id: int,
    source_name: str,
    urls: Sequence[str],
    settings: Settings,
    fetcher: Fetcher,
    outlet: str | None = None,
) -> RunCounts:
    with conn, conn.cursor() as cur:
        known = store.known_inputs(cur, list(urls))
    outcomes: list[Outcome] = []
    fetched: list[tuple[str, RawInput | Rejection, bool]] = []
    taken: set[str] = set()
    for url in urls:
        # A stored page (a recheck, or one reached from another listing) is asked for
        # conditionally: an unchanged page costs a 304, a changed one becomes a revision.
        item, retryable = _fetch(conn, fetcher, url, outlet, stored=url in known)
        if item is None:
            outcomes.append(Outcome(url, DONE, "not_modified"))
        elif isinstance(item, Rejection) and url in known:  # the stored version stays
            outcomes.append(Outcome(url, DONE, item.reason, item.detail))
        elif item.source_uri in taken:  # two listed URLs redirect to one page: load it once
            outcomes.append(Outcome(url, DONE, "same_page_as", item.source_uri))
        else:
            taken.add(item.source_uri)
            fetched.append((url, item, retryable))
    counts = RunCounts()
    if fetched:
        counts = load_batch(conn, run_id, [item for _, item, _ in fetched], settings)
    skipped = RunCounts(inputs_read=len(outcomes), unchanged=len(outcomes))
    if outcomes:
        with conn, conn.cursor() as cur:
            store.add_run_counts(cur, run_id, skipped)
        counts.add(skipped)
    outcomes += _outcomes(conn, fetched)
    state.record(conn, source_name, outcomes, run_id, settings.fetch.max_attempts)
    return counts


def _outcomes(
    conn: Connection, fetched: Sequence[tuple[str, RawInput | Rejection, bool]]
) -> list[Outcome]:
    """What load_batch made of each fetched item: stored, or rejected with its reason."""
    uris = [item.source_uri for _, item, _ in fetched]
    with conn, conn.cursor() as cur:
        stored = store.known_inputs(cur, uris)
        rejected = store.rejections_of(cur, uris)
    outcomes = []
    for key, item, retryable in fetched:
        if isinstance(item, Rejection):
            status = RETRY if retryable else REJECTED
            outcomes.append(Outcome(key, status, item.reason, item.detail))
        elif item.source_uri in stored:
            outcomes.append(Outcome(key, DONE))
        else:
            reason, detail = rejected.get(item.source_uri, ("not_stored", "no trace in the batch"))
            outcomes.append(Outcome(key, REJECTED, reason, detail))
    return outcomes


def process_warcs(
    conn: Connection,
    run_id: int,
    source_name: str | None,
    paths: Sequence[str],
    settings: Settings,
    since: datetime | None = None,
    until: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_batch: Callable[[RunCounts], None] | None = None,
    outlet: str | None = None,
    workers: int | None = None,
) -> RunCounts:
    """Load the pages of WARC files. on_progress gets the bytes read since the last call.

    With a source name the files' state is recorded (unless a date range limits what was read:
    the file still holds pages outside it).
    """
    total = RunCounts()
    for key in paths:
        path = Path(key)
        damage: list[Rejection] = []
        done_bytes = 0

        def advance(position: int) -> None:
            nonlocal done_bytes
            if on_progress is not None and position > done_bytes:
                on_progress(position - done_bytes)
            done_bytes = max(done_bytes, position)

        records = read_records(
            path, settings.max_input_bytes, since=since, until=until, on_progress=advance
        )
        pages = with_outlet(_watch(records, damage), outlet)
        total.add(ingest_items(conn, run_id, pages, settings, on_batch, workers))
        if source_name is None or since or until:
            continue
        outcome = Outcome(key, DONE, content_sha256=file_sha256(path))
        if damage:
            outcome = Outcome(key, REJECTED, damage[0].reason, damage[0].detail)
        state.record(conn, source_name, [outcome], run_id, settings.fetch.max_attempts)
    return total


def _watch(
    items: Iterator[RawInput | Rejection], damage: list[Rejection]
) -> Iterator[RawInput | Rejection]:
    """Note damage to the file itself; a damaged record (file#offset=...) costs that record."""
    for item in items:
        if isinstance(item, Rejection) and item.reason == "bad_warc" and "#" not in item.source_uri:
            damage.append(item)
        yield item
