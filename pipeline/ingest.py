"""The whole pipeline for a list of inputs: read, extract and clean, fingerprint, dedupe, store.

The CLI runs it over every file at once; the Airflow DAG runs it once per mapped shard. Either
way each batch is one transaction, taken under the dedupe lock only for the decisions and
inserts, so the expensive text work of several workers runs in parallel.
"""

from __future__ import annotations

import logging
import traceback
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe import Candidate, Doc, place, prepare
from pipeline.extract import Extracted, build_article, extract
from pipeline.fingerprint import Fingerprint, fingerprint
from pipeline.models import Article, InputError, RawInput, Rejection
from pipeline.sources import read_file, source_uri_for
from pipeline.store import Connection, RunCounts
from pipeline.timelimit import ItemTimeout, time_limit

log = logging.getLogger(__name__)

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
T = TypeVar("T")


@dataclass
class _Prepared:
    article: Article
    fingerprints: list[Fingerprint]
    doc: Doc  # what dedupe verification compares


def _guarded(source: RawInput, step: Callable[[], T], seconds: float) -> T | Rejection:
    """Run one item's text work within `seconds`. Never raises: a failure or an item that takes
    too long becomes a rejection with its reason."""
    try:
        with time_limit(seconds):
            return step()
    except ItemTimeout as exc:
        return Rejection(source.source_uri, "timeout", str(exc), source.raw_sha256)
    except InputError as exc:
        return Rejection(source.source_uri, exc.reason, exc.detail, source.raw_sha256)
    except Exception as exc:  # a bug must cost one input, not the batch
        log.exception("unexpected failure on %s", source.source_uri)
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return Rejection(source.source_uri, "internal_error", detail, source.raw_sha256)


_WARM_TEXT = (
    "Warm-up article. The council approved the budget for the new bridge on Monday, officials "
    "said, after months of debate about the cost of the project and its effect on traffic.\n"
    # A word no dictionary knows makes fingerprinting load every language's word frequencies.
    "Engineer Qxvortelm said the work begins in spring.\n"
) * 3
_warm = False


def _warm_up(settings: Settings) -> None:
    """Run the text work once, unlimited, before the first item of this process: the libraries
    load their models lazily (seconds on a busy machine), which must not count against the
    time limit of whichever real input happens to come first."""
    global _warm
    if _warm:
        return
    _warm = True
    raw = RawInput("warm-up:", _WARM_TEXT.encode(), "", "text/plain")
    article = build_article(extract(raw))
    fingerprint(article.body, settings.fingerprint)
    prepare(article.body, article.metadata.published_at)
    extract(RawInput("warm-up:", f"<html><body><p>{_WARM_TEXT}</p></body></html>".encode(), ""))


def prepare_article(
    extracted: Extracted, site_boilerplate: Collection[str], settings: Settings
) -> _Prepared | Rejection:
    def step() -> _Prepared:
        article = build_article(extracted, site_boilerplate)
        return _Prepared(
            article,
            fingerprint(article.body, settings.fingerprint),
            prepare(article.body, article.metadata.published_at),
        )

    return _guarded(extracted.raw, step, settings.item_timeout)


def read_path(path: Path, settings: Settings) -> RawInput | Rejection:
    try:
        return read_file(path, settings.max_input_bytes)
    except InputError as exc:
        return Rejection(source_uri_for(path), exc.reason, exc.detail, exc.raw_sha256)
    except OSError as exc:
        return Rejection(source_uri_for(path), "unreadable", str(exc))


def load_batch(
    conn: Connection, run_id: int, items: Sequence[RawInput | Rejection], settings: Settings
) -> RunCounts:
    """Clean, fingerprint, dedupe and store one batch in one transaction."""
    counts = RunCounts(inputs_read=len(items))
    _warm_up(settings)
    with conn, conn.cursor() as cur:
        known = store.known_inputs(cur, [item.source_uri for item in items])
    extracted: list[Extracted] = []
    rejections: list[Rejection] = []
    for item in items:
        if isinstance(item, Rejection):
            rejections.append(item)
        elif item.source_uri in known:
            _count_known(item, known, counts, rejections)
        else:
            result = _guarded(item, partial(extract, item), settings.item_timeout)
            if isinstance(result, Rejection):
                rejections.append(result)
            else:
                extracted.append(result)
    with conn, conn.cursor() as cur:
        boilerplate = store.site_boilerplate(
            cur, {e.site for e in extracted}, settings.site_boilerplate_min_articles
        )
    fresh: list[_Prepared] = []
    for page in extracted:
        prepared = prepare_article(page, boilerplate.get(page.site, frozenset()), settings)
        if isinstance(prepared, Rejection):
            rejections.append(prepared)
        else:
            fresh.append(prepared)
    # Earliest publication first, so that when a batch brings an original and its copies
    # together the original becomes canonical; source_uri breaks ties deterministically.
    fresh.sort(key=lambda p: (p.article.metadata.published_at or _FAR_FUTURE, p.article.source_uri))
    with conn, conn.cursor() as cur:
        store.lock_for_dedupe(cur)
        # Re-check under the lock: another worker may have stored some of these meanwhile.
        known_now = store.known_inputs(cur, [p.article.source_uri for p in fresh])
        for prepared in fresh:
            if prepared.article.source_uri in known_now:
                counts.unchanged += 1
                continue
            duplicate = _store_one(cur, run_id, prepared, settings, counts)
            if not duplicate:  # copies of one text must not teach it as boilerplate
                article = prepared.article
                store.count_site_lines(cur, article.site, article.site_lines)
        for rejection in rejections:
            store.record_rejection(cur, rejection, run_id)
        counts.rejected += len(rejections)
        store.add_run_counts(cur, run_id, counts)
    return counts


