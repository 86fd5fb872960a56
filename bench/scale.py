"""A store of any size in seconds: generated articles bulk-loaded with COPY, so that placement
can be timed with 10k, 100k and 1M articles already stored without running the pipeline for
hours (issue 21).

A generated article has the rows the placer reads of a stored article (an articles row, with a
tiny body, and both fingerprint rows); its signatures are the product's MinHash of invented
features: random word 3-gram hashes (unrelated texts share no shingles), and 25-60 rare words
drawn from a Zipf law over a 400,000-word vocabulary of their own, so that the terms buckets
fill as a real corpus fills them (a common "rare" word is in thousands of articles; only the
newest `bucket_newest` members of a bucket are read). Their words are not the corpus's words,
so they cost the lookup what unrelated stored articles cost and are never verified.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe.fingerprint import minhash, scheme_keys, schemes
from pipeline.store import Connection

VOCABULARY = 400_000
CHUNK = 20_000
_EPOCH = datetime(2021, 1, 1, tzinfo=UTC)


def bulk_load(conn: Connection, count: int, settings: Settings, seed: int) -> float:
    """Add `count` generated articles after the stored ones; returns the seconds it took."""
    started = time.perf_counter()
    words_scheme, terms_scheme = schemes(settings.fingerprint)
    words_key, terms_key = scheme_keys(settings.fingerprint)
    with conn, conn.cursor() as cur:
        store.register_schemes(cur, [words_key, terms_key])
        cur.execute("SELECT COALESCE(max(id), 0) FROM articles")
        row = cur.fetchone()
        first = int(row[0]) + 1 if row else 1
    rng = np.random.default_rng(seed + first)
    vocabulary = rng.integers(0, 2**32, VOCABULARY, dtype=np.uint64).astype(np.uint32)
    for start in range(first, first + count, CHUNK):
        ids = range(start, min(start + CHUNK, first + count))
        articles = io.StringIO()
        fingerprints = io.StringIO()
        words = rng.integers(0, 2**32, (len(ids), words_scheme.num_perm), dtype=np.uint64)
        for article_id, words_signature in zip(ids, words.astype("<u4"), strict=True):
            day = _EPOCH + timedelta(minutes=int(rng.integers(0, 6 * 365 * 1440)))
            digest = f"{article_id:064x}"
            articles.write(
                f"{article_id}\tbench-stored:{article_id}\tstored article {article_id}\t"
                f"{digest}\t{digest}\t{article_id}\t{article_id}\t{day.isoformat()}\n"
            )
            rare = vocabulary[np.unique(rng.zipf(1.15, int(rng.integers(25, 61))) % VOCABULARY)]
            terms = minhash(rare, terms_scheme.num_perm, settings.fingerprint.seed)
            fingerprints.write(
                f"{article_id}\t{words_key}\t\\\\x{words_signature.tobytes().hex()}\n"
            )
            fingerprints.write(
                f"{article_id}\t{terms_key}\t\\\\x{terms.astype('<u4').tobytes().hex()}\n"
            )
        with conn, conn.cursor() as cur:
            articles.seek(0)
            cur.copy_expert(
                "COPY articles (id, source_uri, body, raw_sha256, body_sha256, canonical_id, "
                "story_id, published_at) FROM STDIN",
                articles,
            )
            fingerprints.seek(0)
            cur.copy_expert(
                "COPY article_fingerprints (article_id, scheme, signature) FROM STDIN",
                fingerprints,
            )
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('articles', 'id'), max(id)) FROM articles"
        )
        cur.execute("ANALYZE articles")
        cur.execute("ANALYZE article_fingerprints")
    return time.perf_counter() - started
