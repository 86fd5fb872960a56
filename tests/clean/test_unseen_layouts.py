"""Layouts the dev sets hardly have (issue 19): an article laid out in a table, a standings
table inside a report, a quoted embedded post, a product sentence that reads like a prompt, and
a page whose every line a rule would take. Each page is written here, through the HTML path an
ingested page takes (pipeline.extract.core.extract, then build_article)."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.clean.article import KEPT_EXTRACTED, MOST_REMOVED, build_article
from pipeline.dedupe.compared import dedupe_text
from pipeline.extract.core import extract
from pipeline.models import Article, InputError, RawInput

REPORT = [
    "Kestrel Rovers moved three points clear at the top of the table on Saturday after a "
    "late header from their captain beat Harbour Athletic in front of a sold-out ground.",
    "The home side had trailed for most of the second half, and their manager said "
    "afterwards that the win was the hardest his young squad had earned all season.",
    "Athletic, who had not lost away since October, fall to third and face the leaders "
    "again in the cup quarter-final next month at the same stadium.",
]


def _article(html: str, url: str = "https://sport.example/report/1") -> Article:
    data = html.encode("utf-8")
    raw = RawInput(url, data, hashlib.sha256(data).hexdigest(), "text/html")
    return build_article(extract(raw))


def _page(body: str, title: str = "Rovers go three points clear") -> str:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{body}</article></body></html>"
    )


def test_a_standings_table_inside_a_report_is_kept_as_readable_rows() -> None:
    table = (
        "<table><tr><th>Team</th><th>Played</th><th>Points</th></tr>"
        "<tr><td>Kestrel Rovers</td><td>24</td><td>53</td></tr>"
        "<tr><td>Ostrava United</td><td>24</td><td>50</td></tr>"
        "<tr><td>Harbour Athletic</td><td>24</td><td>49</td></tr></table>"
    )
    article = _article(_page("".join(f"<p>{p}</p>" for p in REPORT) + table))
    rows = [
        "| Team | Played | Points |",
        "| Kestrel Rovers | 24 | 53 |",
        "| Ostrava United | 24 | 50 |",
        "| Harbour Athletic | 24 | 49 |",
    ]
    assert "\n".join(rows) in article.body.split("\n\n")
    assert all(p in article.body for p in REPORT)
    # Dedupe compares the prose: another report printing the same table is not its copy.
    compared = dedupe_text(article.metadata.title, article.body)
    assert "Ostrava United" not in compared and REPORT[0] in compared


@pytest.mark.parametrize("paragraph", ["{}<br><br>", "<p>{}</p>"])
def test_an_article_laid_out_in_a_table_is_not_lost(paragraph: str) -> None:
    # An old layout: one table, a navigation cell beside the cell that holds the article.
    article_cell = "".join(paragraph.format(p) for p in REPORT * 3)
    html = (
        "<html><head><title>Rovers go three points clear</title></head><body><table>"
        "<tr><td>Home<br>Sport<br>Weather</td>"
        f"<td><h2>Rovers go three points clear</h2>{article_cell}</td></tr>"
        "</table></body></html>"
    )
    article = _article(html)
    assert article.body.split("\n\n")[-3:] == REPORT
    assert "|" not in article.body
    assert article.audit is None


def test_an_embedded_post_keeps_its_words_and_loses_its_chrome() -> None:
    post = "The roof is finished and the stand opens for the derby on Saturday!"
    embed = (
        f'<blockquote class="twitter-tweet"><p>{post} pic.twitter.com/Ab12Cd34</p>'
        "— Kestrel Rovers (@kestrelrovers) March 2, 2024</blockquote>"
    )
    body = f"<p>{REPORT[0]}</p><p>The club announced it in a post:</p>{embed}<p>{REPORT[1]}</p>"
    article = _article(_page(body))
    assert post in article.body
    assert "@kestrelrovers" not in article.body and "pic.twitter" not in article.body
    removed = {(r.rule, r.text) for r in article.removals}
    assert ("social_embed", "pic.twitter.com/Ab12Cd34") in removed


def test_a_sentence_about_a_subscription_product_stays_and_the_publishers_pitch_goes() -> None:
    product = "Sign up for a Hulu ad-free account for $11.99 a month."
    pitch = "Sign up for our free sports newsletter."
    label = "Already a subscriber?"
    body = "".join(f"<p>{p}</p>" for p in [REPORT[0], product, REPORT[1], pitch, label])
    article = _article(_page(body, "Which streaming service costs what"))
    assert product in article.body
    assert pitch not in article.body and label not in article.body


def test_a_list_of_names_with_slashes_inside_an_article_is_not_a_breadcrumb() -> None:
    body = (
        f"<p>{REPORT[0]}</p><h2>Hip Hop / Rap / Grime</h2><ul><li>Little Simz</li>"
        f"<li>Central Cee</li></ul><p>{REPORT[1]}</p>"
    )
    assert "Hip Hop / Rap / Grime" in _article(_page(body)).body


def test_a_page_every_rule_would_empty_keeps_its_text_flagged_for_audit() -> None:
    # A listing page of short teaser lines: each reads as furniture to some rule.
    lines = [
        "READ MORE: Rovers sign a new goalkeeper",
        "Related: Athletic manager under pressure",
        "Watch: the late header from every angle",
        "Sign up for our newsletter",
        "Share this article",
        "© 2024 Sport Example",
    ]
    article = _article(_page("".join(f"<p>{line}</p>" for line in lines), "Sport"))
    assert article.audit == KEPT_EXTRACTED
    assert all(line in article.body for line in lines[:3])
    assert article.removals and not any(r.applied for r in article.removals)


def test_cleaning_that_removes_most_of_a_page_is_flagged() -> None:
    promos = "".join(
        f"<p>READ MORE: Another story about the league, part {n}</p>" for n in range(30)
    )
    article = _article(_page(f"<p>{REPORT[0]}</p><p>{REPORT[1]}</p>{promos}"))
    assert article.audit == MOST_REMOVED and article.removed_share > 0.5
    assert REPORT[0] in article.body and "READ MORE" not in article.body
    assert all(r.applied for r in article.removals)


def test_only_a_page_without_article_text_is_rejected() -> None:
    with pytest.raises(InputError) as error:
        _article("<html><head><title>Sport</title></head><body><nav>Home</nav></body></html>")
    assert error.value.reason == "no_article"


def test_english_phrase_rules_leave_an_article_in_another_language_alone() -> None:
    german = [
        "Der Stadtrat hat am Dienstag beschlossen, die alte Hafenbrücke ab März für Autos zu "
        "sperren, nachdem Ingenieure Korrosion an zwei Stahlträgern gefunden hatten.",
        "Der Newsletter des Ministeriums erreichte im Mai mehr als 40.000 Leser.",
        "Premium-Kunden der Fähre zahlen künftig zwölf Euro für die Überfahrt.",
        "Busse und Fahrräder dürfen die Brücke weiter benutzen, während ein Ersatzbau geplant "
        "wird, teilte der Verkehrsausschuss nach der Abstimmung mit.",
    ]
    chrome = "Sign up for our newsletter"
    body = "".join(f"<p>{p}</p>" for p in [*german, chrome])
    article = _article(_page(body, "Hafenbrücke wird für Autos gesperrt"))
    assert article.metadata.language == "de"
    assert all(p in article.body for p in german)
    assert chrome not in article.body  # the site's English chrome still goes
