"""Text as it enters: invalid characters replaced and mojibake repaired, once, in extract()."""

from __future__ import annotations

from typing import Any

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


def test_ftfy_badness_needs_a_non_ascii_character_within_reach() -> None:
    """What may_hold_mojibake relies on, checked against the installed ftfy: every branch of
    the badness regex needs a non-ASCII character, and no match is longer than reach + 1."""
    import re._constants as c
    import re._parser as parser

    from ftfy.badness import BADNESS_RE

    from pipeline.text.characters import MOJIBAKE_REACH

    tree = parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert tree.getwidth()[1] <= MOJIBAKE_REACH + 1

    def never_ascii(op: Any, av: Any) -> bool:
        if op == c.LITERAL:
            return bool(av >= 128)
        if op == c.IN:
            if any(o in (c.NEGATE, c.CATEGORY) for o, _ in av):
                return False
            return all((x if o == c.LITERAL else x[0]) >= 128 for o, x in av)
        if op == c.SUBPATTERN:
            return any(never_ascii(o, a) for o, a in av[-1])
        return False

    (op, (_, branches)), *rest = list(tree)
    assert op == c.BRANCH and not rest
    for branch in branches:
        assert any(never_ascii(o, a) for o, a in branch), branch


def test_the_near_search_finds_what_ftfy_finds() -> None:
    import random

    from ftfy.badness import is_bad

    from pipeline.text.characters import may_hold_mojibake

    words = ["café", "naïve", "Größe", "объявил", "Ελλάδα", "العربية", "हिन्दी", "£5", "—", "’s"]
    broken = [
        w.encode("utf-8").decode(codec, errors="ignore")
        for w in words
        for codec in ("windows-1252", "latin-1", "windows-1251", "mac_roman", "windows-1253")
    ]
    filler = ["The council met on Tuesday.", "  ", "«Bonjour» à tous", "объявил", "x", "\n"]
    rng = random.Random(23)
    checked = bad = 0
    for _ in range(3000):
        parts = rng.choices(filler + words, k=rng.randint(1, 12))
        if rng.random() < 0.5:
            parts.insert(rng.randint(0, len(parts)), rng.choice(broken))
        text = rng.choice(["", " ", "a"]) + "".join(parts)
        assert may_hold_mojibake(text) == is_bad(text), text
        checked += 1
        bad += is_bad(text)
    assert checked == 3000 and 300 < bad < 2700  # both answers were exercised
