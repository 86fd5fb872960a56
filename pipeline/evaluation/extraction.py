"""`newsdedup eval extraction DIR`: trafilatura alone against this pipeline, on labelled pages.

A dataset folder holds `ground_truth.json` and `html/<file>.html[.gz]`, in one of the two
layouts of ../shared/datasets/extraction-dev:
- a list of records {html_file, text, link, title, authors, date, ...} (gold metadata too);
- a mapping file name -> {body: [paragraphs], url} (text only).

For each page the same HTML goes to trafilatura.extract (default, and favor_precision) and to
the pipeline's own path (pipeline.extract.core.extract, then
pipeline.clean.article.build_article with the site boilerplate learned so far), and all three
are scored with pipeline.evaluation.metric. Pages are processed in dataset order and the site
boilerplate is learned from each page after it is cleaned, as ingestion does; `learn_sites=False`
measures the general rules alone.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.clean.article import build_article
from pipeline.clean.site import SiteBoilerplate, line_keys
from pipeline.evaluation.metadata import (
    FIELDS,
    MetadataScore,
    gold_day,
    page_states_day,
    score_metadata,
)
from pipeline.evaluation.metric import GoldText, Score, gold_share, precision_recall, score
from pipeline.extract.core import Extracted, extract
from pipeline.extract.decode import decode
from pipeline.models import Article, ArticleMetadata, InputError, RawInput

TRAFILATURA_DEFAULT = "trafilatura (default)"
TRAFILATURA_PRECISION = "trafilatura (favor_precision)"
PIPELINE = "newsdedup"
WORST_PAGES = 10  # pages listed per set where the pipeline loses most against favor_precision
# A page this far below favor_precision's F1 is a failure of the pipeline, not a difference of
# taste (issue 39: a second article, page code, a teaser list kept).
LOST_PAGE_F1 = 0.3


@dataclass(frozen=True)
class GoldPage:
    id: str
    html_path: Path
    text: str
    url: str | None
    record: Mapping[str, Any] | None = None  # gold title, authors, date where the set has them


def load_pages(directory: Path) -> list[GoldPage]:
    """The pages of one dataset folder, in a stable order."""
    truth = json.loads((directory / "ground_truth.json").read_text(encoding="utf-8"))
    html_dir = directory / "html"
    if isinstance(truth, list):
        return [
            GoldPage(
                id=str(item["html_file"]),
                html_path=html_dir / item["html_file"],
                text=str(item["text"]),
                url=item.get("link") or None,
                record=item,
            )
            for item in truth
        ]
    if isinstance(truth, dict):
        return [
            GoldPage(
                id=name,
                html_path=html_dir / name,
                text="\n\n".join(item["body"]),
                url=item.get("url") or None,
            )
            for name, item in sorted(truth.items())
        ]
    raise ValueError(f"{directory / 'ground_truth.json'}: expected a list or a mapping")


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@dataclass
class PageRun:
    """What the worker processes compute for one page (the expensive, order-free part)."""

    page: GoldPage
    trafilatura_default: str
    trafilatura_precision: str
    extracted: Extracted | None
    error: str | None = None
    date_stated: bool | None = None  # whether the page states its gold day (None: no gold day)


def _run_page(page: GoldPage) -> PageRun:
    import trafilatura

    data = _read(page.html_path)
    html = decode(data)
    default = trafilatura.extract(html, url=page.url) or ""
    precision = trafilatura.extract(html, url=page.url, favor_precision=True) or ""
    raw = RawInput(
        source_uri=page.url or page.html_path.resolve().as_uri(),
        data=data,
        raw_sha256=hashlib.sha256(data).hexdigest(),
        content_type="text/html",
    )
    day = gold_day(page.record.get("date")) if page.record else None
    stated = page_states_day(html, day) if day else None
    try:
        return PageRun(page, default, precision, extract(raw), date_stated=stated)
    except InputError as exc:
        return PageRun(page, default, precision, None, exc.reason, stated)


@dataclass
class DatasetReport:
    name: str
    scores: dict[str, Score]
    metadata: MetadataScore | None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (page id, reason)
    other_languages: list[LanguagePage] = field(default_factory=list)
    losses: list[PageLoss] = field(default_factory=list)  # every page below favor_precision


@dataclass(frozen=True)
class PageLoss:
    """A page whose text the pipeline scores below trafilatura favor_precision's."""

    id: str
    pipeline_f1: float
    precision_f1: float
    pipeline_chars: int  # characters of the text each kept
    precision_chars: int

    @property
    def loss(self) -> float:
        return self.precision_f1 - self.pipeline_f1


