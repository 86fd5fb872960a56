"""The tables and the JSON of `newsdedup eval stories`.

Thresholds are fitted two ways for every method that can be replayed at several of them:
in-sample (the stream's own best) and cross-fitted (chosen on the other streams, scored on
this one: stories.cross_fit): the TF-IDF baseline's threshold, and the product's story_join
replayed in memory (story_replay.py), given as `extra_curves`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.evaluation.metric import Score
from pipeline.evaluation.stories import StreamResult, cross_fit
from pipeline.evaluation.story_checks import Merge
from pipeline.evaluation.story_store import StoredArticle

BASELINE = "baseline"
PRODUCT = "newsdedup, replayed (story_join)"
EXAMPLES = 3
# stream -> threshold -> B-cubed F1 of one method's stories at that threshold
ThresholdCurves = Mapping[str, Mapping[float, float]]


@dataclass(frozen=True)
class Fitted:
    """One method's threshold per stream: (threshold, B-cubed F1 on the stream)."""

    in_sample: dict[str, tuple[float, float]]
    cross_fitted: dict[str, tuple[float, float]]  # empty with one stream


@dataclass(frozen=True)
class StoryReport:
    streams: list[StreamResult]
    fitted: dict[str, Fitted]  # method -> its fitted thresholds; BASELINE first


def build_report(
    results: Sequence[StreamResult], extra_curves: Mapping[str, ThresholdCurves] | None = None
) -> StoryReport:
    """The figures of every stream, with the thresholds of the baseline and of each of
    `extra_curves` (method -> its curves) fitted in-sample and cross-fitted."""
    baseline = {r.name: {t: s.f1 for t, s in r.baseline_curve.items()} for r in results}
    curves: dict[str, ThresholdCurves] = {BASELINE: baseline, **(extra_curves or {})}
    fitted = {method: _fit(curve) for method, curve in curves.items()}
    return StoryReport(list(results), fitted)


def _fit(curves: ThresholdCurves) -> Fitted:
    in_sample = {
        stream: max(curve.items(), key=lambda item: (item[1], -item[0]))
        for stream, curve in curves.items()
        if curve
    }
    return Fitted(in_sample, cross_fit({stream: dict(curve) for stream, curve in curves.items()}))


def _prf(score: Score) -> tuple[str, str, str]:
    return f"{score.precision:.3f}", f"{score.recall:.3f}", f"{score.f1:.3f}"


def _fitted_cell(fit: tuple[float, float] | None) -> str:
    return f"{fit[1]:.3f} (t {fit[0]:.3f})" if fit else "-"


def _method_rows(report: StoryReport, r: StreamResult, threshold: float) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        ("newsdedup stories", "", *_prf(r.product)),
        ("each alone", "", *_prf(r.alone)),
        ("baseline: TF-IDF single pass", f"{threshold:.3f}", *_prf(r.baseline)),
    ]
    for method, fitted in report.fitted.items():
        fits_by_how = {"in-sample best": fitted.in_sample, "cross-fitted": fitted.cross_fitted}
        for how, fits in fits_by_how.items():
            fit = fits.get(r.name)
            if fit is None:
                continue
            score = r.baseline_curve.get(fit[0]) if method == BASELINE else None
            p, rc = (f"{score.precision:.3f}", f"{score.recall:.3f}") if score else ("-", "-")
            rows.append((f"{method}: {how}", f"{fit[0]:.3f}", p, rc, f"{fit[1]:.3f}"))
    return rows


def _merge_line(merge: Merge, labels: Mapping[str, str]) -> str:
    """A duplicate and its canonical: file, [event], title."""

    def side(article: StoredArticle) -> str:
        event = labels.get(article.stem, "unlabelled")
        return f"{article.stem} [{event}] {article.title!r}"

    return escape(f"    {side(merge.duplicate)}\n      -> {side(merge.canonical)}")


