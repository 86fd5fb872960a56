"""The fast paths of issue 7 decide exactly what the straightforward ones decide.

- pipeline.dedupe.fingerprint.fingerprint gives datasketch's own hash values (with feature_hash);
- pipeline.dedupe.fingerprint.weight gives the weights of wordfreq's zipf_frequency;
- a backfill through ingest (set-based placement, COPY, process pool, stored candidates
  screened before their docs are prepared) links, merges and groups a synthetic corpus exactly
  as placing its articles one by one with datasketch MinHash and an in-memory LSH index does
  (pipeline.evaluation.dedupe.MemoryIndex, the `eval dedupe` path).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from wordfreq import zipf_frequency

from bench.corpus import Corpus
from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe import fingerprint
from pipeline.dedupe import place as placement_module
from pipeline.dedupe.candidate_index import (
    ArrayCandidateIndex,
    CandidateIndex,
    MemoryCandidateIndex,
)
from pipeline.dedupe.candidates import rank_candidates
from pipeline.dedupe.compared import dedupe_text
from pipeline.dedupe.screen import Screen, may_link
from pipeline.dedupe.stored_index import stored_index
from pipeline.dedupe.verify import Candidate, classify, compare, place, prepare
from pipeline.evaluation.dedupe import MemoryIndex
from pipeline.ingest import batch
from pipeline.text.sentences import is_boilerplate
from pipeline.text.words import tokens
from tests.conftest import query
from tests.support.datasketch_reference import fingerprint_datasketch


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    return [a.text for a in Corpus(seed=11).stream(40)]


def test_fingerprint_equals_datasketch(corpus_texts: list[str]) -> None:
    """Signatures and band keys of the vectorised path equal datasketch MinHash over the same
    feature hash, band by band, for both schemes and other permutation counts and seeds; also
    when the content words' weights come from the verification doc, as ingest passes them."""
    texts = ["", "one", "two words", *corpus_texts]
    assert sum(is_boilerplate(text) for text in corpus_texts) >= 10  # both content paths run
    for settings in (
        Settings().fingerprint,
        replace(Settings().fingerprint, num_perm=64, seed=5, words_bands=16, words_rows=4),
        replace(Settings().fingerprint, shingle_size=5, terms_bands=64, terms_rows=4),
    ):
        for text in texts:
            reference = fingerprint_datasketch(text, settings)
            alone = fingerprint.fingerprint(text, settings)
            from_doc = fingerprint.fingerprint(text, settings, prepare(text).weights)
            pairs = [*zip(alone, reference, strict=True), *zip(from_doc, reference, strict=True)]
            for got, expected in pairs:
                assert got.scheme == expected.scheme
                assert got.hashvalues.dtype == np.uint32
                assert np.array_equal(got.hashvalues, expected.hashvalues), text[:40]
                assert got.band_keys == expected.band_keys


def test_feature_hash_is_datasketch_hashfunc_of_the_vectorised_hashes() -> None:
    words = tokens("The Hmeimim base, don't say 2016: officials said")
    vectorised = fingerprint._feature_hashes(words, 3).tolist()
    assert vectorised == [fingerprint.feature_hash(tuple(words[i : i + 3])) for i in range(6)]
    assert len(set(vectorised)) == len(vectorised)
    assert fingerprint._feature_hashes(words[:2], 3).tolist() == [
        fingerprint.feature_hash(tuple(words[:2]))
    ]


def test_weight_shortcut_equals_wordfreq(corpus_texts: list[str]) -> None:
    """weight() reads plain words' zipf from the lists; zipf_frequency must agree."""
    words = sorted({w for text in corpus_texts[:15] for w in tokens(text)})
    words += ["the", "hmeimim", "naïve", "don't", "x2", "россия", "kalomira", "hola", "und"]
    assert len(words) > 2_000
    for word in words:
        zipf = zipf_frequency(word, "en") or max(
            zipf_frequency(word, lang, wordlist="small") for lang in fingerprint._OTHER_LANGUAGES
        )
        assert fingerprint.weight(word) == max(0.0, min(7.0, 7.0 - zipf)), word
    assert fingerprint.weight("und") < 4.0  # German, unknown as English


def _decisions_in_db(db: store.Connection) -> list[tuple[str, int, int]]:
    return [
        (dedupe_text(title, body), canonical_id, story_id)
        for title, body, canonical_id, story_id in query(
            db, "SELECT title, body, canonical_id, story_id FROM articles ORDER BY id"
        )
    ]


