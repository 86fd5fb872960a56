"""Articles and what placing them needs one statement at a time: known inputs, rejections, site
boilerplate, the dedupe lock, fingerprint schemes, story merges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pipeline.models import Rejection
from pipeline.store.database import Cursor
from pipeline.text.characters import valid_text

# The table whose lock serialises dedupe decisions (sql/021): a table lock, not an advisory
# lock, because any session may take an advisory lock and an analyst's would stop every load.
DEDUPE_LOCK = "dedupe_lock"


def known_inputs(cur: Cursor, uris: Sequence[str]) -> dict[str, str]:
    """source_uri -> raw_sha256 of the inputs already stored as articles."""
    cur.execute(
        "SELECT source_uri, raw_sha256 FROM articles WHERE source_uri = ANY(%s)", (list(uris),)
    )
    return dict(cur.fetchall())


def stored_at(cur: Cursor, uris: Sequence[str]) -> dict[str, datetime]:
    """source_uri -> when the version stored of each of these inputs was stored."""
    cur.execute(
        """SELECT source_uri, COALESCE(revised_at, ingested_at) FROM articles
           WHERE source_uri = ANY(%s)""",
        (list(uris),),
    )
    return dict(cur.fetchall())


def record_rejection(cur: Cursor, rejection: Rejection, run_id: int | None) -> None:
    """Quarantine one input. Its URI and detail may quote the bad input itself (an exception's
    message, a file name), so they are made valid text here, where they enter the database."""
    uri, detail = valid_text(rejection.source_uri), valid_text(rejection.detail)
    cur.execute(
        """INSERT INTO rejected_inputs (source_uri, raw_sha256, reason, detail, run_id)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (source_uri, raw_sha256) DO UPDATE
           SET attempts = rejected_inputs.attempts + 1, rejected_at = now(),
               reason = EXCLUDED.reason, detail = EXCLUDED.detail, run_id = EXCLUDED.run_id""",
        (uri, rejection.raw_sha256, rejection.reason, detail, run_id),
    )


def rejections_of(cur: Cursor, uris: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """source_uri -> (reason, detail) of the inputs among these that are rejected."""
    cur.execute(
        "SELECT source_uri, reason, detail FROM rejected_inputs WHERE source_uri = ANY(%s)",
        (list(uris),),
    )
    return {uri: (reason, detail) for uri, reason, detail in cur.fetchall()}


def site_boilerplate(
    cur: Cursor, sites: Iterable[str], min_articles: int
) -> dict[str, frozenset[str]]:
    """The line keys each site has repeated in at least `min_articles` different articles."""
    cur.execute(
        """SELECT site, array_agg(line_key) FROM site_lines
           WHERE site = ANY(%s) AND articles >= %s GROUP BY site""",
        (sorted(set(sites)), min_articles),
    )
    return {site: frozenset(keys) for site, keys in cur.fetchall()}


def lock_for_dedupe(cur: Cursor) -> None:
    """Serialise dedupe decisions across workers until the transaction ends.

    Without it two workers loading near-duplicates at the same moment would each see no match
    and both become canonical.
    """
    cur.execute("LOCK TABLE dedupe_lock IN EXCLUSIVE MODE")


class StaleFingerprints(RuntimeError):
    """Stored articles were fingerprinted under other MinHash/LSH settings."""


def use_schemes(cur: Cursor, keys: Sequence[str]) -> dict[str, int]:
    """Refuse to place articles next to stored ones fingerprinted another way: dedupe would
    silently stop seeing them. Cheap: the table holds a row per scheme ever used. Returns
    register_schemes(keys)."""
    cur.execute(
        "SELECT scheme FROM fingerprint_schemes WHERE scheme <> ALL(%s) ORDER BY scheme",
        (list(keys),),
    )
    stale = [row[0] for row in cur.fetchall()]
    if stale:
        raise StaleFingerprints(
            f"stored articles are fingerprinted as {', '.join(stale)}, this configuration "
            f"as {', '.join(keys)}: run `newsdedup db reindex` before loading more"
        )
    return register_schemes(cur, keys)


def register_schemes(cur: Cursor, keys: Sequence[str]) -> dict[str, int]:
    """The id each scheme key has in fingerprint_schemes, adding the keys not there yet."""
    cur.execute(
        """INSERT INTO fingerprint_schemes (scheme) SELECT unnest(%s::text[])
           ON CONFLICT DO NOTHING""",
        (sorted(set(keys)),),
    )
    cur.execute("SELECT scheme, id FROM fingerprint_schemes WHERE scheme = ANY(%s)", (list(keys),))
    return {scheme: int(scheme_id) for scheme, scheme_id in cur.fetchall()}


@dataclass
class Link:
    """A decided dedupe link from a new article to a stored one, with its evidence."""

    matched_id: int
    level: str
    similarity: float
    method: str
    reason: str
    scores: dict[str, float]
    shared_passages: list[tuple[str, str]]  # (passage of the article, of the matched one)
