"""`make bench` (quick) and `make bench-full` (the 1 M-article backfill): see BENCHMARKS.md.

One run measures, on one synthetic corpus and one machine state:
- plain baselines: datasketch update_batch + in-memory MinHashLSH per article; trafilatura alone;
- each stage of the product (clean, fingerprint, verification docs; HTML extraction) in this
  process and over the worker pool;
- the end-to-end text path into a fresh PostgreSQL: pipeline.ingest.batch.ingest_items, the function
  `newsdedup ingest` and the WARC backfill run, with its pool; inside it the time of LSH
  candidate lookup, verification and the load, per batch, against how many articles were
  already stored (the dedupe cost curve), and the peak RSS of the process tree.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

import psutil
import psycopg2

from bench import scale, stages
from bench.corpus import NAEB, Corpus
from pipeline import store
from pipeline.config import Settings
from pipeline.dedupe import place, stored_index
from pipeline.dedupe.candidate_index import ArrayCandidateIndex
from pipeline.ingest import batch, text_work
from pipeline.models import RawInput
from pipeline.store import database

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Mode:
    articles: int
    sample: int  # articles for the per-stage and baseline figures
    html_pages: int
    checkpoints: tuple[int, ...]  # stored-corpus sizes at which the dedupe cost is reported
    # stores of these sizes are bulk-loaded (bench/scale.py) and probe_articles corpus articles
    # placed into each
    stored: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    probe_articles: int = 1_000
    # end-to-end runs of each worker count, taken in turn (2, 1, 2, 1, ...); the fastest of each
    # is reported: on these shared machines one run differs from the next by up to a tenth
    repeats: int = 2


MODES = {
    "quick": Mode(2_000, 300, 60, (500, 1_000, 1_800)),
    "full": Mode(1_002_000, 3_000, 423, (10_000, 100_000, 1_000_000), repeats=1),
}


class PeakRss:
    """Samples the memory of this process and its children (the pool's fork server and
    workers) every second: PSS reads each process's page tables, and every 0.2 s that took
    ~2 s of CPU from a 27-second 2-worker ingest, more the more processes it ran. RSS counts a
    page shared by several processes once in each, so the tree's RSS overstates what forked
    workers cost; PSS shares each page among its processes, and the tree's PSS is the memory
    it really holds."""

    def __init__(self) -> None:
        self.peak_total = 0
        self.peak_main = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(1.0):
            try:
                tree = [me, *me.children(recursive=True)]
                memory = [p.memory_full_info() for p in tree]
            except psutil.Error:
                continue
            self.peak_main = max(self.peak_main, memory[0].rss)
            self.peak_total = max(self.peak_total, sum(m.rss for m in memory))
            self.peak_pss = max(self.peak_pss, sum(m.pss for m in memory))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class BatchTiming:
    stored_before: int
    articles: int
    lookup_s: float = 0.0
    verify_s: float = 0.0
    docs_s: float = 0.0  # verification docs of stored candidates missing from the cache
    place_s: float = 0.0  # the whole placement: lookup, docs, verification, writes, commit
    serial_s: float = 0.0  # the batch's transaction under the dedupe lock, commit included
    locked_at: float = 0.0
    decisions: int = 0  # 2 when another process stored something between decision and lock

    @property
    def load_s(self) -> float:
        return self.place_s - self.lookup_s - self.docs_s - self.verify_s


@dataclass
class Probe:
    """Wraps the placement functions to time them inside the real ingest path."""

    batches: list[BatchTiming] = field(default_factory=list)
    stored: int = 0

    def install(self) -> Callable[[], None]:
        """Wrap the functions by module attribute, where their callers look them up."""
        targets: list[tuple[Any, str, Callable[[Callable[..., Any]], Callable[..., Any]]]] = [
            (batch, "_store", self._stored),
            (store, "lock_for_dedupe", self._locked),
            (batch, "decide_batch", self._counted),
            (place, "stored_index", lambda f: self._timed(f, "lookup_s")),
            (ArrayCandidateIndex, "shared_buckets", lambda f: self._timed(f, "lookup_s")),
            (store, "exact_body_matches", lambda f: self._timed(f, "lookup_s")),
            (store, "stored_for_placement", lambda f: self._timed(f, "lookup_s")),
            (place, "place", lambda f: self._timed(f, "verify_s")),
            (store, "stored_texts", lambda f: self._timed(f, "docs_s")),
            (place, "article_doc", lambda f: self._timed(f, "docs_s")),
        ]
        originals = [(module, name, getattr(module, name)) for module, name, _ in targets]
        for module, name, wrap in targets:
            setattr(module, name, wrap(getattr(module, name)))

        def uninstall() -> None:
            for module, name, original in originals:
                setattr(module, name, original)

        return uninstall

    def _stored(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """A batch's whole placement: deciding without the lock, then under it."""

        def wrapper(conn: Any, run_id: int, fresh: Any, *args: Any) -> Any:
            timing = BatchTiming(self.stored, len(fresh))
            self.batches.append(timing)
            start = time.perf_counter()
            counts = original(conn, run_id, fresh, *args)
            end = time.perf_counter()
            timing.place_s = end - start
            timing.serial_s = end - timing.locked_at if timing.locked_at else 0.0
            self.stored += len(fresh)
            return counts

        return wrapper

    def _locked(self, original: Callable[..., None]) -> Callable[..., None]:
        def wrapper(*args: Any) -> None:
            original(*args)
            if self.batches:
                self.batches[-1].locked_at = time.perf_counter()

        return wrapper

    def _counted(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            if self.batches:
                self.batches[-1].decisions += 1
            return original(*args)

        return wrapper

    def _timed(self, original: Callable[..., Any], slot: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if self.batches:
                    timing = self.batches[-1]
                    setattr(timing, slot, getattr(timing, slot) + time.perf_counter() - start)

        return wrapper


def write_corpus(corpus: Corpus, count: int, path: Path, workers: int) -> None:
    """The corpus as JSON lines, made before timing starts (generating it costs as much as
    cleaning it, and is not the product's work)."""
    chunk = 2_000
    starts = range(0, count, chunk)
    with (
        path.open("w", encoding="utf-8") as out,
        ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool,
    ):
        jobs = [(corpus.seed, s, min(chunk, count - s)) for s in starts]
        for lines in pool.map(_corpus_chunk, jobs):
            out.write(lines)


def _corpus_chunk(job: tuple[int, int, int]) -> str:
    seed, start, count = job
    rows = (
        json.dumps({"uri": a.uri, "text": a.text, "original": a.original})
        for a in Corpus(seed).stream(count, start)
    )
    return "".join(row + "\n" for row in rows)


def read_corpus(path: Path) -> Iterator[RawInput]:
    import hashlib

    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            data = row["text"].encode()
            yield RawInput(row["uri"], data, hashlib.sha256(data).hexdigest(), "text/plain")


def run(
    mode_name: str, articles: int | None, seed: int, workers: int, mode: Mode | None = None
) -> dict[str, Any]:
    mode = mode or MODES[mode_name]
    total = articles or mode.articles
    settings = Settings()
    result: dict[str, Any] = {
        "mode": mode_name,
        "articles": total,
        "seed": seed,
        "workers": workers,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    workdir = Path(tempfile.mkdtemp(prefix="nd-bench-"))
    try:
        corpus_path = workdir / "corpus.jsonl"
        start = time.perf_counter()
        write_corpus(Corpus(seed), total, corpus_path, workers)
        result["corpus_seconds"] = round(time.perf_counter() - start, 1)
        log(f"corpus: {total} articles in {result['corpus_seconds']} s")
        result["stages"] = stage_figures(corpus_path, mode, workers)
        counts = (workers, 1) if workers > 1 else (workers,)
        runs: dict[int, list[dict[str, Any]]] = {count: [] for count in counts}
        for repeat in range(mode.repeats):
            for count in counts:
                run_dir = workdir / f"e2e-{count}-{repeat}"
                args = (corpus_path, run_dir, settings, count, mode)
                runs[count].append(in_fresh_process(end_to_end, *args))
        fastest = {
            count: max(done, key=lambda r: r["articles_per_s"]) for count, done in runs.items()
        }
        result["end_to_end"] = fastest[workers]
        result["end_to_end_rates"] = {
            count: [r["articles_per_s"] for r in done] for count, done in runs.items()
        }
        if workers > 1:
            result["end_to_end_one_worker"] = fastest[1]
        result["scale"] = scale_figures(corpus_path, workdir, settings, workers, mode, seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["machine"]["load_after"] = os.getloadavg()
    return result


def stage_figures(corpus_path: Path, mode: Mode, workers: int) -> dict[str, Any]:
    raws = []
    for raw in read_corpus(corpus_path):
        raws.append(raw)
        if len(raws) >= mode.sample:
            break
    text_work.warm_up()
    bodies = stages.clean_texts(raws)  # also warms caches (langid) before timing
    pages = stages.naeb_pages(NAEB, mode.html_pages)
    figures: dict[str, Any] = {}
    figures["baseline_datasketch"] = stages.baseline_datasketch(bodies)
    log(f"baseline datasketch: {figures['baseline_datasketch']}")
    figures["baseline_trafilatura_pages_per_s"] = stages.baseline_trafilatura([h for _, h in pages])
    html = stages.html_raws(pages)
    stages.html_path(html[:4])
    one = {
        "clean": stages.rate(stages.clean_texts, raws),
        "fingerprint": stages.rate(stages.fingerprint_texts, bodies),
        "verification_docs": stages.rate(stages.prepare_texts, bodies),
    }
    context = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=text_work.warm_up) as pool:
        # start the workers and warm them up (imports, caches) before timing
        stages.pool_rate(pool, stages.clean_texts, raws[:64])
        stages.pool_rate(pool, stages.html_path, html[:8])
        pooled = {
            "clean": stages.pool_rate(pool, stages.clean_texts, raws),
            "fingerprint": stages.pool_rate(pool, stages.fingerprint_texts, bodies),
            "verification_docs": stages.pool_rate(pool, stages.prepare_texts, bodies),
            "html_extract": stages.pool_rate(pool, stages.html_extract_only, html),
            "html_path": stages.pool_rate(pool, stages.html_path, html),
        }
    one["html_extract"] = stages.rate(stages.html_extract_only, html)
    figures["one_process"] = one
    figures["pool"] = pooled
    log(f"stages: one process {one}; pool {pooled}")
    return figures


T = TypeVar("T")


def in_fresh_process(function: Callable[..., T], *args: Any) -> T:
    """function(*args) in a new interpreter, so that an ingest is measured as `newsdedup
    ingest` starts: without the models, caches and index the bench's earlier stages loaded
    into this process (they were 200 MB of the main process's peak)."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
        return child.submit(function, *args).result()


def end_to_end(
    corpus_path: Path, workdir: Path, settings: Settings, workers: int, mode: Mode
) -> dict[str, Any]:
    pgdata = workdir / "pg"  # a path a run: pgserver keeps a stopped server's handle per path
    url = database.start_embedded(pgdata)
    try:
        conn = psycopg2.connect(url)
        store.apply_migrations(conn)
        empty = _sizes(conn)
        run_id = store.start_run(conn, "bench")
        probe = Probe()
        uninstall = probe.install()
        done = [0]
        started = time.perf_counter()

        def on_batch(counts: store.RunCounts) -> None:
            done[0] += counts.inputs_read
            if done[0] % 20_000 < settings.batch_size:
                elapsed = time.perf_counter() - started
                log(f"  {done[0]} articles, {done[0] / elapsed:.0f}/s")

        try:
            with PeakRss() as rss:
                counts = batch.ingest_items(
                    conn, run_id, read_corpus(corpus_path), settings, on_batch, workers=workers
                )
            elapsed = time.perf_counter() - started
        finally:
            uninstall()
        store.finish_run(conn, run_id)
        full = _sizes(conn)
        conn.close()
    finally:
        stored_index.forget()
        database.stop_embedded(pgdata)
    loaded = max(1, counts.loaded)
    figures = {
        "workers": workers,
        "seconds": round(elapsed, 1),
        "articles_per_s": counts.inputs_read / elapsed,
        "counts": counts.as_dict(),
        "peak_rss_mb_total": rss.peak_total / 2**20,
        "peak_rss_mb_main": rss.peak_main / 2**20,
        "peak_pss_mb_total": rss.peak_pss / 2**20,
        "database_mb": full["database"] / 2**20,
        "bytes_per_article": (full["database"] - empty["database"]) / loaded,
        "bytes_per_article_beyond_row": (
            full["database"] - empty["database"] - full["articles"] + empty["articles"]
        )
        / loaded,
        "serial_ms_per_article": 1000 * sum(b.serial_s for b in probe.batches) / loaded,
        "table_bytes_per_article": {
            name: (size - empty["tables"].get(name, 0)) / loaded
            for name, size in sorted(full["tables"].items(), key=lambda t: -t[1])
        },
        "dedupe_cost": cost_curve(probe.batches, mode.checkpoints),
    }
    place_s = sum(b.place_s for b in probe.batches)
    figures["stage_seconds"] = {
        "candidate_lookup": sum(b.lookup_s for b in probe.batches),
        "candidate_docs": sum(b.docs_s for b in probe.batches),
        "verification": sum(b.verify_s for b in probe.batches),
        "load": sum(b.load_s for b in probe.batches),
        "text_work_and_rest": elapsed - place_s,
    }
    log(f"end to end: {figures}")
    return figures


def _sizes(conn: Any) -> dict[str, Any]:
    """Bytes of the database, of the articles rows themselves (heap and TOAST: the title and
    body), so that what is kept beside an article can be told apart, and of each table."""
    with conn, conn.cursor() as cur:
        cur.execute("CHECKPOINT")
        cur.execute("SELECT pg_database_size(current_database()), pg_table_size('articles')")
        database_bytes, articles = cur.fetchone()
        cur.execute(
            """SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'"""
        )
        tables = {name: int(size) for name, size in cur.fetchall()}
    return {"database": int(database_bytes), "articles": int(articles), "tables": tables}


def scale_figures(
    corpus_path: Path, workdir: Path, settings: Settings, workers: int, mode: Mode, seed: int
) -> list[dict[str, Any]]:
    """Placement cost with mode.stored articles already stored: for each size, a database of
    its own is bulk-loaded (bench/scale.py), then the same mode.probe_articles corpus articles
    are ingested into it, timed as end_to_end times them. Before each probe this process builds
    its candidate index from the stored signatures, as a process starting then would (timed)."""
    url = database.start_embedded(workdir / "pg-scale")
    admin = psycopg2.connect(url)
    admin.autocommit = True
    articles = list(itertools.islice(read_corpus(corpus_path), mode.probe_articles))
    points = []
    try:
        for point in mode.stored:
            name = f"scale_{point}"
            with admin.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
            point_url = url.replace(f"/{database.EMBEDDED_DATABASE}?", f"/{name}?")
            try:
                points.append(
                    in_fresh_process(
                        _scale_point, point_url, point, articles, settings, workers, seed
                    )
                )
            finally:
                with admin.cursor() as cur:
                    cur.execute(f"DROP DATABASE {name}")
            log(f"  {points[-1]}")
    finally:
        admin.close()
        database.stop_embedded(workdir / "pg-scale")
    return points


def _scale_point(
    url: str, point: int, articles: list[RawInput], settings: Settings, workers: int, seed: int
) -> dict[str, Any]:
    conn = psycopg2.connect(url)
    try:
        return _placed_into_store(conn, point, articles, settings, workers, seed)
    finally:
        conn.close()


def _placed_into_store(
    conn: Any, point: int, articles: list[RawInput], settings: Settings, workers: int, seed: int
) -> dict[str, Any]:
    store.apply_migrations(conn)
    load_s = scale.bulk_load(conn, point, settings, seed)
    started = time.perf_counter()
    with conn, conn.cursor() as cur:
        index = stored_index.stored_index(cur, settings.fingerprint, settings.dedupe)
    build_s = time.perf_counter() - started
    log(f"  {point:,} stored: bulk load {load_s:.0f} s, index build {build_s:.1f} s")
    probe = Probe()
    uninstall = probe.install()
    try:
        with PeakRss() as rss:
            run_id = store.start_run(conn, "bench-scale")
            counts = batch.ingest_items(conn, run_id, articles, settings, workers=workers)
    finally:
        uninstall()
    n = max(1, counts.loaded)
    timed = {
        name: 1000 * sum(getattr(b, name + "_s") for b in probe.batches) / n
        for name in ("place", "lookup", "docs", "verify", "load", "serial")
    }
    return {
        "stored": point,
        "bulk_load_s": load_s,
        "index_build_s": build_s,
        "index_mb": index.nbytes / 2**20,
        "index_keys": len(index),
        **{f"{name}_ms": value for name, value in timed.items()},
        "peak_rss_mb_main": rss.peak_main / 2**20,
        "peak_pss_mb_total": rss.peak_pss / 2**20,
        "counts": counts.as_dict(),
    }


def cost_curve(batches: list[BatchTiming], checkpoints: tuple[int, ...]) -> list[dict[str, Any]]:
    """Per-article placement cost (ms) over the ~10 batches placed nearest each checkpoint."""
    curve = []
    for point in checkpoints:
        # a tenth of the run's batches (at most 10) around the point: several batches smooth
        # the noise, and the points of a short run stay apart
        window = max(1, min(10, len(batches) // 10))
        near = sorted(batches, key=lambda b: abs(b.stored_before - point))[:window]
        near = [b for b in near if b.articles]
        if not near or min(abs(b.stored_before - point) for b in near) > max(point * 0.2, 1_000):
            continue
        n = sum(b.articles for b in near)
        curve.append(
            {
                "stored": point,
                "place_ms": 1000 * sum(b.place_s for b in near) / n,
                "lookup_ms": 1000 * sum(b.lookup_s for b in near) / n,
                "docs_ms": 1000 * sum(b.docs_s for b in near) / n,
                "verify_ms": 1000 * sum(b.verify_s for b in near) / n,
                "load_ms": 1000 * sum(b.load_s for b in near) / n,
            }
        )
    return curve


def machine() -> dict[str, Any]:
    """The machine and what else keeps it busy (CPU % over one second), for the record."""
    processes = list(psutil.process_iter(["name", "cmdline"]))
    for p in processes:
        with contextlib.suppress(psutil.Error):
            p.cpu_percent(None)
    time.sleep(1.0)
    busy = []
    for p in processes:
        try:
            percent = p.cpu_percent(None)
        except psutil.Error:
            continue
        if percent >= 5 and p.pid != os.getpid():
            command = " ".join(p.info["cmdline"] or [p.info["name"] or "?"])[:80]
            busy.append((percent, command))
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": os.getloadavg(),
        "busy_processes": [f"{pct:.0f}% {cmd}" for pct, cmd in sorted(busy, reverse=True)[:8]],
    }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--mode", choices=sorted(MODES), default="quick")
    parser.add_argument("--articles", type=int, help="override the mode's corpus size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--checkpoints",
        help="comma-separated stored-corpus sizes for the dedupe cost (default: the mode's)",
    )
    args = parser.parse_args(argv)
    # A killed run (timeout, Ctrl-C) must still stop its PostgreSQL and remove its files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mode = MODES[args.mode]
    if args.checkpoints:
        points = tuple(int(p) for p in args.checkpoints.split(","))
        mode = Mode(mode.articles, mode.sample, mode.html_pages, points)
    result = run(args.mode, args.articles, args.seed, args.workers, mode)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{args.mode}-{result['date'][:19].replace(':', '')}.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    from bench.report import table

    print(table(result))
    print(f"\n(raw figures: {out})")
    return 0
