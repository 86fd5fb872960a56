"""The `newsdedup` command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import psycopg2
from rich.console import Console

from pipeline import store
from pipeline.config import (
    PROJECT_ROOT,
    ConfigError,
    Settings,
    file_settle_seconds,
    whole_number,
)
from pipeline.dedupe import explain
from pipeline.ingest.batch import ingest_files
from pipeline.models import Rejection
from pipeline.ops import report
from pipeline.sources.config import SourceConfigError, fetch_pools, load_sources
from pipeline.sources.files import discover_files, is_supported
from pipeline.store import database

log = logging.getLogger(__name__)

# The shared development data sets, next to the repository (../shared/datasets).
DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"

PIPED_WIDTH = 10_000
# The largest --limit: more rows than a terminal or a script wants, far below the database's
# integer range (2**31 - 1 failed as a statement, with a traceback).
MAX_COUNT = 1_000_000
# PostgreSQL reads UTC offsets up to 15:59; Python's up to 23:59.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


def _connect(url: str | None) -> store.Connection:
    conn = database.connect(database.resolve_database_url(url))
    store.apply_migrations(conn)
    return conn


def cmd_ingest(args: argparse.Namespace, console: Console) -> int:
    from pipeline.ingest.backfill import ingest_warcs
    from pipeline.ingest.crawl import process_pages
    from pipeline.ingest.progress import counted_inputs
    from pipeline.sources.fetch import FetchError, canonical_url
    from pipeline.sources.warc import is_warc

    settings = Settings.from_env()
    if args.allow_private_addresses:
        fetch = dataclasses.replace(settings.fetch, allow_private_addresses=True)
        settings = dataclasses.replace(settings, fetch=fetch)
    urls = [p for p in args.paths if p.startswith(("http://", "https://"))]
    local = [p for p in args.paths if p not in urls]
    try:
        found = discover_files(
            local,
            wanted=lambda path: is_supported(path) or is_warc(path),
            follow_links_out=args.follow_links_out,
            settle_seconds=file_settle_seconds(),
        )
        urls = [canonical_url(u) for u in urls]
    except (FileNotFoundError, FetchError) as exc:
        return _fail(str(exc))
    warcs = [path for path in found.inputs if is_warc(path)]
    files: list[Path | Rejection] = [path for path in found.inputs if not is_warc(path)]
    files += found.skipped
    for path in found.waiting:
        console.print(f"[yellow]waiting:[/yellow] {path} was modified just now; run again later")
    url = database.resolve_database_url(args.database_url)
    conn = database.connect(url)
    store.apply_migrations(conn)
    try:
        with _cli_run(conn, url) as run_id:
            if files:
                with counted_inputs(console, "files", len(files)) as on_batch:
                    ingest_files(conn, run_id, files, settings, on_batch)
            if warcs:
                ingest_warcs(
                    conn, run_id, warcs, settings, console, since=args.since, until=args.until
                )
            if urls:
                with counted_inputs(console, "pages", len(urls)) as on_batch:
                    process_pages(conn, run_id, "cli", urls, settings, on_batch=on_batch)
    except store.StaleFingerprints as exc:
        return _fail(str(exc))
    counts = store.finish_run(conn, run_id)
    report.print_run(console, run_id, counts, store.run_rejections(conn, run_id))
    if counts.loaded + counts.revised + counts.unchanged == 0:
        # Nothing is in the database that was not before: a script must be able to tell.
        print("newsdedup: nothing loaded", file=sys.stderr)
        return 1
    return 0


@contextmanager
def _cli_run(conn: store.Connection, url: str) -> Iterator[int]:
    """A run of the command line: its id; marked failed, with the error, when its work raises
    (the error goes on: the caller reports it)."""
    run_id = store.start_run(conn, "cli")
    try:
        yield run_id
    except BaseException as exc:
        # stale fingerprints are a message for the user (reindex), anything else an error
        stale = isinstance(exc, store.StaleFingerprints)
        _fail_run(conn, url, run_id, str(exc) if stale else f"{type(exc).__name__}: {exc}")
        raise


def _fail_run(conn: store.Connection, url: str, run_id: int, error: str) -> None:
    """Mark the run failed, on a new connection when the database dropped ours (a restart):
    a run must not stay 'running' forever because the server went away under it. The batch
    that was in flight was rolled back by the server; nothing of it is stored."""
    for attempt in range(10):
        try:
            if conn.closed:
                conn = database.connect(url)
            conn.rollback()
            store.finish_run(conn, run_id, error=error)
            return
        except psycopg2.Error as exc:
            log.warning("could not mark run %s failed (attempt %d): %s", run_id, attempt + 1, exc)
            time.sleep(1.0)
    log.error("run %s stays 'running': the database did not come back", run_id)


def _utc_date(value: str) -> datetime:
    """A --since/--until value: an ISO date or date-time, UTC unless it says otherwise."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2026-12-01 or 2026-12-01T06:00, not {value!r}"
        ) from None
    offset = when.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise argparse.ArgumentTypeError(
            f"{value!r} ends in a UTC offset of more than 15:59, which no time zone has"
        )
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    """A count flag such as --limit, read as settings are (config.whole_number)."""
    try:
        number = whole_number(value, "the value", minimum=1)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if number > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"the value must be at most {MAX_COUNT:,}, not {value}")
    return number


