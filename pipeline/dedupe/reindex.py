"""`newsdedup db reindex`: fingerprint the stored articles again after the MinHash/LSH settings
(or a release's feature hashing) changed, so that dedupe sees them again.

Articles are done in id order, a batch per transaction under the dedupe lock (every writer of
fingerprints holds it: sql/016); the signatures of the old schemes are dropped at the end.
Interrupted, it resumes where it stopped: only the signatures an article lacks are made. Each
article's dedupe screen (pipeline/dedupe/screen.py) is written again too when its hashing
changed.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe.compared import article_doc, dedupe_text
from pipeline.dedupe.fingerprint import fingerprint, scheme_keys
from pipeline.dedupe.screen import HASHING
from pipeline.store import Connection


def reindex(
    conn: Connection,
    settings: Settings,
    batch_size: int = 1_000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Fingerprint every stored article lacking a current signature; returns how many.
    on_batch gets the id reached."""
    keys = scheme_keys(settings.fingerprint)
    done = last_id = 0
    while True:
        with conn, conn.cursor() as cur:
            store.lock_for_dedupe(cur)
            cur.execute(
                """SELECT id, title, body, ARRAY(SELECT scheme FROM article_fingerprints f
                                          WHERE f.article_id = a.id AND f.scheme = ANY(%s)),
                          EXISTS(SELECT 1 FROM article_screens s
                                 WHERE s.article_id = a.id AND s.hashing = %s)
                   FROM articles a WHERE id > %s ORDER BY id LIMIT %s""",
                (keys, HASHING, last_id, batch_size),
            )
            rows = cur.fetchall()
            if not rows:
                break
            missing = [
                (
                    article_id,
                    [
                        fp
                        for fp in fingerprint(dedupe_text(title, body), settings.fingerprint)
                        if fp.scheme not in has
                    ],
                )
                for article_id, title, body, has, _ in rows
                if len(has) < len(keys)
            ]
            if missing:  # the new schemes are registered with their first signatures
                store.register_schemes(cur, keys)
                store.insert_signatures(
                    cur,
                    [(i, fp.scheme, fp.signature_bytes()) for i, fps in missing for fp in fps],
                )
            screens = [
                (article_id, article_doc(title, body).screen.to_bytes())
                for article_id, title, body, _, has_screen in rows
                if not has_screen
            ]
            cur.execute(
                "DELETE FROM article_screens WHERE article_id = ANY(%s)", ([i for i, _ in screens],)
            )
            store.insert_screens(cur, screens, HASHING)
        done += len(missing)
        last_id = rows[-1][0]
        if on_batch:
            on_batch(last_id)
    with conn, conn.cursor() as cur:
        store.lock_for_dedupe(cur)
        cur.execute("DELETE FROM article_fingerprints WHERE scheme <> ALL(%s)", (keys,))
        cur.execute("DELETE FROM fingerprint_schemes WHERE scheme <> ALL(%s)", (keys,))
        store.use_schemes(cur, keys)
    return done
