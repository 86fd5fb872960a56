"""The cleaner's rules on text they were not written from: they key on shapes, not strings."""

from __future__ import annotations

from pipeline.clean import clean_paragraphs

ARTICLE = [
    "Flooding closes mountain passes as storm moves east",
    "Home > Weather > Europe",
    "By Maria Gonzalez and Tom Price",
    "Updated March 3, 2023",
    "Heavy rain forced the closure of three mountain passes on Tuesday, officials said, "
    "as the storm system moved east across the region toward the coast.",
    "Rescue teams reached two stranded villages by helicopter, the regional governor told "
    "reporters at an evening briefing in the provincial capital.",
    "A bridge damaged by the flood waters near the town of Ostrava (Photo: Jan Novak/CTK)",
    "Related: Storm warnings issued for the weekend",
    "Forecasters expect the rain to ease by Thursday, but warned that rivers could keep "
    "rising for several days after the storm has passed.",
    "Sign up for our daily weather newsletter",
    "Share this article",
    "© 2023 Example Media Group. All rights reserved.",
]


def test_general_rules_on_an_unseen_layout() -> None:
    result = clean_paragraphs(ARTICLE)
    assert result.metadata.title == ARTICLE[0]
    assert result.metadata.authors == ["Maria Gonzalez", "Tom Price"]
    assert result.metadata.published_at is not None
    assert result.metadata.published_at.date().isoformat() == "2023-03-03"
    assert result.paragraphs == [ARTICLE[4], ARTICLE[5], ARTICLE[8]]
    assert {r.rule for r in result.removals} >= {
        "navigation",
        "byline",
        "dateline",
        "caption",
        "promo",
        "prompt",
        "interface_text",
        "copyright",
    }


def test_sentences_that_merely_mention_boilerplate_words_stay() -> None:
    paragraphs = [
        "Voters who did not sign up before the deadline were turned away at several polling "
        "stations, election observers said on Sunday evening.",
        "Next year the council plans to review the rules, the mayor said.",
        "Read the full report on the ministry's website, the statement added, before the "
        "committee meets next month to discuss it.",
    ]
    assert clean_paragraphs(paragraphs).paragraphs == paragraphs


def test_repeated_sentence_inside_one_article_is_kept_when_not_adjacent() -> None:
    quote = "The ceasefire must hold, the envoy said in a statement on Monday morning."
    paragraphs = [
        quote,
        "Talks resumed in Geneva after a two-week pause, with both delegations present for "
        "the first time since the spring.",
        quote,
    ]
    assert clean_paragraphs(paragraphs).paragraphs == paragraphs
