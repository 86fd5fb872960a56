"""Dedupe decisions and writes for a whole batch at once, under the dedupe lock.

The decisions are exactly those of placing the batch's articles one after another (each one
sees every stored article and every article of the batch placed before it), but the database
is asked set-wise: one query finds the LSH candidates of every article of the batch, one the
exact body copies, one the stored candidates' rows, and the new rows go in with COPY. Per
article that is a handful of round trips fewer, and the lock is held for less time.

The stored articles are found through this process's index of every stored article
(pipeline/dedupe/stored_index.py), the batch's own earlier articles through a small one of the
batch (pipeline/dedupe/candidate_index.py); their ids are
disjoint, so the union of both counts, ranked by the one rule (candidates.rank_candidates), is
what placing the articles one by one would verify.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pipeline import store
from pipeline.config import DedupeSettings, Settings
from pipeline.dedupe.candidate_index import BucketKey, CandidateIndex, MemoryCandidateIndex
from pipeline.dedupe.candidates import bucket_keys, rank_candidates
from pipeline.dedupe.compared import article_doc
from pipeline.dedupe.fingerprint import Fingerprint, scheme_keys
from pipeline.dedupe.screen import HASHING, Screen, may_link
from pipeline.dedupe.stored_index import indexed_through, stored_index
from pipeline.dedupe.stories import StoryChoice, StoryState, StoryWords, StreamStories, WordCounts
from pipeline.dedupe.verify import Candidate, Doc, Placement, place
from pipeline.models import Article
from pipeline.store import Cursor, RunCounts


@dataclass
class Prepared:
    article: Article
    fingerprints: list[Fingerprint]
    doc: Doc  # what dedupe verification compares
    story_words: StoryWords  # what it adds to its story (pipeline/dedupe/stories.py)

    def signatures(self) -> list[tuple[str, bytes]]:
        """(scheme key, MinHash signature) of each fingerprint, as stored."""
        return [(fp.scheme, fp.signature_bytes()) for fp in self.fingerprints]


# What verification computed for a stored article stays valid while its text does: a
# per-process cache keeps the dedupe lock from being held while the same candidates are
# prepared again. An entry holds the body hash it was computed for, so a revision stored by any
# process (pipeline/dedupe/revise.py) is never compared as its old text.
# A Doc is large in memory (token counts, sentence word sets, screen), so the size bounds the
# main process's memory. Stored screens spare most stored candidates their doc (screen.py), so
# a small cache costs little time for much less memory (BENCHMARKS.md, "Figures behind the code").
_DOC_CACHE: OrderedDict[int, tuple[str, Doc]] = OrderedDict()
DOC_CACHE_SIZE = 500


def remember(article_id: int, body_sha256: str, doc: Doc) -> None:
    _DOC_CACHE[article_id] = (body_sha256, doc)
    _DOC_CACHE.move_to_end(article_id)
    while len(_DOC_CACHE) > DOC_CACHE_SIZE:
        _DOC_CACHE.popitem(last=False)


def _cached_doc(article_id: int, body_sha256: str) -> Doc | None:
    sha, doc = _DOC_CACHE.get(article_id, ("", None))
    return doc if sha == body_sha256 else None


@dataclass
class _Known:
    """What placement needs of an article already placed (stored or earlier in the batch)."""

    doc: Doc | None  # None: a stored article whose doc is prepared once its screen passes
    canonical_id: int
    body_sha256: str
    screen: Screen | None = None


class _Batch:
    """The batch's view of the articles it touches, kept current as articles are placed."""

    def __init__(
        self, cur: Cursor, items: Sequence[Prepared], stored: CandidateIndex, settings: Settings
    ) -> None:
        self.settings = settings.dedupe
        self.keys: list[list[BucketKey]] = [bucket_keys(p.fingerprints) for p in items]
        # Per item, in placement order, the stored articles in its own top ranks: only those can
        # be in the top ranks of the union with the batch's articles.
        found = stored.shared_buckets(self.keys)
        self.in_batch = MemoryCandidateIndex(self.settings)
        shas = [p.article.body_sha256 for p in items]
        self.stored_exact = store.exact_body_matches(cur, shas)
        wanted = {i for hits in found for i in hits} | set(self.stored_exact.values())
        cached = [i for i in wanted if i in _DOC_CACHE]
        self.known: dict[int, _Known] = {}
        self.story: dict[int, int] = {}
        for row in store.stored_for_placement(cur, sorted(wanted), cached, HASHING):
            screen = Screen.from_bytes(row.screen) if row.screen else None
            self.known[row.id] = _Known(
                _cached_doc(row.id, row.body_sha256), row.canonical_id, row.body_sha256, screen
            )
            self.story[row.id] = row.story_id
        # An article deleted by hand stays in the in-memory index (nothing logs deletions);
        # it is not a candidate.
        self.stored_hits = []
        for hits in found:
            present = Counter({i: n for i, n in hits.items() if i in self.known})
            self.stored_hits.append(
                Counter({i: present[i] for i in rank_candidates(present, self.settings)})
            )
        self.first_with_body: dict[str, int] = {}
        self.stories = _stream_stories(cur, items, set(self.story.values()), self.settings)

    def candidates(self, index: int, sha: str) -> list[int]:
        shared = self.stored_hits[index] + self.in_batch.shared_buckets([self.keys[index]])[0]
        ranked = rank_candidates(shared, self.settings)
        exact = self.stored_exact.get(sha) or self.first_with_body.get(sha)
        if exact is not None and exact not in ranked:
            ranked.append(exact)
        return ranked

    def screened(self, cur: Cursor, new: Doc, found: list[int]) -> list[Candidate]:
        """The candidates that may link with `new` (screen.may_link), with their docs: a stored
        article's doc is prepared from its body only when its screen passes (or it has none)."""
        kept = [
            i
            for i in found
            if (known := self.known[i]).doc is not None
            or known.screen is None
            or may_link(new.screen, known.screen, self.settings)
        ]
        missing = [i for i in kept if self.known[i].doc is None]
        for article_id, title, body, published_at in store.stored_texts(cur, missing):
            screen = self.known[article_id].screen
            stored = screen.story_view.embedding if screen is not None else None
            doc = article_doc(title, body, published_at, stored)
            self.known[article_id].doc = doc
            remember(article_id, self.known[article_id].body_sha256, doc)
        candidates = []
        for i in kept:
            known = self.known[i]
            assert known.doc is not None
            candidates.append(Candidate(i, known.doc, known.canonical_id, self.story[i]))
        return candidates

    def add(self, index: int, article_id: int, known: _Known, story_id: int) -> None:
        self.known[article_id] = known
        self.story[article_id] = story_id
        self.first_with_body.setdefault(known.body_sha256, article_id)
        self.in_batch.add([(article_id, self.keys[index])])