def _count_known(
    item: RawInput, known: dict[str, str], counts: RunCounts, rejections: list[Rejection]
) -> None:
    if known[item.source_uri] == item.raw_sha256:
        counts.unchanged += 1
        return
    # Updating a stored article in place would silently change what analysts already cite.
    rejections.append(
        Rejection(
            item.source_uri,
            "changed_since_loaded",
            "this source was loaded before with other bytes; the stored version is kept",
            item.raw_sha256,
        )
    )


# Stored articles never change, so what verification computed for one stays valid: a per-process
# cache keeps the dedupe lock from being held while the same candidates are prepared again.
_DOC_CACHE: OrderedDict[int, Doc] = OrderedDict()
DOC_CACHE_SIZE = 20_000


def _remember(article_id: int, doc: Doc) -> None:
    _DOC_CACHE[article_id] = doc
    _DOC_CACHE.move_to_end(article_id)
    while len(_DOC_CACHE) > DOC_CACHE_SIZE:
        _DOC_CACHE.popitem(last=False)


def _stored_doc(article_id: int, body: str, published_at: datetime | None) -> Doc:
    doc = _DOC_CACHE.get(article_id)
    if doc is None:
        doc = prepare(body, published_at)
    _remember(article_id, doc)
    return doc


def _store_one(
    cur: store.Cursor, run_id: int, prepared: _Prepared, settings: Settings, counts: RunCounts
) -> bool:
    """Place one article among everything stored (the caller holds the dedupe lock); returns
    whether it was linked as a duplicate."""
    article = prepared.article
    article_id = store.next_article_id(cur)
    stored = store.lsh_candidates(cur, prepared.fingerprints, settings.dedupe.max_candidates)
    # An exact copy shares every bucket and ranks first anyway; fetching it explicitly keeps
    # it a candidate even behind max_candidates articles that tie with it.
    exact = store.exact_body_match(cur, article.body_sha256)
    if exact is not None and exact not in {s.id for s in stored}:
        stored += store.stored_articles(cur, [exact])
    bodies = {s.id: s.body for s in stored}
    candidates = [
        Candidate(s.id, _stored_doc(s.id, s.body, s.published_at), s.canonical_id, s.story_id)
        for s in stored
    ]
    placement = place(prepared.doc, candidates, settings.dedupe)
    canonical_id = placement.canonical_id or article_id
    story_id = placement.story_id or article_id
    if len(placement.story_ids) > 1:
        store.merge_stories(cur, story_id, placement.story_ids)
    store.insert_article(cur, article_id, article, canonical_id, story_id, run_id)
    store.insert_fingerprints(cur, article_id, prepared.fingerprints)
    _remember(article_id, prepared.doc)
    store.clear_rejection(cur, article.source_uri)
    for match in placement.links:
        exact_copy = bodies[match.candidate_id] == article.body
        store.insert_match(
            cur,
            article_id,
            store.Link(
                match.candidate_id, match.level, match.similarity,
                "exact_body" if exact_copy else "minhash_lsh+verify", match.reason,
                match.comparison.scores, match.comparison.shared_passages,
            ),
        )  # fmt: skip
    counts.loaded += 1
    if placement.canonical_id is not None:
        counts.merged += 1
    elif placement.links:
        counts.same_story += 1
    return placement.canonical_id is not None


def batched(items: Sequence[Path], size: int) -> Iterable[Sequence[Path]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ingest_files(
    conn: Connection,
    run_id: int,
    files: Sequence[Path],
    settings: Settings,
    on_batch: Callable[[RunCounts], None] | None = None,
) -> RunCounts:
    """Load files in batches of settings.batch_size; return the counts of this call."""
    total = RunCounts()
    for batch in batched(files, settings.batch_size):
        counts = load_batch(conn, run_id, [read_path(p, settings) for p in batch], settings)
        total.add(counts)
        if on_batch is not None:
            on_batch(counts)
    return total


def new_files(conn: Connection, files: Sequence[Path]) -> list[Path]:
    """The files whose bytes are not stored yet (cheap pre-filter for schedulers)."""
    uris = [source_uri_for(p) for p in files]
    with conn, conn.cursor() as cur:
        known = store.known_inputs(cur, uris)
    return [p for p, uri in zip(files, uris, strict=True) if uri not in known]


def ingest_items(
    conn: Connection,
    run_id: int,
    items: Iterable[RawInput | Rejection],
    settings: Settings,
    on_batch: Callable[[RunCounts], None] | None = None,
) -> RunCounts:
    """Like ingest_files for any stream of inputs (WARC records, fetched pages), batch by batch.

    The stream is consumed lazily, so an archive of any size needs one batch in memory.
    """
    total = RunCounts()
    batch: list[RawInput | Rejection] = []

    def flush() -> None:
        counts = load_batch(conn, run_id, batch, settings)
        total.add(counts)
        batch.clear()
        if on_batch is not None:
            on_batch(counts)

    for item in items:
        batch.append(item)
        if len(batch) >= settings.batch_size:
            flush()
    if batch:
        flush()
    return total
