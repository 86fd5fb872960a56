"""The stored articles' candidate index (sorted arrays in each placing process) answers as the
plain dict index does, and follows what other processes commit."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline import store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.dedupe import stored_index as stored_index_module
from pipeline.dedupe.candidate_index import (
    ArrayCandidateIndex,
    BucketKey,
    MemoryCandidateIndex,
)
from pipeline.dedupe.stored_index import stored_index
from tests.conftest import SAMPLES, query

ROOT = Path(__file__).resolve().parents[2]


def _keys(rng: random.Random) -> list[BucketKey]:
    """Keys drawn from a small space, so that buckets fill past bucket_newest."""
    return [
        (rng.choice(["words", "terms"]), band, rng.randrange(-3, 4))
        for band in rng.sample(range(12), rng.randrange(0, 8))
    ]


@pytest.mark.parametrize("seed", range(6))
def test_arrays_answer_as_the_dict_index_through_adds_and_revisions(seed: int) -> None:
    rng = random.Random(seed)
    settings = replace(Settings().dedupe, bucket_newest=rng.choice([2, 3, 5]), min_shared_bands=2)
    arrays = ArrayCandidateIndex(settings)
    current: dict[int, list[BucketKey]] = {}
    next_id = 1
    for _ in range(40):
        if current and rng.random() < 0.3:  # a revision: the article's keys change
            revised = rng.sample(sorted(current), min(len(current), rng.randrange(1, 4)))
            arrays.remove(revised)
            for article_id in revised:
                current[article_id] = _keys(rng)
            arrays.add([(i, current[i]) for i in revised])
        else:
            batch = [(next_id + k, _keys(rng)) for k in range(rng.randrange(1, 9))]
            next_id += len(batch)
            current.update(batch)
            arrays.add(batch)
        # the reference: every live article's keys in a dict, members in id order
        reference = MemoryCandidateIndex(settings)
        reference.add(sorted(current.items()))
        probes = [_keys(rng) for _ in range(rng.randrange(1, 6))]
        assert arrays.shared_buckets(probes) == reference.shared_buckets(probes)
    assert len(arrays.segments) <= 1 + int(np.log2(max(2, len(arrays))))


def test_many_revisions_are_compacted_away() -> None:
    settings = replace(Settings().dedupe, min_shared_bands=1)
    arrays = ArrayCandidateIndex(settings)
    keys: list[BucketKey] = [("words", 0, 1)]
    arrays.add([(i, keys) for i in range(1, 600)])
    arrays.remove(list(range(1, 400)))  # past MAX_DEAD: every segment rewritten at once
    assert not arrays.dead and len(arrays) == 200
    assert arrays.shared_buckets([keys]) == [Counter({i: 1 for i in range(500, 600)})]


def _held_entries(index: ArrayCandidateIndex) -> Counter[tuple[int, int]]:
    """The live (key, article id) pairs of an index."""
    pairs: Counter[tuple[int, int]] = Counter()
    for segment in index.segments:
        live = ~index._dead_mask(segment.ids, segment.generation)
        pairs.update(
            zip(segment.full_keys()[live].tolist(), segment.ids[live].tolist(), strict=True)
        )
    return pairs


def test_the_index_follows_articles_and_revisions_another_process_commits(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    settings = Settings()
    seeds = sorted(SAMPLES.glob("*.txt"))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(seeds[0], inbox)
    assert main(["ingest", "--database-url", database_url, str(inbox)]) == 0
    with db, db.cursor() as cur:
        before = stored_index(cur, settings.fingerprint, settings.dedupe)
        size_before = len(before)
    # Another process stores two articles and a new version of the first.
    for seed in seeds[1:3]:
        shutil.copy(seed, inbox)
    first = inbox / seeds[0].name
    first.write_text(
        first.read_text(encoding="utf-8")
        + "\nThe ministry later said the figures would be revised in Hamadan on Friday.\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ingest", "--database-url", database_url,
         str(inbox)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert query(db, "SELECT count(*), sum(revision) FROM articles") == [(3, 4)]

    with db, db.cursor() as cur:
        caught_up = stored_index(cur, settings.fingerprint, settings.dedupe)
        assert caught_up is before and len(caught_up) > size_before
        stored_index_module.forget()  # what a process starting now builds
        rebuilt = stored_index(cur, settings.fingerprint, settings.dedupe)
    assert rebuilt is not caught_up
    assert _held_entries(caught_up) == _held_entries(rebuilt)
    assert caught_up.dead  # the first article's old keys were forgotten, not kept beside


def test_a_new_database_under_the_same_process_gets_its_own_index(
    database_url: str, db: store.Connection
) -> None:
    settings = Settings()
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    with db, db.cursor() as cur:
        assert len(stored_index(cur, settings.fingerprint, settings.dedupe)) > 0
        cur.execute("TRUNCATE articles, article_fingerprints, candidate_index_origin CASCADE")
        cur.execute("INSERT INTO candidate_index_origin DEFAULT VALUES")
    with db, db.cursor() as cur:
        assert len(stored_index(cur, settings.fingerprint, settings.dedupe)) == 0