def _f1(precision_recall_: tuple[float, float]) -> float:
    precision, recall = precision_recall_
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _losses(runs: Sequence[PageRun], cleaned: Cleaned) -> list[PageLoss]:
    """The pages where the pipeline scores below favor_precision, the largest loss first."""
    losses = []
    for run, body in zip(runs, cleaned.bodies, strict=True):
        ours = _f1(precision_recall(run.page.text, body))
        theirs = _f1(precision_recall(run.page.text, run.trafilatura_precision))
        if ours < theirs:
            losses.append(
                PageLoss(run.page.id, ours, theirs, len(body), len(run.trafilatura_precision))
            )
    return sorted(losses, key=lambda page: -page.loss)


@dataclass(frozen=True)
class LanguagePage:
    """A page not in English, shown on its own: the cleaner's phrase rules are English, and
    what they remove from such a page must not be its text."""

    id: str
    language: str
    pipeline: tuple[float, float]  # precision, recall
    trafilatura_precision: tuple[float, float]
    removed_chars: int
    removed_gold_chars: int


def _language_pages(runs: Sequence[PageRun], cleaned: Cleaned) -> list[LanguagePage]:
    pages: list[LanguagePage] = []
    for run, article in zip(runs, cleaned.articles, strict=True):
        language = article.metadata.language if article else None
        if article is None or language in (None, "en"):
            continue
        gold = GoldText.of(run.page.text)
        removals = [r for r in article.removals if r.applied]
        pages.append(
            LanguagePage(
                run.page.id,
                language,
                precision_recall(run.page.text, article.body),
                precision_recall(run.page.text, run.trafilatura_precision),
                sum(len(r.text) for r in removals),
                sum(round(gold_share(r.text, gold) * len(r.text)) for r in removals),
            )
        )
    return pages


@dataclass
class Cleaned:
    """The pipeline's result for every page of a set, in order: its article, or None."""

    articles: list[Article | None]
    errors: list[str | None]

    @property
    def bodies(self) -> list[str]:
        return [article.body if article else "" for article in self.articles]


def clean_all(
    runs: Sequence[PageRun], learn_sites: bool = True, disabled: Collection[str] = ()
) -> Cleaned:
    """Clean every extracted page in order, learning site boilerplate as ingestion does."""
    sites = SiteBoilerplate()
    cleaned = Cleaned([], [])
    for run in runs:
        if run.extracted is None:
            cleaned.articles.append(None)
            cleaned.errors.append(run.error)
            continue
        site = run.extracted.site
        known = sites.known(site) if learn_sites else ()
        try:
            article = build_article(copy.deepcopy(run.extracted), known, disabled)
        except InputError as exc:
            cleaned.articles.append(None)
            cleaned.errors.append(exc.reason)
            continue
        if learn_sites:
            sites.learn(site, line_keys(article.site_lines.values()))
        cleaned.articles.append(article)
        cleaned.errors.append(None)
    return cleaned


def extract_all(directory: Path, workers: int = 2) -> list[PageRun]:
    """trafilatura's two modes and the pipeline's extraction for every page (in processes)."""
    pages = load_pages(directory)
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(_run_page, pages, chunksize=4))


def score_runs(runs: Sequence[PageRun], cleaned: Cleaned) -> Score:
    return score(zip((run.page.text for run in runs), cleaned.bodies, strict=True))


def score_trafilatura(runs: Sequence[PageRun], favor_precision: bool) -> Score:
    texts = (r.trafilatura_precision if favor_precision else r.trafilatura_default for r in runs)
    return score(zip((run.page.text for run in runs), texts, strict=True))


def evaluate(directory: Path, workers: int = 2, learn_sites: bool = True) -> DatasetReport:
    return report_on(directory.name, extract_all(directory, workers), learn_sites)


def report_on(name: str, runs: Sequence[PageRun], learn_sites: bool = True) -> DatasetReport:
    """Score one set's extracted pages: trafilatura's two modes, the pipeline, metadata."""
    cleaned = clean_all(runs, learn_sites)
    scores = {
        TRAFILATURA_DEFAULT: score_trafilatura(runs, favor_precision=False),
        TRAFILATURA_PRECISION: score_trafilatura(runs, favor_precision=True),
        PIPELINE: score_runs(runs, cleaned),
    }
    metadata = [
        article.metadata if article else (run.extracted.metadata if run.extracted else None)
        for article, run in zip(cleaned.articles, runs, strict=True)
    ]
    gold_runs = [(meta, run) for meta, run in zip(metadata, runs, strict=True) if run.page.record]
    with_gold = [(meta or ArticleMetadata(), run.page.record or {}) for meta, run in gold_runs]
    stated = [run.date_stated for _, run in gold_runs]
    return DatasetReport(
        name=name,
        scores=scores,
        metadata=score_metadata(with_gold, stated) if with_gold else None,
        failures=[
            (run.page.id, error)
            for run, error in zip(runs, cleaned.errors, strict=True)
            if error is not None
        ],
        other_languages=_language_pages(runs, cleaned),
        losses=_losses(runs, cleaned),
    )