@pytest.mark.parametrize("bucket_newest", [Settings().dedupe.bucket_newest, 2])
def test_backfill_decides_like_one_by_one_datasketch_placement(
    db: store.Connection, monkeypatch: pytest.MonkeyPatch, bucket_newest: int
) -> None:
    """With the default bucket depth, and with one so shallow that many buckets hold more
    members than are read (copies share their words buckets)."""
    # No doc cache: every stored candidate goes through its stored screen, and its doc is
    # prepared from the database only when the screen passes.
    monkeypatch.setattr(placement_module, "DOC_CACHE_SIZE", 0)
    placement_module._DOC_CACHE.clear()
    screened: list[int] = []
    prepared: list[int] = []

    def stored_for_placement(
        cur: store.Cursor, ids: Sequence[int], cached: Sequence[int], hashing: str
    ) -> list[store.StoredRow]:
        rows = original_rows(cur, ids, cached, hashing)
        screened.extend(r.id for r in rows if r.screen is not None)
        return rows

    def stored_texts(cur: store.Cursor, ids: Sequence[int]) -> list[tuple[Any, ...]]:
        prepared.extend(ids)
        return original_texts(cur, ids)

    original_rows, original_texts = store.stored_for_placement, store.stored_texts
    monkeypatch.setattr(store, "stored_for_placement", stored_for_placement)
    monkeypatch.setattr(store, "stored_texts", stored_texts)
    # Copies land close to their originals, so that both in-batch and cross-batch candidates,
    # exact copies and story merges occur in a small corpus.
    corpus = Corpus(seed=3, duplicate_share=0.45, copy_window=25)
    articles = list(corpus.stream(160))
    settings = replace(
        Settings(), batch_size=40, dedupe=replace(Settings().dedupe, bucket_newest=bucket_newest)
    )
    run_id = store.start_run(db, "test")
    counts = batch.ingest_items(db, run_id, (a.raw() for a in articles), settings, workers=2)
    assert counts.loaded == 160 and counts.merged >= 40

    stored = _decisions_in_db(db)
    links = {
        (a, m, level)
        for a, m, level in query(db, "SELECT article_id, matched_id, level FROM article_matches")
    }
    first_id = query(db, "SELECT min(id) FROM articles")[0][0]

    # The straightforward path: one article at a time, datasketch's MinHash, buckets in memory.
    index = MemoryIndex(settings)
    expected_links = set()
    for body, _, _ in stored:
        found = index.candidates(fingerprint_datasketch(body, settings.fingerprint))
        candidates = [
            Candidate(i, index.docs[i], index.canonical[i], index.story[i]) for i in found
        ]
        placement = place(prepare(body), candidates, settings.dedupe)
        new_id = index.add(body)
        expected_links |= {(new_id, m.candidate_id, m.level) for m in placement.links}
    offset = first_id - 1
    assert {(a - offset, m - offset, level) for a, m, level in links} == expected_links
    for position, (_, canonical_id, story_id) in enumerate(stored, start=1):
        assert canonical_id - offset == index.canonical[position], position
        assert story_id - offset == index.story[position], position
    duplicates = [i for i, c in index.canonical.items() if c != i]
    assert len(duplicates) >= 40
    # both kinds of candidate occurred: an earlier article of the same batch, a stored one
    same_batch = [i for i in duplicates if (i - 1) // 40 == (index.canonical[i] - 1) // 40]
    assert same_batch and len(same_batch) < len(duplicates)
    # stored candidates were screened, and some were not prepared because of it
    assert screened and set(prepared) < set(screened)
    with db, db.cursor() as cur:
        held = stored_index(cur, settings.fingerprint, settings.dedupe)
    _, members = np.unique(
        np.concatenate([s.full_keys() for s in held.segments]), return_counts=True
    )
    assert (members.max() > bucket_newest) == (bucket_newest == 2)  # the shallow run cut buckets


def test_both_candidate_indexes_read_a_deep_bucket_newest_first_and_no_deeper() -> None:
    """Stored members count newest first, and an earlier probe of the same call with the key
    takes a place: what placing the batch one article at a time would read. The stored
    articles' index and the in-memory one (eval dedupe, the batch's own articles) answer alike
    behind the seam, whether the members came in one segment or several."""
    settings = replace(Settings().dedupe, bucket_newest=3, min_shared_bands=2)
    keys = [("s", band, 77) for band in range(2)]
    one_by_one = ArrayCandidateIndex(settings)
    for article in range(1, 6):
        one_by_one.add([(article, keys)])
    indexes: list[CandidateIndex] = [
        ArrayCandidateIndex(settings),
        MemoryCandidateIndex(settings),
        one_by_one,
    ]
    for index in indexes:
        if index is not one_by_one:
            index.add([(article, keys) for article in range(1, 6)])
        first, second, third = index.shared_buckets([keys, keys[:1], keys])
        assert first == Counter({3: 2, 4: 2, 5: 2}), index
        assert rank_candidates(first, settings) == [3, 4, 5]  # equal counts: the older first
        assert second == Counter(), index  # one band in common is below min_shared_bands
        # the two earlier probes of the call fill two of the three places in both buckets
        assert third == Counter({5: 2}), index


def test_cheap_prefilter_never_drops_a_link(corpus_texts: list[str]) -> None:
    """screen.may_link, with a stored (serialised) screen, skips the full comparison only for
    pairs classify() leaves unrelated."""
    corpus = Corpus(seed=5, duplicate_share=0.5, copy_window=10)
    docs = [prepare(a.text) for a in corpus.stream(80)] + [prepare(t) for t in corpus_texts]
    settings = Settings().dedupe
    linked = skipped = 0
    for i in range(len(docs)):
        for j in range(max(0, i - 10), i):
            level = classify(compare(docs[i], docs[j]).scores, settings).level
            allowed = may_link(
                docs[i].screen, Screen.from_bytes(docs[j].screen.to_bytes()), settings
            )
            assert allowed or level is None, (i, j)
            linked += level is not None
            skipped += not allowed
    assert linked >= 20 and skipped >= 200  # both sides of the filter were exercised


def test_word_hash_cache_forgets_between_texts_only(
    corpus_texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full cache is cleared before a text is hashed, never half-way through one."""
    monkeypatch.setattr(fingerprint, "_WORD_HASHES_MAX", 50)
    settings = Settings().fingerprint
    for text in corpus_texts[:5]:
        fast = fingerprint.fingerprint(text, settings)
        reference = fingerprint_datasketch(text, settings)
        assert [f.band_keys for f in fast] == [f.band_keys for f in reference]
        assert len(fingerprint._WORD_HASHES) > 50  # this text's words, all kept while hashing