def cmd_summary(args: argparse.Namespace, console: Console) -> int:
    conn = _connect(args.database_url)
    report.print_summary(console, report.summarise(conn, args.limit))
    return 0


def cmd_search(args: argparse.Namespace, console: Console) -> int:
    conn = _connect(args.database_url)
    hits = report.search(conn, args.query, since=args.since, outlet=args.outlet, limit=args.limit)
    if args.json:
        print(json.dumps(hits, default=lambda value: value.isoformat(), ensure_ascii=False))
    else:
        report.print_search(console, args.query, hits)
    return 0


def cmd_sources(args: argparse.Namespace, console: Console) -> int:
    """The configured sources with their DAGs, or (`pools`) their fetch pools as JSON."""
    configured = load_sources(Path(args.file) if args.file else None)
    if args.action == "pools":
        print(json.dumps(fetch_pools(configured), indent=2))
    else:
        rows = [
            {"source": s.name, "kind": s.kind, "dag": s.dag_id, "schedule": s.schedule,
             "enabled": "yes" if s.enabled else "no (DAG paused)",
             "pool": s.fetch_pool or "-", "location": s.location}
            for s in configured
        ]  # fmt: skip
        report.print_sources(console, rows)
    return 0


def cmd_explain(args: argparse.Namespace, console: Console) -> int:
    conn = _connect(args.database_url)
    try:
        result = explain.explain(conn, args.first, args.second, Settings.from_env().dedupe)
    except explain.NotFound as exc:
        return _fail(str(exc))
    explain.print_explanation(console, result)
    return 0


def cmd_eval(args: argparse.Namespace, console: Console) -> int:
    if args.target != "dedupe":  # other targets register their own handler
        return _fail(f"unknown evaluation target {args.target}")
    from pipeline.evaluation import dedupe as evaluation

    settings = Settings.from_env()
    console.print(
        "path: fingerprint -> LSH candidates -> verify -> place, as ingest runs it; LSH buckets "
        "in an in-memory index equivalent to the lsh_buckets table (no database)",
        highlight=False,
    )
    if args.pairs is not None and args.multilingual is not None:
        from pipeline.dedupe.story_model import MODEL_FILE, shipped
        from pipeline.evaluation.story_fit import eval_model

        started = time.monotonic()
        written = MODEL_FILE if args.fit else None
        for line in eval_model(args.pairs, args.multilingual, settings, written):
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"  ({time.monotonic() - started:.1f}s)")
        shipped.cache_clear()  # what follows places with the model just written
    for path, run in ((args.pairs, evaluation.eval_pairs), (args.naeb, evaluation.eval_synthetic)):
        if path is None:
            continue
        if not path.exists():
            return _fail(f"{path} does not exist")
        started = time.monotonic()
        for line in run(path, settings, args.limit):
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"  ({time.monotonic() - started:.1f}s)")
    if args.ablations and args.pairs is not None and args.naeb is not None:
        started = time.monotonic()
        for line in evaluation.eval_ablations(args.pairs, args.naeb, settings, args.limit):
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"  ({time.monotonic() - started:.1f}s)")
    return 0


