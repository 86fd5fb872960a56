"""The seed articles: every boilerplate line named here goes, every article sentence stays."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipeline.clean import clean_paragraphs
from pipeline.extract.core import split_text
from tests.conftest import SAMPLES

# The lines of each seed that are not the article's own text, as they stand in the file.
BOILERPLATE = {
    "000": [],
    "001": [
        "Syria war: Russian raids from Iran base 'over for now'",  # title: moved to metadata
        "Russian air strikes from Iranian territory significantly shortened flight times for "
        "Russia's warplanes [EPA]",
        "Russia defends using Iran base for Syria air strikes",
        "READ MORE: Russia defends using Iran base for Syria air raids",
        "READ MORE: Civilian deaths mount after Syrian regime loses ground",
        "SOURCE: Al Jazeera and agencies",
        "Interactive: Coding like a girl",
        "What obstacles do young women in technology have to overcome to achieve their dreams? "
        "Play this retro game to find out.",
        "Why America's Russia hysteria is dangerous",
        "The US exaggerating and obsessing about foreign threats seems quite similar to what is "
        "happening in Russia.",
        "Heron Gate mass eviction: 'We never expected this in Canada'",
        "Hundreds face mass eviction in Canada's capital",
        "About 150 homes in one of Ottawa's most diverse and affordable communities are expected "
        "to be torn down in coming months",
    ],
    "002": [
        "Russia withdraws part of its forces but does not leave its two military bases",
        "-",
        "PREV Al Ballouz murder trial: jury begins deliberations",
        "NEXT Mercato – OM: A transfer negotiated in the middle of a match?",
    ],
    "003": [
        "Russia withdraws equipment from Syrian bases, but will not abandon them, in new deal "
        "talks with HTS",
        "By bnm Gulf bureau December 15, 2024",
        "News",
        "Dismiss",
    ],
    "004": [
        "# US-Russian tensions rise over Syria",
        "Bill Van Auken",
        "17 September 2015",
        "To contact the WSWs and the Socialist Equality Party visit:",
        "**[wsws.org/contact](http://wsws.org/contact)**",
    ],
}
# Text that is not the article's but sits inside a line of it.
INLINE_BOILERPLATE = {"003": [" / bne IntelliNews"]}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\\$", "$")).strip()


def _seed(prefix: str) -> str:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _sentences(line: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?”\"])\s+", _normal(line)) if s]


@pytest.mark.parametrize("prefix", sorted(BOILERPLATE))
def test_no_boilerplate_survives(prefix: str) -> None:
    result = clean_paragraphs(split_text(_seed(prefix)))
    paragraphs = {_normal(p) for p in result.paragraphs}
    body = _normal(result.body)
    for line in BOILERPLATE[prefix]:
        assert _normal(line) not in paragraphs, f"boilerplate kept: {line!r}"
    for fragment in INLINE_BOILERPLATE.get(prefix, []):
        assert _normal(fragment) not in body
    # No line-level layout artefact of any listed kind, whatever its words.
    for paragraph in result.paragraphs:
        assert re.search(r"\w", paragraph), "lone punctuation line kept"
        assert not re.match(r"(PREV|NEXT|READ MORE|SOURCE:)\b", paragraph)
        assert paragraph not in {"Dismiss", "News"}
    if result.metadata.title:
        assert _normal(result.metadata.title) not in paragraphs


@pytest.mark.parametrize("prefix", sorted(BOILERPLATE))
def test_every_sentence_of_the_article_stays(prefix: str) -> None:
    result = clean_paragraphs(split_text(_seed(prefix)))
    body = _normal(result.body)
    boilerplate = {_normal(line) for line in BOILERPLATE[prefix]}
    own_lines = [
        line
        for line in _seed(prefix).splitlines()
        if line.strip() and _normal(line) not in boilerplate
    ]
    assert own_lines
    for line in own_lines:
        for fragment in INLINE_BOILERPLATE.get(prefix, []):
            line = line.replace(fragment, "")
        for sentence in _sentences(line):
            assert sentence in body, f"lost: {sentence!r}"


def test_paragraphs_broken_mid_sentence_are_rejoined() -> None:
    result = clean_paragraphs(split_text(_seed("004")))
    assert any("outside of Assad’s ouster. Some European officials" in p for p in result.paragraphs)
    assert any(
        p.endswith("at least as much territory as it did a year ago.") for p in result.paragraphs
    )
    assert "$" in result.body and "\\$" not in result.body


def test_metadata_moves_out_of_the_body() -> None:
    bne = clean_paragraphs(split_text(_seed("003"))).metadata
    assert bne.published_at is not None and bne.published_at.date() == date(2024, 12, 15)
    assert bne.authors == ["bnm Gulf bureau"]
    assert bne.credit == "bne IntelliNews"
    wsws = clean_paragraphs(split_text(_seed("004"))).metadata
    assert wsws.title == "US-Russian tensions rise over Syria"
    assert wsws.published_at is not None and wsws.published_at.date() == date(2015, 9, 17)
    assert wsws.authors == ["Bill Van Auken"]
    aljazeera = clean_paragraphs(split_text(_seed("001"))).metadata
    assert aljazeera.title == "Syria war: Russian raids from Iran base 'over for now'"
    assert aljazeera.credit == "Al Jazeera and agencies"
    assert clean_paragraphs(split_text(_seed("000"))).metadata.title is None


def test_every_removal_is_recorded_with_its_rule() -> None:
    result = clean_paragraphs(split_text(_seed("002")))
    rules = [r.rule for r in result.removals]
    assert rules.count("repeated_title") == 3
    assert rules.count("lone_punctuation") == 2
    assert rules.count("navigation") == 2
