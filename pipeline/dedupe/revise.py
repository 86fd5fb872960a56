"""A stored article's content changed (a correction, an update, a half-written file completed):
store the new version as its next revision, and make dedupe follow it.

The article keeps its id, its canonical and its story, so nothing analysts cite moves; its
fingerprints and dedupe screen are those of the latest text (the in-memory LSH index of every
placing process follows the new fingerprints, pipeline/dedupe/stored_index.py), so later
articles are compared with what the page says now. Its dedupe links are left as they were
decided: they say why the article was placed where it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe.fingerprint import scheme_keys
from pipeline.dedupe.place import Prepared
from pipeline.dedupe.screen import HASHING
from pipeline.store import Cursor, RunCounts
from pipeline.text.changes import describe_change


def revise_batch(
    cur: Cursor, run_id: int, items: Sequence[Prepared], settings: Settings, counts: RunCounts
) -> None:
    """Store each item as a new version of the stored article with its source_uri, in order
    (the caller holds the dedupe lock). An item whose cleaned title and body are those stored
    only has its bytes' hash recorded."""
    if not items:
        return
    store.use_schemes(cur, scheme_keys(settings.fingerprint))
    for prepared in items:
        article = prepared.article
        stored = store.stored_versions(cur, [article.source_uri])[article.source_uri]
        if (stored.title, stored.body) == (article.metadata.title, article.body):
            store.record_same_content(cur, stored.article_id, article.raw_sha256)
            counts.unchanged += 1
            continue
        change = describe_change(stored.title, stored.body, article.metadata.title, article.body)
        revision = store.NewRevision(
            stored, article, change, prepared.signatures(),
            prepared.doc.screen.to_bytes(),
        )  # fmt: skip
        store.add_revision(cur, revision, run_id, HASHING)
        counts.revised += 1