def psql_command(url: str) -> str:
    """A psql command line for the URL, preferring the psql that ships with pgserver."""
    psql = shutil.which("psql") or "psql"
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        bundled = Path(POSTGRES_BIN_PATH) / "psql"
        if bundled.exists():
            psql = str(bundled)
    except ImportError:
        pass
    return f"{psql} '{url}'"


def cmd_db(args: argparse.Namespace, console: Console) -> int:
    if args.action == "stop":
        stopped = database.stop_embedded()
        console.print("embedded database stopped" if stopped else "embedded database not running")
        return 0
    if args.action == "psql":
        print(psql_command(database.resolve_database_url(args.database_url)))
        return 0
    url = database.resolve_database_url(args.database_url)
    if args.action == "migrate":
        conn = database.connect(url)
        applied = store.apply_migrations(conn)
        console.print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")
        return 0
    if args.action == "reindex":
        from pipeline.dedupe.reindex import reindex

        conn = database.connect(url)
        store.apply_migrations(conn)
        done = reindex(
            conn, Settings.from_env(), on_batch=lambda last: console.print(f"up to id {last}")
        )
        console.print(f"fingerprinted again: {done} articles")
        return 0
    if args.action == "start":
        conn = database.connect(url)
        store.apply_migrations(conn)
    print(url)  # plain print: `newsdedup db url` is meant for $(...) in shells
    return 0


def cmd_eval_extraction(args: argparse.Namespace, console: Console) -> int:
    from pipeline.evaluation import extraction

    missing = [d for d in args.datasets if not (d / "ground_truth.json").is_file()]
    if missing:
        return _fail(f"no ground_truth.json in {', '.join(map(str, missing))}")
    learn_sites = not args.no_site_learning
    runs = {d.name: extraction.extract_all(d, args.workers) for d in args.datasets}
    reports = [extraction.report_on(name, pages, learn_sites) for name, pages in runs.items()]
    extraction.print_reports(console, reports)
    if args.rules:
        from pipeline.evaluation import rules

        sets = [rules.collect(name, pages, learn_sites) for name, pages in runs.items()]
        fits = [rules.cross_fit(a, b, learn_sites) for a in sets for b in sets if a is not b]
        rules.print_evidence(console, sets, fits)
    return 0


def _ingest_into(url: str, files: Sequence[Path], console: Console) -> None:
    """Load files into the database at `url` as `newsdedup ingest` does, in a run of its own."""
    from pipeline.ingest.progress import counted_inputs

    conn = _connect(url)
    try:
        with (
            _cli_run(conn, url) as run_id,
            counted_inputs(console, "files", len(files)) as on_batch,
        ):
            ingest_files(conn, run_id, list(files), Settings.from_env(), on_batch)
        store.finish_run(conn, run_id)
    finally:
        conn.close()


def cmd_eval_stories(args: argparse.Namespace, console: Console) -> int:
    from pipeline.evaluation import stories, story_report

    options = stories.Options(args.threshold, args.seed, not args.no_reshuffle, args.keep)
    server = database.resolve_database_url(args.database_url)
    try:
        results = stories.evaluate_streams(
            args.dirs, server, lambda url, files: _ingest_into(url, files, console), options,
            lambda line: console.print(line, highlight=False, soft_wrap=True),
        )  # fmt: skip
    except stories.StreamError as exc:
        return _fail(str(exc))
    replayed = {r.name: {t: s.f1 for t, s in r.product_curve.items()} for r in results}
    report = story_report.build_report(results, {story_report.PRODUCT: replayed})
    story_report.print_report(console, report, args.threshold)
    if args.json:
        figures = story_report.as_json(report, dataclasses.asdict(options))
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0


