"""HTML extraction: the page's declared article body when trafilatura takes another block."""

from __future__ import annotations

import hashlib
import json

import pytest

from pipeline.clean.article import build_article
from pipeline.extract.core import extract
from pipeline.extract.html import with_declared_body, with_standfirst
from pipeline.extract.metadata import declared_body, parse_page, standfirst
from pipeline.models import InputError, RawInput

SENTENCES = [
    f"The harbour commission voted {n} times on the dredging plan before agreeing that "
    f"section {n} of the channel would be deepened by spring, officials said on Tuesday."
    for n in range(1, 11)
]
ARTICLE = "\n\n".join(SENTENCES)
RAIL = "".join(
    f'<li><a href="/story/{n}"><span>Year in review</span><h2>Teaser headline number {n} '
    f"about another story entirely</h2><small>By Staff Dec {n}, 2023</small></a></li>"
    for n in range(1, 13)
)


def _raw(html: str) -> RawInput:
    data = html.encode("utf-8")
    return RawInput(
        source_uri="https://news.example/harbour/dredging",
        data=data,
        raw_sha256=hashlib.sha256(data).hexdigest(),
        content_type="text/html",
    )


def _page(body_html: str, article_body: str | None) -> str:
    declared = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Dredging"}
    if article_body is not None:
        declared["articleBody"] = article_body
    return (
        "<html><head><title>Dredging plan approved</title>"
        f'<script type="application/ld+json">{json.dumps(declared)}</script></head>'
        f"<body>{body_html}</body></html>"
    )


def test_declared_body_rescues_a_page_whose_visible_text_is_a_teaser_rail() -> None:
    # The article itself is drawn by script; only the rail of other stories is in the HTML.
    html = _page(f'<div id="app"></div><ul class="rail">{RAIL}</ul>', ARTICLE)
    without = extract(_raw(_page(f'<div id="app"></div><ul class="rail">{RAIL}</ul>', None)))
    assert not any("harbour commission" in str(paragraph) for paragraph in without.paragraphs)

    body = build_article(extract(_raw(html))).body
    for sentence in SENTENCES:
        assert sentence in body


def test_declared_body_is_not_added_when_the_extracted_text_holds_it() -> None:
    visible = "<article>" + "".join(f"<p>{s}</p>" for s in SENTENCES) + "</article>"
    body = build_article(extract(_raw(_page(visible, ARTICLE)))).body
    assert body.count(SENTENCES[0]) == 1
    assert body.split("\n\n") == SENTENCES


def test_a_short_declared_body_is_only_a_summary_and_is_not_added() -> None:
    found = [("A live blog entry about the match, with the score after ninety minutes.", "p")]
    summary = "Villa beat Luton 3-2 with a late goal."
    assert with_declared_body(found, summary) == found
    assert with_declared_body(found, None) == found


def test_declared_body_with_markup_and_no_extracted_text() -> None:
    markup = "".join(f"<p>{s}</p>" for s in SENTENCES)
    body = build_article(extract(_raw(_page("<div id='app'></div>", markup)))).body
    assert all(sentence in body for sentence in SENTENCES)
    assert "<p>" not in body
    with pytest.raises(InputError):
        extract(_raw(_page("<div id='app'></div>", None)))


DEK = "Three villages along the river were cut off for two days before the water fell."


def _described(body_html: str, description: str = DEK) -> str:
    return (
        f'<html><head><meta property="og:description" content="{description}"></head>'
        f"<body>{body_html}</body></html>"
    )


def test_standfirst_is_the_description_only_when_readers_see_it() -> None:
    shown = _described(f'<header><h1>Floods</h1><p class="dek">{DEK}</p></header>')
    assert standfirst(parse_page(shown)) == DEK
    assert standfirst(parse_page(_described("<h1>Floods</h1>"))) is None
    in_script = _described(f"<h1>Floods</h1><script>var dek = '{DEK}';</script>")
    assert standfirst(parse_page(in_script)) is None
    cut = "Three villages along the river were cut off for two..."
    assert standfirst(parse_page(_described(f"<p>{cut}</p>", cut))) is None


def test_standfirst_goes_first_unless_the_extracted_text_has_it() -> None:
    found = [(SENTENCES[0], "p"), (SENTENCES[1], "p")]
    assert with_standfirst(found, DEK) == [(DEK, "lead"), *found]
    holding = [(f"{DEK} {SENTENCES[0]}", "p")]
    assert with_standfirst(holding, DEK) == holding
    assert with_standfirst(found, None) == found


def test_declared_body_undoes_entities_and_markup() -> None:
    assert (
        declared_body(parse_page(_page("", "Fish &amp; chips rose 5%."))) == "Fish & chips rose 5%."
    )
    marked = _page("", "<p>First &amp; foremost.</p><p>Second.</p>")
    assert declared_body(parse_page(marked)) == "First & foremost.\nSecond."
    assert declared_body(parse_page(_page("", None))) is None
