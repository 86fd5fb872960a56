"""Changing the MinHash/LSH settings: ingest refuses until `newsdedup db reindex` has
fingerprinted the stored articles again, after which dedupe finds them as before."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.dedupe.fingerprint import scheme_keys
from pipeline.dedupe.screen import HASHING
from tests.conftest import SAMPLES, query

OTHER = {"NEWSDEDUP_NUM_PERM": "64", "NEWSDEDUP_WORDS_BANDS": "16", "NEWSDEDUP_WORDS_ROWS": "4"}


def _ingest(database_url: str, *paths: Path) -> int:
    return main(["ingest", "--database-url", database_url, *map(str, paths)])


def test_reindex_after_settings_change(
    database_url: str, db: store.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "first"
    first.mkdir()
    for seed in sorted(SAMPLES.glob("*.txt")):
        if not seed.name.startswith("003"):
            shutil.copy(seed, first)
    assert _ingest(database_url, first) == 0
    assert query(db, "SELECT hashing, count(*) FROM article_screens GROUP BY 1") == [(HASHING, 4)]
    with db, db.cursor() as cur:  # screens of an older release's hashing are written again
        cur.execute("UPDATE article_screens SET hashing = 'fh0' WHERE article_id IN "
                    "(SELECT min(article_id) FROM article_screens)")  # fmt: skip
    old_keys = scheme_keys(Settings.from_env().fingerprint)

    for name, value in OTHER.items():
        monkeypatch.setenv(name, value)
    new_keys = scheme_keys(Settings.from_env().fingerprint)
    assert new_keys[0] not in old_keys and new_keys[1] in old_keys  # only the words scheme

    later = tmp_path / "later"
    later.mkdir()
    (seed_003,) = SAMPLES.glob("003*.txt")
    shutil.copy(seed_003, later)
    assert _ingest(database_url, later) == 2
    (error,) = query(db, "SELECT error FROM ingest_runs WHERE status = 'failed'")[0]
    assert "run `newsdedup db reindex`" in error and new_keys[0] in error
    assert query(db, "SELECT count(*) FROM articles") == [(4,)]  # nothing placed half-way

    assert main(["db", "reindex", "--database-url", database_url]) == 0
    schemes = query(db, "SELECT scheme FROM fingerprint_schemes ORDER BY 1")
    assert [s for (s,) in schemes] == sorted(new_keys)
    assert query(db, "SELECT scheme, count(*) FROM article_fingerprints GROUP BY 1 ORDER BY 1") == [
        (key, 4) for key in sorted(new_keys)
    ]
    (signature_bytes,) = query(
        db,
        "SELECT DISTINCT length(signature) FROM article_fingerprints WHERE scheme = %s",
        (new_keys[0],),
    )[0]
    assert signature_bytes == 64 * 4
    assert query(db, "SELECT hashing, count(*) FROM article_screens GROUP BY 1") == [(HASHING, 4)]

    # Rerunning does nothing; the rewrite 003 now finds its original 002 among the reindexed.
    assert main(["db", "reindex", "--database-url", database_url]) == 0
    assert query(db, "SELECT count(*) FROM article_fingerprints") == [(8,)]
    assert _ingest(database_url, later) == 0
    (a002,) = query(db, "SELECT id FROM articles WHERE source_uri LIKE '%%/002_%%'")[0]
    (a003_canonical,) = query(
        db, "SELECT canonical_id FROM articles WHERE source_uri LIKE '%%/003_%%'"
    )[0]
    assert a003_canonical == a002
    assert os.environ["NEWSDEDUP_NUM_PERM"] == "64"
