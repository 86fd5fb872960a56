"""Bad input is quarantined, never fatal: a seeded fuzz corpus (tests/support/fuzz_corpus.py)
through the real CLI and PostgreSQL. Every input ends loaded or in rejected_inputs with a reason,
every good article is loaded once with its language and its text unmangled, no run crashes or
hangs.

The 10,000-input run is a slow test; RELIABILITY.md has its figures and the commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.ingest.batch import load_batch, read_path
from pipeline.models import RawInput
from pipeline.store import database
from pipeline.timelimit import ItemTimeout, time_limit
from tests.conftest import REPO, query
from tests.support.fuzz_corpus import CLASSES, OVERSIZE_LIMIT, Expect, generate
from tests.support.http_server import article_text

ITEM_TIMEOUT = "10"  # seconds per item in fuzz runs: a pathological input costs at most this


def run_fuzz(url: str, corpus: Path, workers: int, timeout: float) -> dict[str, Any]:
    """Ingest the corpus with `workers` CLI processes at once (disjoint shares of the files);
    return the figures. A process that exits non-zero is a crash, one over `timeout` a hang."""
    files = sorted(p for p in corpus.iterdir() if p.name != "manifest.json")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "NEWSDEDUP_ITEM_TIMEOUT": ITEM_TIMEOUT,
        "NEWSDEDUP_MAX_INPUT_BYTES": str(OVERSIZE_LIMIT),
        "NEWSDEDUP_BATCH_SIZE": "100",
    }
    started = time.monotonic()
    command = [sys.executable, "-m", "pipeline.cli", "ingest", "--database-url", url]
    procs = [
        subprocess.Popen(
            [*command, *map(str, files[k::workers])],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for k in range(workers)
    ]
    crashes, hangs, outputs = 0, 0, []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=max(timeout - (time.monotonic() - started), 1))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            hangs += 1
        crashes += proc.returncode not in (0, -9)
        outputs.append(out.decode(errors="replace")[-3000:])
    figures = evaluate(url, corpus)
    figures.update(crashes=crashes, hangs=hangs, seconds=round(time.monotonic() - started, 1))
    figures["outputs"] = outputs
    return figures


def evaluate(url: str, corpus: Path) -> dict[str, Any]:
    from tests.support.fuzz_corpus import load_manifest

    manifest = load_manifest(corpus)
    conn = database.connect(url)
    try:
        name = "regexp_replace(source_uri, '^.*/', '')"
        articles = {n: (lang, body) for n, lang, body in
                    query(conn, f"SELECT {name}, language, body FROM articles")}  # fmt: skip
        rejected = dict(query(conn, f"SELECT {name}, reason FROM rejected_inputs"))
        ((rows, distinct),) = query(
            conn, "SELECT count(*), count(DISTINCT source_uri) FROM articles"
        )
    finally:
        conn.close()
    per_class: dict[str, Counter[str]] = defaultdict(Counter)
    problems: list[str] = []
    for file, expect in manifest.items():
        tally = per_class[expect.cls]
        tally["tried"] += 1
        if file in articles:
            tally["loaded"] += 1
            _check_loaded(file, expect, *articles[file], problems)
        elif file in rejected:
            reason = rejected[file]
            tally[f"rejected:{reason}"] += 1
            if expect.outcome == "load":
                problems.append(f"lost: {file} rejected as {reason}")
            if reason == "internal_error":
                problems.append(f"internal error (a bug caught per item): {file}")
        else:
            problems.append(f"neither loaded nor rejected: {file}")
        if file in articles and expect.outcome == "reject":
            problems.append(f"loaded although it should be rejected: {file}")
    return {
        "inputs": len(manifest),
        "loaded": len(articles),
        "rejected": len(rejected),
        "doubled": rows - distinct,
        "lost": sum(p.startswith("lost") or p.startswith("neither") for p in problems),
        "classes": {cls: dict(sorted(c.items())) for cls, c in sorted(per_class.items())},
        "problems": problems,
    }


def _check_loaded(
    file: str, expect: Expect, language: str | None, body: str, problems: list[str]
) -> None:
    if expect.language and language != expect.language:
        problems.append(f"language: {file} is {expect.language}, stored as {language}")
    if expect.marker and expect.marker not in body:
        problems.append(f"mangled: {file} lost {expect.marker!r} in decoding")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in body):
        problems.append(f"control characters stored: {file}")


def _assert_clean(figures: dict[str, Any]) -> None:
    assert figures["crashes"] == 0 and figures["hangs"] == 0, figures["outputs"]
    assert figures["problems"] == [], figures["problems"][:20]
    assert figures["doubled"] == 0 and figures["lost"] == 0
    assert figures["loaded"] + figures["rejected"] == figures["inputs"]


def test_a_small_fuzz_corpus_is_loaded_or_quarantined(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    corpus = tmp_path / "fuzz"
    generate(corpus, 320, seed=2)
    figures = run_fuzz(database_url, corpus, workers=1, timeout=600)
    _assert_clean(figures)
    assert set(figures["classes"]) == set(CLASSES), "every class is tried"
    loaded = {c: t.get("loaded", 0) for c, t in figures["classes"].items()}
    assert loaded["good_english"] > 0 and loaded["non_english"] > 0
    assert loaded["legacy_encoding"] > 0 and loaded["gzip_bomb"] == 0
    # A second run over the same inputs stores nothing twice and loses nothing.
    again = run_fuzz(database_url, corpus, workers=1, timeout=600)
    _assert_clean(again)
    assert (again["loaded"], again["rejected"]) == (figures["loaded"], figures["rejected"])
    assert query(db, "SELECT sum(loaded) FROM ingest_runs") == [(figures["loaded"],)]


@pytest.mark.slow
def test_ten_thousand_fuzz_inputs(database_url: str, tmp_path: Path) -> None:
    corpus = tmp_path / "fuzz"
    started = time.monotonic()
    generate(corpus, 10_000, seed=1)
    generated = time.monotonic() - started
    figures = run_fuzz(database_url, corpus, workers=2, timeout=1200)
    figures["generate_seconds"] = round(generated, 1)
    report = os.environ.get("NEWSDEDUP_FUZZ_REPORT")
    if report:  # the figures RELIABILITY.md quotes
        Path(report).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    _assert_clean(figures)
    assert figures["inputs"] == 10_000


# --- limits, directly ---------------------------------------------------------------------


def test_a_file_over_the_default_20_mb_limit_is_rejected_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:  # sparse: costs no disk and no time
        handle.truncate(20 * 1024 * 1024 + 1)
    assert Settings().max_input_bytes == 20 * 1024 * 1024
    rejection = read_path(big, Settings())
    assert not isinstance(rejection, RawInput) and rejection.reason == "too_large"
    smaller = Settings(max_input_bytes=30 * 1024 * 1024)
    assert isinstance(read_path(big, smaller), RawInput)


def test_the_time_limit_interrupts_python_code_and_regexes() -> None:
    import re

    started = time.monotonic()
    with pytest.raises(ItemTimeout), time_limit(0.3):
        re.match(r"(a+)+$", "a" * 40 + "b")  # catastrophic backtracking
    with pytest.raises(ItemTimeout), time_limit(0.3):
        while True:
            pass
    assert time.monotonic() - started < 3
    with time_limit(5):  # within the limit: no trace left behind
        pass
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_item_over_the_time_limit_is_rejected_and_the_batch_goes_on(
    db: store.Connection,
) -> None:
    def raw(name: str, text: str) -> RawInput:
        return RawInput(f"file:///fuzz/{name}.txt", text.encode(), name, "text/plain")

    good = [raw(f"good{i}", "\n\n".join(article_text(700 + i))) for i in range(3)]
    # 7,500 paragraphs: about ten seconds of text work, far over a 1 s limit.
    slow = raw("slow", "\n\n".join(p for i in range(1500) for p in article_text(i)))
    run_id = store.start_run(db, "test")
    settings = Settings(item_timeout=1.0)
    counts = load_batch(db, run_id, [good[0], slow, good[1], good[2]], settings)
    rejected = query(db, "SELECT source_uri, reason, detail FROM rejected_inputs")
    assert (counts.loaded, counts.rejected) == (3, 1), rejected
    assert query(db, "SELECT source_uri, reason FROM rejected_inputs") == [
        ("file:///fuzz/slow.txt", "timeout")
    ]