@dataclass
class Decided:
    """A batch's placement, decided but not written: valid as long as nothing was stored since
    the decisions were made (`seen`, the stored index's high-water mark then)."""

    uris: list[str]  # of the items decided, in placement order
    seen: int
    rows: list[store.NewArticle]
    stories: StreamStories  # the stories' state after the batch, to store
    choices: list[tuple[int, StoryChoice]]  # (article id, why it is in its story)
    learned: list[Article]  # what the site-boilerplate counts learn from
    docs: list[tuple[int, str, Doc]]  # for the verification-doc cache once written
    counts: RunCounts


def decide_batch(cur: Cursor, items: Sequence[Prepared], settings: Settings) -> Decided:
    """Where each item goes (in this order; what is stored already left out), against what is
    committed now. It needs no lock: ingest decides before it takes the dedupe lock, and again
    under it only if another process stored something meanwhile (still_current)."""
    decided = Decided(
        uris=[p.article.source_uri for p in items],
        seen=0,
        rows=[],
        stories=StreamStories(settings.dedupe),
        choices=[],
        learned=[],
        docs=[],
        counts=RunCounts(),
    )
    if not items:
        return decided
    store.use_schemes(cur, scheme_keys(settings.fingerprint))
    stored = stored_index(cur, settings.fingerprint, settings.dedupe)
    decided.seen = indexed_through()
    batch = _Batch(cur, items, stored, settings)
    ids = store.next_article_ids(cur, len(items))
    for index, (article_id, prepared) in enumerate(zip(ids, items, strict=True)):
        article = prepared.article
        found = batch.candidates(index, article.body_sha256)
        candidates = batch.screened(cur, prepared.doc, found)
        placement = place(prepared.doc, candidates, settings.dedupe)
        canonical_id = placement.canonical_id or article_id
        duplicate_of = None  # its canonical may be none of the articles the batch has read
        if placement.duplicate_story is not None:
            duplicate_of = (canonical_id, placement.duplicate_story)
        choice = batch.stories.assign(
            article_id, prepared.story_words, story_time(prepared.article),
            [batch.story[i] for i in found], placement.linked_stories, duplicate_of,
        )  # fmt: skip
        story_id = article_id if choice.story_id is None else choice.story_id
        decided.choices.append((article_id, choice))
        known = _Known(prepared.doc, canonical_id, article.body_sha256)
        batch.add(index, article_id, known, story_id)
        decided.rows.append(_new_row(article_id, prepared, known, placement, batch))
        decided.docs.append((article_id, article.body_sha256, prepared.doc))
        _count(placement, decided.counts)
        if placement.canonical_id is None:  # copies of one text must not teach it as boilerplate
            decided.learned.append(article)
    decided.stories = batch.stories
    return decided


