"""`newsdedup explain ID1 ID2`: why two stored articles are, or are not, duplicates or one story.

It shows both what the database holds (groups and the stored links with the scores computed at
ingest) and a fresh comparison with the current settings, because two articles can be grouped
without a direct link (each linked to a third) and settings can change after ingest.

`explain` gathers it as data (`Explanation`, with `as_json` and `score_rows`), which both the
command line's printer and the ops plugin's article page show; `passage_spans` finds the shared
passages in a text, so a page can mark them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import store
from pipeline.config import DedupeSettings
from pipeline.dedupe import story_model
from pipeline.dedupe.compared import article_doc
from pipeline.dedupe.verify import SCORE_NAMES, Comparison, Decision, classify, compare


@dataclass
class ArticleInfo:
    id: int
    title: str | None
    source_uri: str
    canonical_id: int
    story_id: int
    revision: int = 1
    # (revision, fetched_at, body_sha256, what changed) when the article was revised
    revisions: list[tuple[int, str, str, str]] = field(default_factory=list)
    body: str = field(default="", repr=False)  # the text compared (a page shows it)
    # why it is in its story, as decided when it was placed (pipeline/dedupe/stories.py):
    # its cosine with the story's centroid and the runner-up; empty for articles placed
    # before stories were clustered as a stream
    story_reason: str = ""


@dataclass
class Explanation:
    first: ArticleInfo
    second: ArticleInfo
    comparison: Comparison
    decision: Decision
    stored_links: list[dict[str, Any]] = field(default_factory=list)
    model_version: str = ""  # the shipped same-story model's version
    model_threshold: float = 0.0
    model_probability: float = 0.0  # its probability for the pair, compared now

    @property
    def grouped_as(self) -> str:
        """What the database says about the pair."""
        a, b = self.first, self.second
        if a.canonical_id == b.canonical_id:
            return f"duplicates (one canonical article: {a.canonical_id})"
        if a.story_id == b.story_id:
            return f"one story ({a.story_id}), both canonical"
        return "not grouped"

    @property
    def level_now(self) -> str:
        return self.decision.level or "neither duplicate nor same story"

    def score_rows(self) -> list[tuple[str, float]]:
        """(signal, value) of the comparison now, then the same-story model's probability."""
        rows = [(name, self.comparison.scores[name]) for name in SCORE_NAMES]
        label = f"same-story probability ({self.model_version}, threshold {self.model_threshold:g})"
        return [*rows, (label, self.model_probability)]

    def as_json(self) -> dict[str, Any]:
        """Everything `newsdedup explain` prints, as JSON-able data."""
        return {
            "first": {k: v for k, v in asdict(self.first).items() if k != "body"},
            "second": {k: v for k, v in asdict(self.second).items() if k != "body"},
            "grouped_as": self.grouped_as,
            "stored_links": store.jsonable(self.stored_links),
            "compared_now": {"level": self.decision.level, "reason": self.decision.reason},
            "scores": dict(self.comparison.scores),
            "story_model": {
                "version": self.model_version,
                "threshold": self.model_threshold,
                "probability": self.model_probability,
            },
            "shared_passages": [
                {"first": mine, "second": theirs}
                for mine, theirs in self.comparison.shared_passages
            ],
        }


class NotFound(LookupError):
    pass