def _print_languages(console: Console, reports: Sequence[DatasetReport]) -> None:
    pages = [(report.name, page) for report in reports for page in report.other_languages]
    if not pages:
        return
    table = Table(title="Pages not in English (the phrase rules are English)")
    columns = ("dataset", "page", "language", "newsdedup P / R", "favor_precision P / R")
    for column in (*columns, "removed chars", "of which gold"):
        table.add_column(column, justify="left" if column in columns[:3] else "right")
    for name, page in pages:
        table.add_row(
            name, page.id[:28], page.language,
            "{:.3f} / {:.3f}".format(*page.pipeline),
            "{:.3f} / {:.3f}".format(*page.trafilatura_precision),
            str(page.removed_chars), str(page.removed_gold_chars),
        )  # fmt: skip
    console.print(table)


def _print_losses(console: Console, reports: Sequence[DatasetReport]) -> None:
    """The pages where the pipeline loses most against favor_precision, WORST_PAGES a set:
    a page lost to a second article or to page code shows here at once."""
    table = Table(
        title=f"Pages where the pipeline loses most against favor_precision ({WORST_PAGES} a set)"
    )
    for column in ("dataset", "page", "pipeline F1", "favor_precision F1", "chars kept (theirs)"):
        table.add_column(column, justify="left" if column in ("dataset", "page") else "right")
    for report in reports:
        for page in report.losses[:WORST_PAGES]:
            table.add_row(
                report.name, page.id[:36], f"{page.pipeline_f1:.3f}", f"{page.precision_f1:.3f}",
                f"{page.pipeline_chars:,} ({page.precision_chars:,})",
            )  # fmt: skip
    console.print(table)
    for report in reports:
        lost = sum(page.loss > LOST_PAGE_F1 for page in report.losses)
        console.print(
            f"{report.name}: {len(report.losses)} pages below favor_precision, "
            f"{lost} of them by more than {LOST_PAGE_F1} F1"
        )


def _rate(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "no gold"


def print_reports(console: Console, reports: Sequence[DatasetReport]) -> None:
    """One table of P/R/F1 per dataset and method, then metadata exact-match rates."""
    table = Table(title="Extraction quality (word 4-gram shingles, averaged per page)")
    for column in ("dataset", "method", "pages", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column in ("dataset", "method") else "right")
    for report in reports:
        for method, result in report.scores.items():
            table.add_row(
                report.name, method, str(result.documents),
                f"{result.precision:.4f}", f"{result.recall:.4f}", f"{result.f1:.4f}",
            )  # fmt: skip
    console.print(table)
    for report in reports:
        ours = report.scores[PIPELINE]
        f1_gain = ours.f1 - report.scores[TRAFILATURA_PRECISION].f1
        recall_change = ours.recall - report.scores[TRAFILATURA_DEFAULT].recall
        console.print(
            f"{report.name}: F1 {f1_gain:+.4f} over favor_precision, "
            f"recall {recall_change:+.4f} against default"
        )
        if report.failures:
            shown = ", ".join(f"{page} ({reason})" for page, reason in report.failures[:5])
            console.print(f"  {len(report.failures)} pages gave no article: {shown}")
    _print_losses(console, reports)
    _print_languages(console, reports)
    with_metadata = [r for r in reports if r.metadata is not None]
    if not with_metadata:
        return
    meta_table = Table(title="Metadata exact match (pages with gold)")
    for column in ("dataset", *FIELDS):
        meta_table.add_column(column, justify="left" if column == "dataset" else "right")
    for report in with_metadata:
        m = report.metadata
        assert m is not None
        meta_table.add_row(report.name, *(_rate(m.hits[f], m.gold[f]) for f in FIELDS))
    console.print(meta_table)
    for report in with_metadata:
        assert report.metadata is not None
        console.print(
            f"{report.name}: {report.metadata.unstated} of {report.metadata.gold['date']} gold "
            "dates are not stated anywhere on their page ('date stated' leaves them out)"
        )