def print_stream(console: Console, report: StoryReport, r: StreamResult, threshold: float) -> None:
    title = f"{r.name}: B-cubed of stories against the events ({r.labelled} labelled articles)"
    table = Table(title=escape(title), title_justify="left")
    for column in ("method", "threshold", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for row in _method_rows(report, r, threshold):
        table.add_row(*row)
    console.print(table)
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(r.rejected.items()))
    labelled = r.labelled
    lines = [
        f"  {r.files} files; {r.loaded} of {labelled} labelled articles loaded, {r.not_loaded} "
        f"not (scored as stories of one){f': rejected {reasons}' if reasons else ''}",
        f"  duplicates: {r.duplicates} stored; across events: {len(r.cross_event)} "
        f"({_share(len(r.cross_event), labelled)} of the labelled articles)",
        *(_merge_line(m, r.labels) for m in r.cross_event[:EXAMPLES]),
        f"  largest story: {r.largest_story} labelled articles; largest event: {r.largest_event}",
        f"  duplicate merges sharing no sentence: {len(r.unshared)} of {r.duplicates}",
        *(_merge_line(m, r.labels) for m in r.unshared[:EXAMPLES]),
        f"  reshuffled (each day's files in another order): B-cubed F1 between the two runs' "
        f"stories {_number(r.reshuffle_f1)}",
        *(f"  kept database: {url}" for url in r.databases),
        f"  ({r.seconds:.0f}s)",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def print_summary(console: Console, report: StoryReport, threshold: float) -> None:
    table = Table(title="Stories, B-cubed (summary)", title_justify="left")
    columns = ["stream", "articles", "P", "R", "F1", "each alone", f"baseline {threshold:.3f}"]
    for method in report.fitted:
        columns += [f"{method} in-sample", f"{method} cross-fitted"]
    columns += ["dup. across events", "largest story / event", "no shared sentence", "reshuffle F1"]
    for column in columns:
        table.add_column(column, justify="left" if column == "stream" else "right")
    for r in report.streams:
        cells = [r.name, str(r.labelled), *_prf(r.product)]
        cells += [f"{r.alone.f1:.3f}", f"{r.baseline.f1:.3f}"]
        for fitted in report.fitted.values():
            cells += [_fitted_cell(fitted.in_sample.get(r.name)),
                      _fitted_cell(fitted.cross_fitted.get(r.name))]  # fmt: skip
        cells += [
            f"{len(r.cross_event)} ({_share(len(r.cross_event), r.labelled)})",
            f"{r.largest_story} / {r.largest_event}",
            f"{len(r.unshared)} / {r.duplicates}",
            _number(r.reshuffle_f1),
        ]
        table.add_row(*cells)
    console.print(table)


def print_report(console: Console, report: StoryReport, threshold: float) -> None:
    for result in report.streams:
        print_stream(console, report, result, threshold)
        console.print()
    print_summary(console, report, threshold)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _score_json(score: Score) -> dict[str, float]:
    return {"precision": score.precision, "recall": score.recall, "f1": score.f1,
            "articles": score.documents}  # fmt: skip


def _merge_json(merge: Merge, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        role: {"file": a.stem, "event": labels.get(a.stem), "title": a.title}
        for role, a in (("duplicate", merge.duplicate), ("canonical", merge.canonical))
    }


def _fitted_json(fitted: Fitted, stream: str) -> dict[str, dict[str, float] | None]:
    fits = {"in_sample": fitted.in_sample, "cross_fitted": fitted.cross_fitted}
    return {
        how: {"threshold": fit[0], "f1": fit[1]} if (fit := by_stream.get(stream)) else None
        for how, by_stream in fits.items()
    }


def _stream_json(r: StreamResult, report: StoryReport) -> dict[str, Any]:
    return {
        "stream": r.name,
        "files": r.files,
        "labelled": r.labelled,
        "loaded": r.loaded,
        "not_loaded": r.not_loaded,
        "rejected": r.rejected,
        "product": _score_json(r.product),
        "each_alone": _score_json(r.alone),
        "baseline": _score_json(r.baseline),
        "baseline_curve": {f"{t:.3f}": _score_json(s) for t, s in r.baseline_curve.items()},
        "product_curve": {f"{t:.3f}": _score_json(s) for t, s in r.product_curve.items()},
        "fitted": {method: _fitted_json(f, r.name) for method, f in report.fitted.items()},
        "duplicates": r.duplicates,
        "duplicates_across_events": len(r.cross_event),
        "duplicates_across_events_share": len(r.cross_event) / r.labelled if r.labelled else 0,
        "duplicates_across_events_examples": [_merge_json(m, r.labels) for m in r.cross_event],
        "largest_story": r.largest_story,
        "largest_event": r.largest_event,
        "merges_sharing_no_sentence": len(r.unshared),
        "merges_sharing_no_sentence_examples": [_merge_json(m, r.labels) for m in r.unshared],
        "reshuffle_f1": r.reshuffle_f1,
        "seconds": round(r.seconds, 1),
    }


def as_json(report: StoryReport, options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "options": dict(options),
        "streams": [_stream_json(r, report) for r in report.streams],
    }
