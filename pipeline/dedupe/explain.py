"""`newsdedup explain ID1 ID2`: why two stored articles are, or are not, duplicates or one story.

It shows both what the database holds (groups and the stored links with the scores computed at
ingest) and a fresh comparison with the current settings, because two articles can be grouped
without a direct link (each linked to a third) and settings can change after ingest.

`explain` gathers it as data (`Explanation`, with `as_json` and `score_rows`), which both the
command line's printer and the ops plugin's article page show; `passage_spans` finds the shared
passages in a text, so a page can mark them.

The fresh comparison is bounded, because the api-server and the CLI run it on demand for any
two stored articles: it reads at most the first MAX_COMPARED_CHARS characters of each text
(title, then body), and it stops after ingest's per-item time limit (Settings.item_timeout,
NEWSDEDUP_ITEM_TIMEOUT). The explanation says when either happened (`Explanation.note`, and
`compared_now` in the JSON): the stored links were decided at ingest on the whole texts.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import store
from pipeline.config import DedupeSettings, Settings
from pipeline.dedupe import story_model
from pipeline.dedupe.compared import article_doc
from pipeline.dedupe.verify import SCORE_NAMES, Comparison, Decision, classify, compare
from pipeline.timelimit import ItemTimeout, time_limit

# At most this many characters of each text (its title, then its body) are compared afresh.
# The sentence alignment pairs each sentence with every sentence sharing a rare word, so on
# repetitive text it grows with the square of the length: 100,000 characters took 2.6 to
# 13.5 s, a 5 MB body more than 10 minutes. 30,000 is longer than nearly every news article
# and compares in about 0.25 s at worst (one sentence repeated; 2 cores, 2026-12).
MAX_COMPARED_CHARS = 30_000


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
    # the body as far as it was compared (a page shows it): at most MAX_COMPARED_CHARS
    # characters with the title
    body: str = field(default="", repr=False)
    # why it is in its story, as decided when it was placed (pipeline/dedupe/stories.py):
    # its cosine with the story's centroid and the runner-up; empty for articles placed
    # before stories were clustered as a stream
    story_reason: str = ""
    text_chars: int = 0  # characters of its title and whole body, as stored

    @property
    def cut(self) -> bool:
        """Only the first MAX_COMPARED_CHARS characters of its text were compared."""
        return self.text_chars > MAX_COMPARED_CHARS


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
    def compared(self) -> bool:
        """False when the fresh comparison ran out of time (its reason says so)."""
        return bool(self.comparison.scores)

    @property
    def level_now(self) -> str:
        if not self.compared:
            return "not compared"
        return self.decision.level or "neither duplicate nor same story"

    @property
    def note(self) -> str:
        """What the fresh comparison left out of the texts, in words ("" when nothing)."""
        cut = [info for info in (self.first, self.second) if info.cut]
        if not cut:
            return ""
        texts = " and ".join(f"#{info.id} ({info.text_chars:,})" for info in cut)
        return (
            f"compared only the first {MAX_COMPARED_CHARS:,} characters of a longer text: "
            f"{texts} characters of title and body. The stored links compared the whole texts."
        )

    def score_rows(self) -> list[tuple[str, float]]:
        """(signal, value) of the comparison now, then the same-story model's probability;
        none when it was not compared."""
        if not self.compared:
            return []
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
            "compared_now": {
                "level": self.decision.level,
                "reason": self.decision.reason,
                "note": self.note,
                # the bound, when it cut a text (else null)
                "compared_chars": MAX_COMPARED_CHARS if self.note else None,
            },
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
    conn: store.Connection,
    first_id: int,
    second_id: int,
    settings: DedupeSettings,
    seconds: float | None = None,
) -> Explanation:
    """The evidence on two stored articles. The fresh comparison reads at most
    MAX_COMPARED_CHARS characters of each text and stops after `seconds` (default: ingest's
    per-item limit, Settings.item_timeout); the explanation says when either happened."""
    rows, links, history, why = _stored(conn, first_id, second_id)
    a, b = rows[first_id], rows[second_id]
    model = story_model.shipped()
    limit = Settings.from_env().item_timeout if seconds is None else seconds
    comparison, decision, probability = _compare_now(a, b, settings, model, limit)
    return Explanation(
        first=_info(a, history[first_id], why[first_id]),
        second=_info(b, history[second_id], why[second_id]),
        comparison=comparison,
        decision=decision,
        stored_links=links,
        model_version=model.version,
        model_threshold=model.threshold,
        model_probability=probability,
    )


Row = tuple[Any, ...]  # id, title, source_uri, canonical_id, story_id, body (cut), ...
# the rows by id, the stored links, the revisions and the story reason of each
Stored = tuple[dict[int, Row], list[dict[str, Any]], dict[int, list[Any]], dict[int, str]]


def _stored(conn: store.Connection, first_id: int, second_id: int) -> Stored:
    """The two articles (their bodies as far as they are compared), their stored links,
    revisions and story assignments."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT id, title, source_uri, canonical_id, story_id, left(body, %s),
                      published_at, revision, char_length(body)
               FROM articles WHERE id = ANY(%s)""",
            (MAX_COMPARED_CHARS, [first_id, second_id]),
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
    return rows, links, history, why


def _compared_text(row: Row) -> tuple[str, str]:
    """The title and body a comparison reads: MAX_COMPARED_CHARS characters at most, title
    first (as dedupe reads an article: pipeline/dedupe/compared.py)."""
    title = (row[1] or "")[:MAX_COMPARED_CHARS]
    return title, row[5][: MAX_COMPARED_CHARS - len(title)]


def _compare_now(
    a: Row,
    b: Row,
    settings: DedupeSettings,
    model: story_model.StoryModel,
    seconds: float,
) -> tuple[Comparison, Decision, float]:
    """The comparison with the current settings, its decision and the model's probability;
    an empty comparison, its reason saying why, when it takes longer than `seconds`."""
    try:
        with time_limit(seconds):
            docs = [article_doc(*_compared_text(row), row[6]) for row in (a, b)]
            comparison = compare(docs[0], docs[1])
            probability = model.probability(comparison.scores)
            return comparison, classify(comparison.scores, settings, model), probability
    except ItemTimeout:
        reason = (
            f"comparing the two texts took longer than {seconds:g} s (NEWSDEDUP_ITEM_TIMEOUT, "
            "ingest's limit on one article's text work); the stored links are what ingest "
            "decided"
        )
        return Comparison({}), Decision(None, reason), -1.0


def _info(row: Row, revisions: list[tuple[int, str, str, str]], story_reason: str) -> ArticleInfo:
    article_id, title, source_uri, canonical_id, story_id, _, _, revision, body_chars = row
    text_chars = len(title or "") + body_chars
    return ArticleInfo(
        article_id, title, source_uri, canonical_id, story_id, revision, revisions,
        _compared_text(row)[1], story_reason, text_chars,
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
    if exp.note:
        console.print(f"[bold]Note:[/bold] {escape(exp.note)}", highlight=False)
    if not exp.compared:
        return
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
