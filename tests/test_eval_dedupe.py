"""`newsdedup eval dedupe` on small subsets, and the in-memory index against Postgres's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import store
from pipeline.cli import DATASETS, main
from pipeline.config import Settings
from pipeline.evaluation.dedupe import MemoryIndex, Score, score_pairs, score_partitions
from pipeline.evaluation.synthetic import generate
from pipeline.extract import build_article, extract
from pipeline.fingerprint import fingerprint
from pipeline.sources import read_file
from tests.conftest import SAMPLES, query

NAEB = DATASETS / "extraction-dev" / "naeb"
PAIRS = DATASETS / "same-story-dev" / "pairs.jsonl"


def test_pairwise_scores_of_partitions() -> None:
    gold = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"}
    predicted = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}
    score = score_partitions(gold, predicted)
    # gold pairs ab ac bc de; predicted pairs ab cd: one right
    assert (score.tp, score.fp, score.fn) == (1, 1, 3)
    assert score.precision == 0.5 and score.recall == 0.25
    assert score_pairs([(True, True), (False, True), (True, False)]) == Score(1, 1, 1)


def test_memory_index_proposes_what_postgres_proposes(
    database_url: str, db: store.Connection
) -> None:
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    settings = Settings()
    index = MemoryIndex(settings)
    stored = query(db, "SELECT id, body FROM articles ORDER BY id")
    for _id, body in stored:
        index.add(body)
    memory_ids = {i: db_id for i, (db_id, _body) in enumerate(stored, start=1)}
    for path in sorted(SAMPLES.glob("*.txt")):
        body = build_article(extract(read_file(path, 10**7))).body
        probe = fingerprint(body, settings.fingerprint)
        with db, db.cursor() as cur:
            from_postgres = [a.id for a in store.lsh_candidates(cur, probe, 3)]
        from_memory = [memory_ids[i] for i in index.candidates(probe)[:3]]
        assert from_postgres == from_memory


def test_synthetic_copies_are_reproducible_and_edited() -> None:
    sources = {"a": "Title one\n" + "First paragraph here.\n" * 6}
    first, second = generate(sources, copies=3, seed=1), generate(sources, copies=3, seed=1)
    assert first == second
    assert all(len(d.edits) >= 2 for d in first if d.doc_id != "a")
    assert {d.source for d in first} == {"a"}


@pytest.mark.skipif(not (NAEB.exists() and PAIRS.exists()), reason="needs ../shared/datasets")
def test_eval_dedupe_command_on_a_subset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = tmp_path / "pairs.jsonl"
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    same = [x for x in lines if json.loads(x)["overall"] <= 1.5][:4]
    different = [x for x in lines if json.loads(x)["overall"] >= 2.5][:4]
    pairs.write_text("\n".join(same + different) + "\n", encoding="utf-8")
    assert main(["eval", "dedupe", "--pairs", str(pairs), "--naeb", str(NAEB), "--limit", "8"]) == 0
    out = capsys.readouterr().out
    assert "in-memory index" in out
    assert "8 labelled pairs (4 same story <= 1.5, 4 different >= 2.5" in out
    assert "different-story pairs merged as duplicates: 0" in out
    assert "8 gold articles, 24 copies" in out
    assert "duplicate: P 1.0000  R 1.0000" in out
