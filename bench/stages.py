"""Timed stages and baselines of the benchmark, each a function of a list of inputs.

Stage functions run in pool workers too, so they are top-level and return their own wall time
(a worker's time excludes pickling, which the pool figure of the caller includes).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from pipeline.clean.article import build_article
from pipeline.config import Settings
from pipeline.dedupe.compared import dedupe_text
from pipeline.dedupe.fingerprint import fingerprint, word_shingles
from pipeline.dedupe.verify import prepare
from pipeline.extract.core import extract
from pipeline.ingest.text_work import extract_one, prepare_one
from pipeline.models import InputError, RawInput

SETTINGS = Settings()


def clean_texts(raws: Sequence[RawInput]) -> list[str]:
    """Extract and clean (the product's text path up to the text dedupe reads)."""
    bodies = []
    for raw in raws:
        with contextlib.suppress(InputError):
            article = build_article(extract(raw))
            bodies.append(dedupe_text(article.metadata.title, article.body))
    return bodies


def fingerprint_texts(bodies: Sequence[str]) -> int:
    for body in bodies:
        fingerprint(body, SETTINGS.fingerprint)
    return len(bodies)


def prepare_texts(bodies: Sequence[str]) -> int:
    for body in bodies:
        prepare(body)
    return len(bodies)


def html_path(raws: Sequence[RawInput]) -> int:
    """The product's text work on HTML pages: extraction (trafilatura + metadata), cleaning,
    fingerprints and the verification doc, exactly the functions load_batch maps."""
    done = 0
    for raw in raws:
        page = extract_one((raw, SETTINGS.item_timeout))
        if not isinstance(page, RawInput) and hasattr(page, "paragraphs"):
            prepare_one((page, frozenset(), SETTINGS))  # type: ignore[arg-type]
            done += 1
    return done


def html_extract_only(raws: Sequence[RawInput]) -> int:
    return sum(
        1 for raw in raws if hasattr(extract_one((raw, SETTINGS.item_timeout)), "paragraphs")
    )


def baseline_datasketch(bodies: Sequence[str]) -> dict[str, float]:
    """The plain per-article baseline: 3-gram shingles, MinHash.update_batch (128 permutations)
    and an in-memory MinHashLSH (42 bands x 3 rows, the words scheme's banding)."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    sketches = []
    for body in bodies:
        sketch = MinHash(num_perm=128, seed=1)
        sketch.update_batch([" ".join(s).encode() for s in word_shingles(body, 3)])
        sketches.append(sketch)
    minhash_s = time.perf_counter() - start
    lsh = MinHashLSH(num_perm=128, params=(42, 3))
    start = time.perf_counter()
    for i, sketch in enumerate(sketches):
        lsh.insert(str(i), sketch)
    insert_s = time.perf_counter() - start
    start = time.perf_counter()
    for sketch in sketches:
        lsh.query(sketch)
    query_s = time.perf_counter() - start
    n = len(bodies)
    return {
        "minhash_per_s": n / minhash_s,
        "lsh_insert_per_s": n / insert_s,
        "lsh_query_per_s": n / query_s,
        "end_to_end_per_s": n / (minhash_s + insert_s + query_s),
    }


def baseline_trafilatura(pages: Sequence[str]) -> float:
    """trafilatura.extract alone, one process: pages/s."""
    import trafilatura

    start = time.perf_counter()
    for html in pages:
        trafilatura.extract(html)
    return len(pages) / (time.perf_counter() - start)


def naeb_pages(naeb_dir: Path, count: int) -> list[tuple[str, str]]:
    """(url, html) of the naeb pages, cycled to `count`."""
    records = json.loads((naeb_dir / "ground_truth.json").read_text(encoding="utf-8"))
    pages = []
    for record in records:
        path = naeb_dir / "html" / record["html_file"]
        if path.exists():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            pages.append((record.get("link") or f"https://naeb.example/{record['id']}", html))
    return [pages[i % len(pages)] for i in range(count)]


def html_raws(pages: Sequence[tuple[str, str]]) -> list[RawInput]:
    import hashlib

    raws = []
    for i, (url, html) in enumerate(pages):
        data = html.encode()
        uri = f"{url}#{i}" if url.startswith("http") else url
        raws.append(RawInput(uri, data, hashlib.sha256(data).hexdigest(), "text/html"))
    return raws


def rate(step: Callable[[Sequence[Any]], Any], items: Sequence[Any]) -> float:
    """Items/s of a step run in this process."""
    start = time.perf_counter()
    step(items)
    return len(items) / (time.perf_counter() - start)


def pool_rate(pool: Executor, step: Callable[[Sequence[Any]], Any], items: Sequence[Any]) -> float:
    """Items/s of a step over the pool's workers, chunks as load_batch sends them."""
    chunk = 16
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    start = time.perf_counter()
    list(pool.map(step, chunks))
    return len(items) / (time.perf_counter() - start)
