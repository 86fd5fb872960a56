"""HTML metadata on small hand-written pages, and the exact-match comparisons of the evaluation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipeline.evaluation.metadata import authors_match, date_matches, score_metadata, title_matches
from pipeline.extract.metadata import (
    clean_author_names,
    metadata_from_html,
    parse_timestamp,
    strip_site_suffix,
)
from pipeline.models import ArticleMetadata
from pipeline.text.dates import find_written_dates

EDT = timezone(timedelta(hours=-4))
BODY = "<p>Officials said the repairs would take several weeks to complete.</p>"


def page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}{BODY}</body></html>"


def json_ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_json_ld_article_gives_title_date_authors_outlet() -> None:
    article = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "NewsMediaOrganization", "name": "Harbour Courier"},
            {
                "@type": "NewsArticle",
                "headline": "Bridge closes for repairs after late-night inspection",
                "datePublished": "2023-05-04T22:00:00-04:00",
                "dateModified": "2023-05-06T09:00:00-04:00",
                "author": [
                    {"@type": "Person", "name": "Maria Gonzalez"},
                    {"@type": "Organization", "name": "Harbour Courier"},
                    {"@type": "Person", "name": "Tom Price"},
                ],
            },
        ],
    }
    html = page(
        json_ld(article)
        + "<title>Bridge closes for repairs after late-night inspection | Harbour Courier</title>"
        + '<link rel="canonical" href="/news/bridge-closes">',
        "<h1>Bridge closes for repairs after late-night inspection</h1>",
    )
    meta = metadata_from_html(html, "https://www.harbour.example/amp/bridge", {})
    assert meta.title == "Bridge closes for repairs after late-night inspection"
    assert meta.published_at == datetime(2023, 5, 4, 22, 0, tzinfo=EDT)
    assert meta.published_at is not None and meta.published_at.date() == date(2023, 5, 4)
    assert meta.authors == ["Maria Gonzalez", "Tom Price"]
    assert meta.outlet == "Harbour Courier"
    assert meta.canonical_url == "https://www.harbour.example/news/bridge-closes"


def test_utc_meta_stamp_takes_the_local_day_the_page_shows() -> None:
    # 02:00 UTC on May 5 is 22:00 on May 4 in New York: the page's <time> says so.
    html = page(
        '<meta property="article:published_time" content="2023-05-05T02:00:00Z">',
        "<h1>Council approves the new harbour budget</h1>"
        '<time datetime="2023-05-04T22:00:00-04:00">May 4, 2023</time>',
    )
    meta = metadata_from_html(html, None, {})
    assert meta.published_at is not None
    assert meta.published_at.date() == date(2023, 5, 4)
    assert meta.published_at.utcoffset() == timedelta(hours=-4)
    assert meta.published_at == datetime(2023, 5, 5, 2, 0, tzinfo=UTC)


def test_utc_stamp_matched_by_a_written_local_time_near_the_headline() -> None:
    html = page(
        '<meta property="article:published_time" content="2023-12-20T01:00:21Z">',
        "<h1>The cultural moments of the year</h1>"
        "<div>Published 8:00 PM EST, Tue December 19, 2023</div>",
    )
    published = metadata_from_html(html, None, {}).published_at
    assert published is not None
    assert published.date() == date(2023, 12, 19)
    assert published.utcoffset() == timedelta(hours=-5)


def test_utc_stamp_stays_utc_without_local_evidence() -> None:
    html = page('<meta property="article:published_time" content="2023-12-20T01:00:21Z">')
    published = metadata_from_html(html, None, {}).published_at
    assert published == datetime(2023, 12, 20, 1, 0, 21, tzinfo=UTC)


def test_date_fallbacks_time_element_then_dateline_then_trafilatura() -> None:
    with_time = page("", '<h1>Storm warning for the coast</h1><time datetime="2023-03-02">x</time>')
    assert metadata_from_html(with_time, None, {"date": "2023-01-01"}).published_at == datetime(
        2023, 3, 2, tzinfo=UTC
    )
    dateline = page("", "<h1>Storm warning for the coast</h1><p>Date: March 3, 2023</p>")
    published = metadata_from_html(dateline, None, {"date": "2023-01-01"}).published_at
    assert published is not None and published.date() == date(2023, 3, 3)
    bare = page("", "<h1>Storm warning for the coast</h1>")
    published = metadata_from_html(bare, None, {"date": "2023-01-01"}).published_at
    assert published == datetime(2023, 1, 1, tzinfo=UTC)


def test_a_date_only_htmldate_found_is_marked_as_guessed() -> None:
    """htmldate's page-wide guess may be a year quoted in the text: stories do not trust it
    for their time extent (pipeline/dedupe/stories.py)."""
    bare = page("", "<h1>Storm warning for the coast</h1>")
    assert metadata_from_html(bare, None, {"date": "2007-01-01"}).published_guessed
    stated = page('<meta property="article:published_time" content="2023-03-02T10:00:00Z">')
    meta = metadata_from_html(stated, None, {"date": "2007-01-01"})
    assert meta.published_at is not None and not meta.published_guessed
    assert not metadata_from_html(bare, None, {}).published_guessed  # no date at all


def test_date_in_the_author_box_beats_trafilaturas_page_wide_guess() -> None:
    html = page(
        "",
        '<div class="story-author"><a href="/staff/ann-lee">Ann Lee</a>'
        '<span class="story-author__date">April 9, 2023</span></div>'
        "<h2>Claim: the bridge was closed on March 30, 2023</h2>",
    )
    published = metadata_from_html(html, None, {"date": "2023-03-30"}).published_at
    assert published is not None and published.date() == date(2023, 4, 9)
    # A date element outside any author box is not taken for the story's date.
    teaser = page("", '<div class="promo"><span class="card-date">April 1, 2023</span></div>')
    published = metadata_from_html(teaser, None, {"date": "2023-03-30"}).published_at
    assert published is not None and published.date() == date(2023, 3, 30)


def test_h1_preferred_and_site_suffix_stripped_from_meta_title() -> None:
    html = page(
        '<meta property="og:title" content="Budget talks stall | The Example Post">'
        '<meta property="og:site_name" content="The Example Post">',
        "<h1>Budget talks stall as deadline nears</h1>",
    )
    assert metadata_from_html(html, None, {}).title == "Budget talks stall as deadline nears"
    # A logo or section <h1> that shares no words with the metadata title is skipped.
    logo = page(
        '<meta property="og:title" content="Budget talks stall as deadline nears - Example Post">',
        "<h1>Example Post</h1><h1>Latest headlines</h1>",
    )
    assert metadata_from_html(logo, None, {}).title == "Budget talks stall as deadline nears"
    section = page("", "<h1>Opinion | Why the budget talks stalled</h1>")
    assert metadata_from_html(section, None, {}).title == "Why the budget talks stalled"


def test_strip_site_suffix() -> None:
    assert strip_site_suffix("Headline about a thing - Site Name") == "Headline about a thing"
    assert strip_site_suffix("Site | Headline about a thing", "Site") == "Headline about a thing"
    assert strip_site_suffix("Who won: the count - News | Site") == "Who won: the count"
    assert strip_site_suffix("A headline with no site") == "A headline with no site"


def test_organisation_bylines_filtered_and_authors_split() -> None:
    html = page(
        '<meta name="author" content="Example News Staff">'
        '<meta name="author" content="By Ann Lee, Bob Stone &amp; Carla Díaz, Associated Press">'
        '<meta property="og:site_name" content="Example News">',
    )
    assert metadata_from_html(html, None, {}).authors == ["Ann Lee", "Bob Stone", "Carla Díaz"]
    assert clean_author_names(["Reuters Staff", "WBEZ", "Example Times"]) == []
    assert clean_author_names(["John Doe The Associated Press"]) == ["John Doe"]
    assert clean_author_names(["View all posts by Jane Roe"]) == ["Jane Roe"]
    assert clean_author_names(["Site Name"], {"site name"}) == []


def test_fuller_byline_completes_json_ld_author() -> None:
    html = page(
        json_ld({"@type": "Article", "author": {"@type": "Person", "name": "Ann Lee"}}),
        "<h1>Budget talks stall as deadline nears</h1>"
        '<div class="byline">By Ann Lee and Bob Stone, Example News</div>',
    )
    assert metadata_from_html(html, None, {}).authors == ["Ann Lee", "Bob Stone"]


def test_visible_byline_after_headline_beats_teasers_above_it() -> None:
    html = page(
        "",
        '<a href="/author/teaser-writer">Teaser Writer</a>'
        "<h1>Budget talks stall as deadline nears</h1>"
        '<p>By <a href="/author/ann-lee">Ann Lee</a></p>',
    )
    assert metadata_from_html(html, None, {"author": "Example News"}).authors == ["Ann Lee"]


@pytest.mark.parametrize(
    ("attributes", "is_byline"),
    [
        ('class="story author box"', True),  # a word of the class list
        ('class="meta\tauthors"', True),  # any XML white space separates them
        ('class="c-byline__name"', True),
        ('class="card__author"', True),  # ends with it
        ('class="card__author meta"', True),
        ('class="author-name-large"', True),
        ('rel="author"', True),
        ('itemprop="author"', True),
        ('class="authorship-note"', False),  # contains the word, is not it
        ('class="sub-byline"', False),
        ('href="/staffing/jobs"', False),
    ],
)
def test_a_byline_element_is_told_by_its_attributes(attributes: str, is_byline: bool) -> None:
    element = "a" if attributes.startswith("href") else "span"
    html = page(
        "",
        "<h1>Budget talks stall as deadline nears</h1>"
        f"<{element} {attributes}>By Ann Lee</{element}>",
    )
    found = metadata_from_html(html, None, {}).authors
    assert found == (["Ann Lee"] if is_byline else [])


def test_outlet_and_canonical_fallbacks() -> None:
    meta = metadata_from_html(page(), "https://www.example.org/a/1", {})
    assert meta.outlet == "example.org"
    assert meta.canonical_url == "https://www.example.org/a/1"
    meta = metadata_from_html(page(), None, {"sitename": "Example", "url": "https://ex.org/b"})
    assert (meta.outlet, meta.canonical_url) == ("Example", "https://ex.org/b")


def test_parse_timestamp_keeps_offsets() -> None:
    assert parse_timestamp("2023-05-04T22:00:00-0400") == datetime(2023, 5, 4, 22, tzinfo=EDT)
    assert parse_timestamp("2023-05-04T22:00:00.123Z") == datetime(
        2023, 5, 4, 22, 0, 0, 123000, tzinfo=UTC
    )
    assert parse_timestamp("2023-05-04 22:00:00") == datetime(2023, 5, 4, 22, tzinfo=UTC)
    assert parse_timestamp("Monday, February 12, 2024, 07:00 PM") == datetime(
        2024, 2, 12, 19, tzinfo=UTC
    )
    assert parse_timestamp("1700000000") == datetime.fromtimestamp(1700000000, tz=UTC)
    assert parse_timestamp("not a date") is None


def test_find_written_dates_with_clock_times() -> None:
    found = find_written_dates("PUBLISHED: December 22, 2023 at 8:48 p.m. | UPDATED: Dec 23, 2023")
    assert found == [(datetime(2023, 12, 22, 20, 48), True), (datetime(2023, 12, 23), False)]


def test_comparisons() -> None:
    assert title_matches("“Quoted” headline — with dash", '"quoted" headline - with dash.')
    assert not title_matches("Headline 2023", "Headline 2024")
    assert not title_matches("Anything", None)
    evening = datetime(2023, 5, 4, 22, 0, tzinfo=EDT)
    assert date_matches(evening, "2023-05-04")
    assert not date_matches(evening.astimezone(UTC), "2023-05-04")
    assert not date_matches(None, "2023-05-04")
    assert authors_match(["Ann Lee", "L. Daniela Álvarez"], "l daniela alvarez, ANN LEE")
    assert authors_match([], "")
    assert not authors_match(["Ann Lee"], "Ann Lee and Bob Stone")


def test_score_metadata_counts_only_docs_with_gold() -> None:
    good = ArticleMetadata(
        title="A title", authors=["Ann Lee"], published_at=datetime(2023, 5, 4, tzinfo=UTC)
    )
    gold = [
        {"id": 1, "title": "A title", "date": "2023-05-04", "authors": "Ann Lee"},
        {"id": 2, "title": "Other", "date": None, "authors": ""},
    ]
    score = score_metadata([(good, gold[0]), (good, gold[1])])
    assert (score.docs, score.gold["title"], score.hits["title"]) == (2, 2, 1)
    assert (score.gold["date"], score.hits["date"]) == (1, 1)
    assert (score.gold["authors"], score.hits["authors"]) == (1, 1)
    assert score.rate("title") == 0.5 and score.rate("date") == 1.0
    assert score.misses == [("title", "2", "A title", "Other")]


def test_updated_at_comes_from_structured_data_only_and_never_precedes_publication() -> None:
    stamped = page(
        '<meta property="article:published_time" content="2024-03-01T22:00:00-04:00">'
        '<meta property="article:modified_time" content="2024-03-02T08:30:00-04:00">'
    )
    meta = metadata_from_html(stamped, "https://x.test/a", {})
    assert meta.published_at == datetime(2024, 3, 1, 22, tzinfo=EDT)
    assert meta.updated_at == datetime(2024, 3, 2, 8, 30, tzinfo=EDT)
    json_ld_only = page(json_ld({"@type": "NewsArticle", "datePublished": "2024-03-01T10:00:00Z",
                                 "dateModified": "2024-03-03T10:00:00Z"}))  # fmt: skip
    assert metadata_from_html(json_ld_only, None, {}).updated_at == datetime(
        2024, 3, 3, 10, tzinfo=UTC
    )
    backwards = page(
        '<meta property="article:published_time" content="2024-03-01T10:00:00Z">'
        '<meta property="article:modified_time" content="2001-01-01T00:00:00Z">'
    )
    assert metadata_from_html(backwards, None, {}).updated_at is None
    written_only = page(body="<p>Updated March 9, 2024 at 10:00</p>")
    assert metadata_from_html(written_only, None, {}).updated_at is None


@pytest.mark.parametrize(
    ("declared", "outlet"),
    [
        ("ajc.com:80", "ajc.com"),
        ("http://www.chron.com/", "www.chron.com"),
        ("Booking.com", "Booking.com"),
        ("The Example Post", "The Example Post"),
    ],
)
def test_an_outlet_declared_as_an_address_is_its_host(declared: str, outlet: str) -> None:
    # Scraped pages declare og:site_name "ajc.com:80" beside "ajc.com": one site counted as two.
    html = page(f'<meta property="og:site_name" content="{declared}">')
    assert metadata_from_html(html, None, {}).outlet == outlet