def _add_eval_stories(eval_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    streams = eval_sub.add_parser(
        "stories", help="B-cubed of the stories on labelled streams, beside plain baselines"
    )
    streams.add_argument(
        "dirs", nargs="+", type=Path, metavar="DIR",
        help="stream folders: labels.json and docs/*.html (or the pages beside labels.json)",
    )  # fmt: skip
    streams.add_argument("--database-url", help="server of the scratch databases; as ingest's")
    streams.add_argument(
        "--threshold", type=float, default=0.25, help="the baseline's cosine threshold (0.25)"
    )
    streams.add_argument("--seed", type=int, default=0, help="of the reshuffled order (0)")
    streams.add_argument(
        "--no-reshuffle", action="store_true", help="skip the second run in another order"
    )
    streams.add_argument("--keep", action="store_true", help="keep the scratch databases")
    streams.add_argument("--json", type=Path, metavar="FILE", help="write every figure here")
    streams.set_defaults(handler=cmd_eval_stories)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdedup", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    db_url_help = "libpq URL; default $NEWSDEDUP_DATABASE_URL, else the embedded server"
    ingest = sub.add_parser("ingest", help="run the whole pipeline over files or folders")
    ingest.add_argument(
        "paths",
        nargs="+",
        help=".txt/.html/.htm files (or .gz), .warc/.warc.gz archives, folders, or http(s) URLs",
    )
    ingest.add_argument("--database-url", help=db_url_help)
    ingest.add_argument("--since", type=_utc_date, help="WARC records captured from this date")
    ingest.add_argument("--until", type=_utc_date, help="WARC records captured before this date")
    ingest.add_argument(
        "--allow-private-addresses", action="store_true",
        help="fetch URLs on private, loopback or link-local addresses (refused by default)",
    )  # fmt: skip
    ingest.add_argument(
        "--follow-links-out", action="store_true",
        help="read symbolic links in a folder that lead out of it (skipped by default)",
    )  # fmt: skip
    ingest.set_defaults(handler=cmd_ingest)

    summary = sub.add_parser("summary", help="print canonical articles, duplicates, rejects")
    summary.add_argument("--database-url", help=db_url_help)
    summary.add_argument("--limit", type=_positive, default=50)
    summary.set_defaults(handler=cmd_summary)

    search = sub.add_parser(
        "search", help="ranked full-text search of the canonical articles (title and body)"
    )
    search.add_argument(
        "query", help='words, "a phrase", or, -word (as a web search engine reads them)'
    )
    search.add_argument("--since", type=_utc_date, help="only articles published from this date")
    search.add_argument("--outlet", help="only articles of this outlet (exact name)")
    search.add_argument("--limit", type=_positive, default=20, help="at most N articles (20)")
    search.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    search.add_argument("--database-url", help=db_url_help)
    search.set_defaults(handler=cmd_search)

    explain_cmd = sub.add_parser(
        "explain", help="why two articles are or are not duplicates or one story"
    )
    explain_cmd.add_argument("first", type=int, metavar="ID1")
    explain_cmd.add_argument("second", type=int, metavar="ID2")
    explain_cmd.add_argument("--database-url", help=db_url_help)
    explain_cmd.set_defaults(handler=cmd_explain)

    evaluate = sub.add_parser("eval", help="measure quality on labelled development data")
    eval_sub = evaluate.add_subparsers(dest="target", required=True)
    dedupe = eval_sub.add_parser(
        "dedupe", help="pairwise P/R/F1 of duplicates and stories (same-story pairs, copies)"
    )
    dedupe.add_argument(
        "--pairs", type=Path, default=DATASETS / "same-story-dev" / "pairs.jsonl",
        help="SemEval-style pairs.jsonl (overall <= 1.5 same story, >= 2.5 different)",
    )  # fmt: skip
    dedupe.add_argument(
        "--multilingual", type=Path,
        default=DATASETS / "same-story-dev" / "pairs-multilingual.jsonl",
        help="more pairs, in other languages and across languages, that the same-story model is "
        "fitted and cross-validated on with --pairs",
    )  # fmt: skip
    dedupe.add_argument(
        "--fit", action="store_true",
        help="write the same-story model fitted on both pair sets to pipeline/dedupe/"
        "story_model.json (what the product ships)",
    )  # fmt: skip
    dedupe.add_argument(
        "--naeb", type=Path, default=DATASETS / "extraction-dev" / "naeb",
        help="folder with ground_truth.json, the gold texts the wire copies are made from",
    )  # fmt: skip
    dedupe.add_argument("--limit", type=int, help="only the first N pairs / gold articles")
    dedupe.add_argument(
        "--ablations", action="store_true",
        help="both sets again with each dedupe rule switched off in turn (about 2 minutes)",
    )  # fmt: skip
    dedupe.set_defaults(handler=cmd_eval)

    extraction = eval_sub.add_parser(
        "extraction", help="boilerplate removal and metadata against gold pages"
    )
    extraction.add_argument(
        "datasets", nargs="*", type=Path,
        default=[DATASETS / "extraction-dev" / "naeb", DATASETS / "extraction-dev" / "fundus"],
        help="folders with ground_truth.json and html/ (default: the extraction-dev sets)",
    )  # fmt: skip
    extraction.add_argument("--workers", type=int, default=2, help="processes for extraction")
    extraction.add_argument(
        "--no-site-learning", action="store_true", help="general rules only, no learned lines"
    )
    extraction.add_argument(
        "--rules", action="store_true",
        help="per rule: removed characters that are gold text, F1 with the rule off, and the "
        "cross-fit (rules kept on one set's evidence, scored on the other)",
    )  # fmt: skip
    extraction.set_defaults(handler=cmd_eval_extraction)
    _add_eval_stories(eval_sub)

    sources = sub.add_parser(
        "sources",
        help="list the configured sources and their DAGs; `pools`: their fetch pools as JSON "
        "for `airflow pools import`",
    )
    sources.add_argument("action", nargs="?", choices=["list", "pools"], default="list")
    sources.add_argument(
        "--file", help="sources file; default $NEWSDEDUP_SOURCES, else sources.toml"
    )
    sources.set_defaults(handler=cmd_sources)

    db = sub.add_parser(
        "db",
        help="the database: url, start, stop, migrate, psql; reindex (fingerprint stored "
        "articles again after MinHash/LSH settings changed)",
    )
    db.add_argument("action", choices=["url", "start", "stop", "migrate", "psql", "reindex"])
    db.add_argument("--database-url", help=db_url_help)
    db.set_defaults(handler=cmd_db)

    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {metadata.version('newsdedup')}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Piped into a file or another program, lines are as long as their content: a table is
    # never cut to a terminal's width that is not there.
    console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    handler = args.handler
    try:
        result: int = handler(args, console)
    except (ConfigError, SourceConfigError) as exc:  # a setting, sources file or database URL
        return _fail(str(exc))
    except psycopg2.InterfaceError as exc:  # a connection the server dropped, used again
        return _fail(f"lost the connection to the database: {_first_line(exc)}")
    except psycopg2.Error as exc:
        if exc.pgcode is None:  # no statement answered: refused, unreachable, unknown db, auth
            return _fail(f"cannot connect to the database: {_first_line(exc)}")
        # The server refused a statement: a search query too long, a statement timeout, a
        # value out of range. Its own message says which.
        return _fail(f"the database refused the request: {_first_line(exc)}")
    return result


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _fail(message: str) -> int:
    """An expected failure: one line on stderr, exit status 2 (no traceback)."""
    print(f"newsdedup: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
