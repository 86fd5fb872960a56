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

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.clean.article import build_article
from pipeline.clean.site import SiteBoilerplate, line_keys
from pipeline.evaluation.metadata import FIELDS, MetadataScore, score_metadata
from pipeline.evaluation.metric import Score, score
from pipeline.extract.core import Extracted, extract
from pipeline.extract.decode import decode
from pipeline.models import ArticleMetadata, InputError, RawInput

TRAFILATURA_DEFAULT = "trafilatura (default)"
TRAFILATURA_PRECISION = "trafilatura (favor_precision)"
PIPELINE = "newsdedup"


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
class _PageRun:
    """What the worker processes compute for one page (the expensive, order-free part)."""

    page: GoldPage
    trafilatura_default: str
    trafilatura_precision: str
    extracted: Extracted | None
    error: str | None = None


def _run_page(page: GoldPage) -> _PageRun:
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
    try:
        return _PageRun(page, default, precision, extract(raw))
    except InputError as exc:
        return _PageRun(page, default, precision, None, exc.reason)


@dataclass
class DatasetReport:
    name: str
    scores: dict[str, Score]
    metadata: MetadataScore | None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (page id, reason)


def _clean_all(runs: Sequence[_PageRun], learn_sites: bool) -> tuple[list[str], list[Any]]:
    sites = SiteBoilerplate()
    bodies: list[str] = []
    metadata: list[ArticleMetadata] = []
    for run in runs:
        if run.extracted is None:
            bodies.append("")
            metadata.append(ArticleMetadata())
            continue
        site = run.extracted.site
        try:
            article = build_article(run.extracted, sites.known(site) if learn_sites else ())
        except InputError as exc:
            run.error = exc.reason
            bodies.append("")
            metadata.append(run.extracted.metadata)
            continue
        if learn_sites:
            sites.learn(site, line_keys(article.site_lines.values()))
        bodies.append(article.body)
        metadata.append(article.metadata)
    return bodies, metadata


def evaluate(directory: Path, workers: int = 2, learn_sites: bool = True) -> DatasetReport:
    pages = load_pages(directory)
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        runs = list(pool.map(_run_page, pages, chunksize=4))
    bodies, metadata = _clean_all(runs, learn_sites)
    golds = [run.page.text for run in runs]
    scores = {
        TRAFILATURA_DEFAULT: score(zip(golds, (r.trafilatura_default for r in runs), strict=True)),
        TRAFILATURA_PRECISION: score(
            zip(golds, (r.trafilatura_precision for r in runs), strict=True)
        ),
        PIPELINE: score(zip(golds, bodies, strict=True)),
    }
    records = [(meta, run.page.record) for meta, run in zip(metadata, runs, strict=True)]
    with_gold = [(meta, record) for meta, record in records if record is not None]
    return DatasetReport(
        name=directory.name,
        scores=scores,
        metadata=score_metadata(with_gold) if with_gold else None,
        failures=[(run.page.id, run.error) for run in runs if run.error],
    )


def evaluate_all(
    directories: Iterable[Path], workers: int = 2, learn_sites: bool = True
) -> list[DatasetReport]:
    return [evaluate(directory, workers, learn_sites) for directory in directories]


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
