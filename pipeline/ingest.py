"""The whole pipeline for a list of inputs: read, extract and clean, fingerprint, dedupe, store.

The CLI runs it over every file at once; the Airflow DAG runs it once per mapped shard. Either
way each batch is one transaction, taken under the dedupe lock only for the decisions and
inserts, so the expensive text work of several workers runs in parallel.
"""

from __future__ import annotations

import logging
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe import Candidate, Doc, place, prepare
from pipeline.extract import build_article
from pipeline.fingerprint import Fingerprint, fingerprint
from pipeline.models import Article, InputError, RawInput, Rejection
from pipeline.sources import read_file, source_uri_for
from pipeline.store import Connection, RunCounts

log = logging.getLogger(__name__)

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass
class _Prepared:
    article: Article
    fingerprints: list[Fingerprint]
    doc: Doc  # what dedupe verification compares


def prepare_input(raw: RawInput, settings: Settings) -> _Prepared | Rejection:
    """The per-item text work. Never raises: a failure becomes a rejection with its reason."""
    try:
        article = build_article(raw)
        return _Prepared(
            article,
            fingerprint(article.body, settings.fingerprint),
            prepare(article.body, article.metadata.published_at),
        )
    except InputError as exc:
        return Rejection(raw.source_uri, exc.reason, exc.detail, raw.raw_sha256)
    except Exception as exc:  # a bug must cost one input, not the batch
        log.exception("unexpected failure on %s", raw.source_uri)
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return Rejection(raw.source_uri, "internal_error", detail, raw.raw_sha256)


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
    with conn, conn.cursor() as cur:
        known = store.known_inputs(cur, [item.source_uri for item in items])
    fresh: list[_Prepared] = []
    rejections: list[Rejection] = []
    for item in items:
        if isinstance(item, Rejection):
            rejections.append(item)
        elif item.source_uri in known:
            _count_known(item, known, counts, rejections)
        else:
            prepared = prepare_input(item, settings)
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
            _store_one(cur, run_id, prepared, settings, counts)
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
) -> None:
    """Place one article among everything stored (the caller holds the dedupe lock)."""
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