def explain(
    conn: store.Connection, first_id: int, second_id: int, settings: DedupeSettings
) -> Explanation:
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT id, title, source_uri, canonical_id, story_id, body, published_at,
                      revision
               FROM articles WHERE id = ANY(%s)""",
            ([first_id, second_id],),
        )
        rows = {row[0]: row for row in cur.fetchall()}
        missing = [i for i in (first_id, second_id) if i not in rows]
        if missing:
            raise NotFound(f"no article with id {', '.join(map(str, missing))}")
        cur.execute(
            """SELECT article_id, matched_id, level, similarity, method, reason, scores,
                      shared_passages, created_at
               FROM article_matches
               WHERE (article_id, matched_id) IN ((%s, %s), (%s, %s))""",
            (first_id, second_id, second_id, first_id),
        )
        names = [c.name for c in cur.description or []]
        links = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        history = {i: store.revisions_of(cur, i) for i in (first_id, second_id)}
        why = {i: _story_reason(store.story_assignment(cur, i)) for i in (first_id, second_id)}
    a, b = rows[first_id], rows[second_id]
    comparison = compare(article_doc(a[1], a[5], a[6]), article_doc(b[1], b[5], b[6]))
    model = story_model.shipped()
    return Explanation(
        first=_info(a, history[first_id], why[first_id]),
        second=_info(b, history[second_id], why[second_id]),
        comparison=comparison,
        decision=classify(comparison.scores, settings, model),
        stored_links=links,
        model_version=model.version,
        model_threshold=model.threshold,
        model_probability=model.probability(comparison.scores),
    )


def _info(
    row: tuple[Any, ...], revisions: list[tuple[int, str, str, str]], story_reason: str
) -> ArticleInfo:
    article_id, title, source_uri, canonical_id, story_id, body, _, revision = row
    return ArticleInfo(
        article_id, title, source_uri, canonical_id, story_id, revision, revisions, body,
        story_reason,
    )  # fmt: skip


def _story_reason(assignment: store.Assignment | None) -> str:
    if assignment is None:
        return ""
    _, _, runner_up, runner_up_score, reason = assignment
    if runner_up is None:
        return f"{reason}; no other open story among its candidates"
    return f"{reason}; runner-up: story {runner_up}, cosine {runner_up_score:.2f}"


def describe(info: ArticleInfo) -> str:
    role = "canonical" if info.canonical_id == info.id else f"duplicate of {info.canonical_id}"
    title = info.title or "(no title)"
    revised = f", revision {info.revision}" if info.revision > 1 else ""
    return f"{info.id} [{role}, story {info.story_id}{revised}] {title} — {info.source_uri}"


def print_explanation(console: Console, exp: Explanation) -> None:
    # escaped: "[canonical, story 3]" would otherwise be read as rich markup and vanish
    console.print(f"[bold]A[/bold] {escape(describe(exp.first))}", highlight=False)
    console.print(f"[bold]B[/bold] {escape(describe(exp.second))}", highlight=False)
    for name, info in (("A", exp.first), ("B", exp.second)):
        if info.story_reason:
            console.print(f"  {name} {escape(info.story_reason)}", highlight=False)
        for revision, fetched_at, _, change in info.revisions:
            said = change or "first text loaded"
            console.print(f"  {name} revision {revision} ({fetched_at}): {said}", highlight=False)
    if exp.first.revisions or exp.second.revisions:
        console.print(
            "Stored links were decided on the texts of their time; 'Compared now' compares the "
            "latest revisions."
        )
    console.print(f"[bold]In the database:[/bold] {exp.grouped_as}")
    if not exp.stored_links:
        through = exp.grouped_as != "not grouped"
        console.print(
            "No direct link is stored between them"
            + (": they are grouped through other articles." if through else ".")
        )
    for link in exp.stored_links:
        console.print(
            f"Stored link {link['article_id']} -> {link['matched_id']}: {link['level']} "
            f"by {link['method']} (similarity {link['similarity']:.3f}), {link['reason']}",
            highlight=False,
        )
    console.print(
        f"[bold]Compared now:[/bold] {exp.level_now} — {exp.decision.reason}", highlight=False
    )
    table = Table(title="Scores (current settings)", title_justify="left")
    table.add_column("signal")
    table.add_column("value", justify="right")
    for name, value in exp.score_rows():
        table.add_row(name, f"{value:.4g}")
    console.print(table)
    if exp.comparison.shared_passages:
        console.print("[bold]Passages the two texts share[/bold] (A ⇄ B):")
        for mine, theirs in exp.comparison.shared_passages:
            console.print(f"  A: {mine}\n  B: {theirs}\n", highlight=False)
    else:
        console.print("No sentence of one text has a counterpart in the other.")


def passage_spans(text: str, passages: list[str]) -> list[tuple[int, int, int]]:
    """Where each passage stands in `text`: (start, end, index into passages), in text order,
    never overlapping. Whitespace may differ (sentences are compared with it folded); a passage
    not found (a title, when `text` is the body) is left out."""
    spans: list[tuple[int, int, int]] = []
    for index, passage in enumerate(passages):
        words = passage.split()
        if not words:
            continue
        pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
        for found in pattern.finditer(text):
            start, end = found.span()
            if all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, index))
                break
    return sorted(spans)
