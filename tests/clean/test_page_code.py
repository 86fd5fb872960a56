"""No page code in a body (issue 39): pages built with a <noscript> holding markup, a script
inside the <article>, and inline JSON, script and CSS that reached the paragraphs as text. The
article's own paragraphs stay; what went is recorded as page_code."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.clean.article import build_article
from pipeline.extract.core import extract
from pipeline.models import RawInput

PARAGRAPHS = [
    "The city council voted on Tuesday to approve the new library budget after a debate "
    "that ran past midnight, with nine members in favour and four against.",
    "The budget adds two branch libraries in the north of the city and restores Sunday "
    "opening hours that were cut three years ago to save money.",
    "Opponents said the money should have gone to road repairs, and one member called the "
    "plan a luxury the city could not afford while potholes went unfilled.",
    "The mayor is expected to sign the budget next week, and the first of the new branches "
    "could open by the end of next year, the council's finance chair said.",
]
CODE_BLOCKS = {
    "noscript_markup": '<noscript><div class="ad"><img src="/pixel.gif"></div></noscript>'
    '<script id="kinja-data" type="application/json">{"meta":{"blog":{"id":1}}}</script>',
    "script_in_article": "<script>window.googletag = window.googletag || {cmd: []};"
    "for (var rtiPartner in rtiData) { push(rtiPartner); }</script>",
    "json_as_text": '<p>{"meta":{"blog":{"id":17,"name":"Harbour"},"post":{"id":2}}}</p>',
    "script_as_text": "<p>window.googletag = window.googletag || {cmd: []};</p>"
    "<p>for (var rtiPartner in rtiData) { googletag.cmd.push(function() { x(); }); }</p>",
    "css_as_text": "<p>.share-bar { display: flex; margin: 0 auto; } .a { color: #333; }</p>",
    "escaped_markup_as_text": '<p>&lt;/noscript&gt;&lt;script id="kinja-data" '
    'type="application/json"&gt;{"meta":{}}&lt;/script&gt;</p>',
}


def _page(code: str) -> RawInput:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2]) + code
    body += "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    html = (
        "<html><head><title>Library budget approved</title></head><body><article>"
        f"<h1>Library budget approved</h1>{body}</article></body></html>"
    )
    data = html.encode()
    digest = hashlib.sha256(data).hexdigest()
    return RawInput("https://news.example/library", data, digest, "text/html")


@pytest.mark.parametrize("name", sorted(CODE_BLOCKS))
def test_no_page_code_is_stored_and_the_article_is(name: str) -> None:
    article = build_article(extract(_page(CODE_BLOCKS[name])))
    assert [p for p in article.body.split("\n") if p] == PARAGRAPHS
    for sign in ("{", "}", "<", ">", "window.", "googletag"):
        assert sign not in article.body
