"""Everything that reads or writes PostgreSQL (psycopg2). Every statement is parameterised."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2.extensions
import psycopg2.extras

from pipeline.config import SQL_DIR
from pipeline.models import Rejection

Connection = psycopg2.extensions.connection
Cursor = psycopg2.extensions.cursor

# Any constant works; it only has to be the same for every process that runs migrations
# or dedupe decisions against one database.
_MIGRATION_LOCK = 7_146_001
_DEDUPE_LOCK = 7_146_002


class MigrationError(RuntimeError):
    pass


def migration_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    return sorted(sql_dir.glob("[0-9][0-9][0-9]_*.sql"))


def apply_migrations(conn: Connection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply the sql/NNN_*.sql files not yet recorded; return the versions applied now.

    Each file runs in its own transaction under an advisory lock, so concurrent workers starting
    together apply each migration once. An applied file whose text changed is an error: fix
    forward with a new file instead of editing history.
    """
    applied_now: list[str] = []
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        cur.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    text PRIMARY KEY,
                   checksum   text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        cur.execute("SELECT version, checksum FROM schema_migrations")
        recorded = dict(cur.fetchall())
        for path in migration_files(sql_dir):
            text = path.read_text(encoding="utf-8")
            checksum = hashlib.sha256(text.encode()).hexdigest()
            version = path.stem
            if version in recorded:
                if recorded[version] != checksum:
                    raise MigrationError(f"{path.name} changed after it was applied")
                continue
            cur.execute(text)
            cur.execute(
                "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                (version, checksum),
            )
            applied_now.append(version)
    return applied_now


# --- runs ------------------------------------------------------------------------------------


@dataclass
class RunCounts:
    inputs_read: int = 0
    loaded: int = 0
    merged: int = 0
    same_story: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: RunCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def start_run(conn: Connection, triggered_by: str) -> int:
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ingest_runs (triggered_by) VALUES (%s) RETURNING id", (triggered_by,)
        )
        row = cur.fetchone()
        assert row is not None
        return int(row[0])


def add_run_counts(cur: Cursor, run_id: int, counts: RunCounts) -> None:
    cur.execute(
        """UPDATE ingest_runs SET inputs_read = inputs_read + %(inputs_read)s,
               loaded = loaded + %(loaded)s, merged = merged + %(merged)s,
               same_story = same_story + %(same_story)s, unchanged = unchanged + %(unchanged)s,
               rejected = rejected + %(rejected)s
           WHERE id = %(run_id)s""",
        {**counts.as_dict(), "run_id": run_id},
    )


def run_counts(conn: Connection, run_id: int) -> RunCounts:
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT inputs_read, loaded, merged, same_story, unchanged, rejected
               FROM ingest_runs WHERE id = %s""",
            (run_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise ValueError(f"no ingest run {run_id}")
    return RunCounts(*row)


def finish_run(conn: Connection, run_id: int, error: str | None = None) -> RunCounts:
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE ingest_runs SET finished_at = now(), status = %s, error = %s
               WHERE id = %s
               RETURNING inputs_read, loaded, merged, same_story, unchanged, rejected""",
            ("failed" if error else "succeeded", error, run_id),
        )
        row = cur.fetchone()
    if row is None:
        raise ValueError(f"no ingest run {run_id}")
    return RunCounts(*row)


# --- what is already known ------------------------------------------------------------------


def known_inputs(cur: Cursor, uris: Sequence[str]) -> dict[str, str]:
    """source_uri -> raw_sha256 of the inputs already stored as articles."""
    cur.execute(
        "SELECT source_uri, raw_sha256 FROM articles WHERE source_uri = ANY(%s)", (list(uris),)
    )
    return dict(cur.fetchall())


def record_rejection(cur: Cursor, rejection: Rejection, run_id: int) -> None:
    cur.execute(
        """INSERT INTO rejected_inputs (source_uri, raw_sha256, reason, detail, run_id)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (source_uri, raw_sha256) DO UPDATE
           SET attempts = rejected_inputs.attempts + 1, rejected_at = now(),
               reason = EXCLUDED.reason, detail = EXCLUDED.detail, run_id = EXCLUDED.run_id""",
        (rejection.source_uri, rejection.raw_sha256, rejection.reason, rejection.detail, run_id),
    )


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
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_DEDUPE_LOCK,))


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
    """The id each scheme key has in fingerprint_schemes (lsh_buckets rows carry it), adding
    the keys not there yet."""
    cur.execute(
        """INSERT INTO fingerprint_schemes (scheme) SELECT unnest(%s::text[])
           ON CONFLICT DO NOTHING""",
        (sorted(set(keys)),),
    )
    cur.execute("SELECT scheme, id FROM fingerprint_schemes WHERE scheme = ANY(%s)", (list(keys),))
    return {scheme: int(scheme_id) for scheme, scheme_id in cur.fetchall()}


def merge_stories(cur: Cursor, into: int, others: Sequence[int]) -> None:
    """A new article linked several stories: they are one story, under the oldest id."""
    cur.execute("UPDATE articles SET story_id = %s WHERE story_id = ANY(%s)", (into, list(others)))


# --- writes ----------------------------------------------------------------------------------


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