def still_current(cur: Cursor, decided: Decided, items: Sequence[Prepared]) -> bool:
    """Whether `decided` is what deciding `items` now would give: the same items, and no
    fingerprint written since (every placement, revision and reindex writes some, and only
    under the dedupe lock, which the caller holds)."""
    return decided.uris == [p.article.source_uri for p in items] and (
        not items or store.index_origin(cur)[1] == decided.seen
    )


def index_for_search(cur: Cursor, decided: Decided) -> None:
    """Write the search documents of the decided batch's canonical articles: the costly part of
    storing them, done before the dedupe lock (sql/017)."""
    store.index_for_search(
        cur,
        [
            (r.article_id, r.article.metadata.language, r.article.metadata.title, r.article.body)
            for r in decided.rows
            if r.canonical_id == r.article_id
        ],
    )


def unindex_for_search(cur: Cursor, decided: Decided) -> None:
    """Take back what index_for_search wrote (the batch is decided again)."""
    store.unindex_for_search(cur, [r.article_id for r in decided.rows])


def write_batch(cur: Cursor, run_id: int, decided: Decided, counts: RunCounts) -> None:
    """Store a decided batch (the caller holds the dedupe lock and checked still_current)."""
    if not decided.rows:
        return
    store.insert_articles(cur, decided.rows, run_id, HASHING)
    _write_stories(cur, decided)
    store.clear_rejections(cur, decided.uris)
    store.count_site_lines(cur, [(a.site, a.site_lines) for a in decided.learned])
    counts.add(decided.counts)
    for article_id, body_sha256, doc in decided.docs:
        remember(article_id, body_sha256, doc)


def _new_row(
    article_id: int, prepared: Prepared, known: _Known, placement: Placement, batch: _Batch
) -> store.NewArticle:
    links = [
        store.Link(
            m.candidate_id, m.level, m.similarity,
            "exact_body" if batch.known[m.candidate_id].body_sha256 == known.body_sha256
            else "minhash_lsh+verify",
            m.reason, m.comparison.scores, m.comparison.shared_passages,
        )
        for m in placement.links
    ]  # fmt: skip
    return store.NewArticle(
        article_id,
        prepared.article,
        known.canonical_id,
        batch.story[article_id],
        prepared.signatures(),
        prepared.doc.screen.to_bytes(),
        links,
    )


def _count(placement: Placement, counts: RunCounts) -> None:
    counts.loaded += 1
    if placement.canonical_id is not None:
        counts.merged += 1
    elif placement.links:
        counts.same_story += 1


def story_time(article: Article) -> datetime | None:
    """When an article happened, for its story's time extent: its publication date, unless that
    is only guessed from its text."""
    meta = article.metadata
    return None if meta.published_guessed else meta.published_at


def _stream_stories(
    cur: Cursor, items: Sequence[Prepared], story_ids: set[int], settings: DedupeSettings
) -> StreamStories:
    """The batch's view of the stories its candidates are in, and of the stream's word counts
    for the words of its articles."""
    words = {w for p in items for w in p.story_words.counted}
    articles, counts = store.word_counts(cur, words)
    stories = {
        row.story_id: StoryState(
            row.story_id, dict(zip(row.words, row.weights, strict=True)), row.articles,
            row.first_at, row.last_at,
        )
        for row in store.story_centroids(cur, story_ids)
    }  # fmt: skip
    return StreamStories(settings, WordCounts(articles, counts), stories)


def _write_stories(cur: Cursor, decided: Decided) -> None:
    """The touched stories' centroids, the batch's word counts and why each article is in its
    story."""
    stories = decided.stories
    store.save_centroids(
        cur,
        [
            store.CentroidRow(
                s.story_id, list(s.centroid), list(s.centroid.values()), s.articles,
                s.first_at, s.last_at,
            )
            for s in (stories.stories[i] for i in sorted(stories.touched))
        ],
    )  # fmt: skip
    store.add_word_counts(cur, stories.added_articles, stories.added)
    rows = {r.article_id: r.story_id for r in decided.rows}
    store.save_assignments(
        cur,
        [
            (i, rows[i], c.score, c.runner_up, c.runner_up_score, c.reason)
            for i, c in decided.choices
        ],
    )
