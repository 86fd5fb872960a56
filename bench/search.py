"""`make bench-search`: the analysts' search on a store of 20,000 articles (issue 40).

The product's search_articles() against the same search as it was before sql/021 (the query
parsed again for every row it filters, ranks and excerpts), both in one run on one database:
the bench corpus's texts (real sentences, bench/corpus.py) loaded with COPY into a scratch
database, their search documents made by the server as ingest makes them. Queries are three
words of the corpus's own titles, so they match as an analyst's would.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import statistics
import sys
import time
from collections.abc import Sequence

from bench.corpus import Corpus
from pipeline import store
from pipeline.dedupe.fingerprint import weight
from pipeline.evaluation.story_store import scratch_database, scratch_name
from pipeline.store import Connection, database

# search_articles as sql/019 defined it, under another name: the peer of the same run.
BEFORE = """
CREATE FUNCTION search_before_021(query text, max_results integer DEFAULT 20)
RETURNS TABLE (id bigint, excerpt text) LANGUAGE sql STABLE AS $$
    WITH wanted AS (SELECT newsdedup_search_query(query) AS q),
    hits AS (
        SELECT c.*, ts_rank(c.search_vector, w.q, 1) AS rank, w.q
        FROM canonical_articles c, wanted w WHERE c.search_vector @@ w.q
        ORDER BY rank DESC, c.published_at DESC NULLS LAST, c.id LIMIT greatest(max_results, 0))
    SELECT h.id, ts_headline(newsdedup_search_config(h.language), left(h.body, 100000), h.q,
                             'MaxFragments=1, MaxWords=30, MinWords=12, StartSel=«, StopSel=»')
    FROM hits h ORDER BY h.rank DESC, h.published_at DESC NULLS LAST, h.id
$$"""
PRODUCT = "SELECT id, excerpt FROM search_articles(%s)"
PEER = "SELECT id, excerpt FROM search_before_021(%s)"


def load(conn: Connection, count: int) -> list[str]:
    """Store `count` corpus articles as canonical ones; returns their titles."""
    rows, titles = io.StringIO(), []
    for article in Corpus().stream(count):
        title, _, body = article.text.partition("\n")
        digest = hashlib.sha256(article.text.encode()).hexdigest()
        number = str(article.index + 1)
        fields = [number, article.uri, title, body, digest, digest, number, number]
        rows.write("\t".join(f.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")
                             for f in fields) + "\n")  # fmt: skip
        titles.append(title)
    rows.seek(0)
    with conn, conn.cursor() as cur:
        cur.execute("ALTER TABLE articles DISABLE TRIGGER ALL")  # ids refer to themselves
        cur.copy_expert(
            """COPY articles (id, source_uri, title, body, raw_sha256, body_sha256,
                             canonical_id, story_id) FROM STDIN""",
            rows,
        )
        cur.execute("UPDATE articles SET language = 'en'")
        cur.execute("ALTER TABLE articles ENABLE TRIGGER ALL")
        cur.execute(
            """INSERT INTO article_search (article_id, search_vector)
               SELECT id, setweight(to_tsvector('english', coalesce(title, '')), 'A')
                          || setweight(to_tsvector('english', left(body, 100000)), 'B')
               FROM articles"""
        )
        cur.execute("ANALYZE")
    return titles


def queries(titles: Sequence[str], count: int, seed: int = 40) -> list[str]:
    """Three longer lower-case words (not the corpus's invented names) of random titles."""
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        title = rng.choice(titles).lower().split()
        words = [w for w in title if len(w) >= 4 and w.isalpha() and weight(w) <= 4]
        if len(words) >= 3:
            found.append(" ".join(words[:3]).lower())
    return found


def median_seconds(conn: Connection, statement: str, query: str, repeat: int) -> float:
    times = []
    with conn.cursor() as cur:
        for _ in range(repeat):
            started = time.perf_counter()
            cur.execute(statement, (query,))
            cur.fetchall()
            times.append(time.perf_counter() - started)
    conn.rollback()
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    server = database.resolve_database_url()
    with scratch_database(server, scratch_name("bench_search")) as url:
        conn = database.connect(url)
        store.apply_migrations(conn)
        titles = load(conn, args.articles)
        with conn, conn.cursor() as cur:
            cur.execute(BEFORE)
        print(f"{args.articles:,} articles; median of {args.repeat} runs per query")
        print(f"{'query':40} {'product s':>10} {'before s':>10} {'ratio':>7}")
        product, peer = [], []
        for query in queries(titles, args.queries):
            product.append(median_seconds(conn, PRODUCT, query, args.repeat))
            peer.append(median_seconds(conn, PEER, query, args.repeat))
            print(f"{query:40} {product[-1]:10.3f} {peer[-1]:10.3f} {peer[-1] / product[-1]:7.1f}")
        print(
            f"product: median {statistics.median(product):.3f} s, max {max(product):.3f} s; "
            f"before: median {statistics.median(peer):.3f} s, max {max(peer):.3f} s"
        )
        # the longest query search accepts, each word an alternative: it matches the most
        longest = " or ".join(queries(titles, 30))[:256].rsplit(" ", 1)[0]
        seconds = median_seconds(conn, PRODUCT, longest, 1)
        print(f"a {len(longest)}-character query of alternatives: product {seconds:.3f} s")
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
