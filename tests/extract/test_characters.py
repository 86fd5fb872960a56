"""Text as it enters: invalid characters replaced and mojibake repaired, once, in extract()."""

from __future__ import annotations

import pytest

from pipeline.clean.article import build_article
from pipeline.extract.core import extract
from pipeline.models import RawInput
from pipeline.text.characters import CharacterReport, valid_text
from tests.support.http_server import article_html


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Ann\x00 Lee", "Ann Lee"),
        ("Bridge \ud800 opens", "Bridge \ufffd opens"),
        ("end\uffff", "end\ufffd"),
        ("bell\x07 and escape\x1b", "bell and escape"),
        ("tab\tand newline\nstay", "tab\tand newline\nstay"),
        ("CafÃ© â€” councilâ€™s vote", "Café — council’s vote"),
        ("The fare is Â£5", "The fare is £5"),
        # text that is right as it is stays so: accents, Cyrillic, curly quotes, ligatures
        ("Größenverhältnisse “quoted” ﬁne", "Größenverhältnisse “quoted” ﬁne"),
        ("объявил «Bonjour» à tous", "объявил «Bonjour» à tous"),
    ],
)
def test_valid_text(given: str, stored: str) -> None:
    assert valid_text(given) == stored


def test_the_report_says_what_was_replaced_and_where() -> None:
    report = CharacterReport()
    report.valid_text("a\x00b\x00", "authors")
    report.valid_text("x\ud800", "title")
    assert report.describe() == "2 NULs, 1 lone surrogate in authors, title"


def test_mojibake_in_a_page_and_its_metadata_is_repaired_and_noted() -> None:
    page = article_html(3, title="CafÃ© owners win").replace(
        b"</article>",
        "<p>The councilâ€™s vote was 7â€“2 on Monday, the clerk said.</p></article>".encode(),
    )
    article = build_article(extract(RawInput("http://x.test/a", page, "sha", "text/html")))
    assert article.metadata.title == "Café owners win"
    assert "The council’s vote was 7–2 on Monday" in article.body
    notes = [r.text for r in article.removals if r.rule == "repaired_characters"]
    assert len(notes) == 1 and "mojibake repair" in notes[0]
