"""The text work of ingest, item by item: extract, clean, fingerprint and prepare the
verification doc. It runs in the workers of a process pool (text_pool) or, without one, in the
process that places the batches (pipeline/ingest/batch.py).

With a pool, the placing process never does text work itself, not even for a batch of one or
for an article cleaned again because its site learned a line: so it loads only what placement
reads (wordfreq's lists, for the verification docs of stored candidates), and the extraction
and cleaning models (trafilatura's, langid's, datasketch's) live once, in the fork server the
workers share them from.
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache, partial
from multiprocessing import forkserver
from typing import TypeVar

from pipeline.clean.article import build_article
from pipeline.config import Settings, ingest_workers
from pipeline.dedupe.compared import dedupe_text
from pipeline.dedupe.fingerprint import fingerprint
from pipeline.dedupe.place import Prepared
from pipeline.dedupe.stories import story_words
from pipeline.dedupe.verify import prepare
from pipeline.extract.core import Extracted, extract
from pipeline.ingest.memory import release_free_memory
from pipeline.models import Article, InputError, RawInput, Rejection
from pipeline.timelimit import ItemTimeout, time_limit

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")
# (extracted page, its site's known boilerplate lines, settings): one article to clean
CleanJob = tuple[Extracted, frozenset[str], Settings]
# Items per task sent to a worker: large enough that pickling round trips are amortised, small
# enough that two workers finish a 200-item batch together.
POOL_CHUNK = 8


def _guarded(source: RawInput, step: Callable[[], T], seconds: float) -> T | Rejection:
    """Run one item's text work within `seconds`. Never raises: a failure or an item that takes
    too long becomes a rejection with its reason."""
    try:
        with time_limit(seconds):
            return step()
    except ItemTimeout as exc:
        return Rejection(source.source_uri, "timeout", str(exc), source.raw_sha256)
    except InputError as exc:
        return Rejection(source.source_uri, exc.reason, exc.detail, source.raw_sha256)
    except Exception as exc:  # a bug must cost one input, not the batch
        log.exception("unexpected failure on %s", source.source_uri)
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return Rejection(source.source_uri, "internal_error", detail, source.raw_sha256)


_WARM_TEXT = (
    "Warm-up article. The council approved the budget for the new bridge on Monday, officials "
    "said, after months of debate about the cost of the project and its effect on traffic.\n"
    # A word no dictionary knows makes fingerprinting load every language's word frequencies.
    "Engineer Qxvortelm said the work begins in spring.\n"
) * 3


@cache
def warm_up() -> None:
    """Run the text work once, unlimited, before the first item of this process (and in each
    pool worker): the libraries load their models lazily (wordfreq's lists of 12 languages,
    seconds on a busy machine), which must not count against the time limit of whichever real
    input happens to come first, nor bill the first batch."""
    raw = RawInput("warm-up:", _WARM_TEXT.encode(), "", "text/plain")
    _text_work(build_article(extract(raw)), Settings.from_env())
    extract(RawInput("warm-up:", f"<html><body><p>{_WARM_TEXT}</p></body></html>".encode(), ""))


@cache
def warm_up_placement() -> None:
    """What a placing process with a pool loads: the word lists that verification docs of
    stored candidates are weighed with."""
    prepare(_WARM_TEXT, None, None)


def prepare_article(
    extracted: Extracted, site_boilerplate: Collection[str], settings: Settings
) -> Prepared | Rejection:
    def step() -> Prepared:
        return _text_work(build_article(extracted, site_boilerplate), settings)

    return _guarded(extracted.raw, step, settings.item_timeout)


def _text_work(article: Article, settings: Settings) -> Prepared:
    text = dedupe_text(article.metadata.title, article.body)
    doc = prepare(text, article.metadata.published_at, article.metadata.title)
    fingerprints = fingerprint(text, settings.fingerprint, doc.weights)
    return Prepared(article, fingerprints, doc, story_words(doc))


def extract_one(job: tuple[RawInput, float]) -> Extracted | Rejection:
    item, seconds = job
    return _guarded(item, partial(extract, item), seconds)


def prepare_one(job: CleanJob) -> Prepared | Rejection:
    return prepare_article(*job)


def submit_all(
    pool: Executor | None, step: Callable[[A], T], jobs: Sequence[A]
) -> Callable[[], list[T]]:
    """Start step of every job in the pool (without one: nothing yet); the returned function
    waits for, or computes, the results in order."""
    if pool is None:
        warm_up()
        return lambda: [step(job) for job in jobs]
    chunks = [jobs[i : i + POOL_CHUNK] for i in range(0, len(jobs), POOL_CHUNK)]
    futures = [pool.submit(_run_chunk, step, chunk) for chunk in chunks]
    return lambda: [result for future in futures for result in future.result()]


def _run_chunk(step: Callable[[A], T], jobs: Sequence[A]) -> list[T]:
    done = [step(job) for job in jobs]
    release_free_memory()
    return done


@contextmanager
def text_pool(workers: int | None = None) -> Iterator[Executor | None]:
    """A process pool for extraction and cleaning when more than one worker is asked for.

    Workers are forked from a fork server that has done the warm-up (pipeline/ingest/warmed.py):
    they share its ~300 MB of word lists and models copy-on-write instead of loading their own,
    so memory does not grow with the workers, and a pool starts in milliseconds once the server
    runs. Not forked from this process: it may hold a database connection and threads (rich's
    progress bar), which a child must not inherit.
    """
    workers = ingest_workers() if workers is None else workers
    if workers <= 1:
        yield None
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.ingest.warmed"])
    # Started now, the server warms up while this process loads what placement reads: the
    # pool's first submit would start it, and wait for its warm-up, only after that.
    forkserver.ensure_running()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=warm_up) as pool:
        warm_up_placement()
        yield pool
