"""A body past MAX_BODY_CHARS is cut at a boundary within the bound, with a record."""

from __future__ import annotations

from pipeline.clean.article import BODY_PAST_BOUND, MAX_BODY_CHARS, build_article
from pipeline.extract.core import extract
from pipeline.models import RawInput
from tests.support.http_server import article_text


def _article(text: str) -> tuple[str, list[str]]:
    article = build_article(extract(RawInput("file:///long.txt", text.encode(), "", "text/plain")))
    return article.body, [r.text for r in article.removals if r.rule == BODY_PAST_BOUND]


def test_one_line_of_sentences_is_cut_after_a_sentence_within_the_bound() -> None:
    sentences = article_text(3, paragraphs=6000)
    body, notes = _article(" ".join(sentences))  # a dump without line breaks
    assert MAX_BODY_CHARS // 2 < len(body) <= MAX_BODY_CHARS
    assert body.endswith(".") and body.split(". ")[-1].rstrip(".") + "." in sentences
    assert len(notes) == 1 and f"cut at {len(body):,} of" in notes[0]


def test_a_body_within_the_bound_is_whole_and_has_no_record() -> None:
    text = "\n".join(article_text(4, paragraphs=20))
    body, notes = _article(text)
    assert body == text.replace("\n", "\n\n") and notes == []
