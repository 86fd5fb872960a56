"""Feeds and sitemaps end to end: local HTTP server, real feedparser/trafilatura, real Postgres."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path

import pytest

from pipeline import store
from pipeline.config import Settings
from pipeline.ingest import crawl
from pipeline.sources.config import Source
from pipeline.sources.feeds import parse_feed, parse_sitemap
from pipeline.sources.fetch import Fetcher
from tests.conftest import query
from tests.support.http_server import (
    HTML,
    LOCAL_FETCH,
    LocalSite,
    Reply,
    article_html,
    rss,
    static,
)

SETTINGS = Settings(fetch=replace(LOCAL_FETCH, max_backoff=0.1, max_attempts=3))


def _feed(site: LocalSite, entries: list[tuple[str, str]], etag: str) -> None:
    site.routes["/feed.xml"] = static(rss(site.base, entries), "application/rss+xml", etag)


def _run(db: store.Connection, source: Source, settings: Settings = SETTINGS) -> store.RunCounts:
    """One scheduled run: discover, then process every due key (one shard)."""
    run_id = store.start_run(db, "test")
    fetcher = Fetcher(settings.fetch)
    keys = crawl.discover(db, source, settings, fetcher=fetcher)
    crawl.process(db, run_id, source, keys, settings, fetcher=fetcher)
    return store.finish_run(db, run_id)


def _source(site: LocalSite, kind: str = "feed", path: str = "/feed.xml") -> Source:
    return Source(
        name="local", kind=kind, location=site.url(path), outlet="Local Test",
        allow_private_addresses=True,
    )  # fmt: skip


def _states(db: store.Connection) -> dict[str, tuple[str, str | None]]:
    rows = query(db, "SELECT item_key, status, reason FROM source_items WHERE kind = 'page'")
    return {key.rsplit("/", 1)[1]: (status, reason) for key, status, reason in rows}


def test_parse_feed_resolves_links_and_folds_tracking_parameters() -> None:
    body = rss(
        "http://x.test", [("g1", "/a?utm_source=rss"), ("g2", "http://x.test/a"), ("g3", "")]
    )
    listed = parse_feed(body, "http://x.test/feed.xml")
    assert [(i.key, i.entry_id) for i in listed] == [("http://x.test/a", "g1")]
    assert listed[0].published_at is not None and listed[0].published_at.year == 2021


def test_two_runs_fetch_each_article_once_and_pick_up_new_entries(
    site: LocalSite, db: store.Connection
) -> None:
    for i in range(4):
        site.routes[f"/a{i}"] = static(article_html(i), "text/html")
    _feed(site, [(f"g{i}", f"/a{i}") for i in range(3)], '"v1"')
    source = _source(site)

    first = _run(db, source)
    assert (first.inputs_read, first.loaded, first.rejected) == (3, 3, 0)
    uris = {u for (u,) in query(db, "SELECT source_uri FROM articles")}
    assert uris == {site.url(f"/a{i}") for i in range(3)}

    second = _run(db, source)
    assert (second.inputs_read, second.loaded) == (0, 0)
    feed_hits = site.hits("/feed.xml")
    assert feed_hits[1].headers.get("if-none-match") == '"v1"'
    assert query(
        db, "SELECT last_status FROM http_validators WHERE url = %s", (site.url("/feed.xml"),)
    ) == [(304,)]

    _feed(site, [(f"g{i}", f"/a{i}") for i in range(4)], '"v2"')  # one entry added
    third = _run(db, source)
    assert (third.inputs_read, third.loaded) == (1, 1)
    assert query(db, "SELECT count(*) FROM articles") == [(4,)]
    for i in range(4):
        assert len(site.hits(f"/a{i}")) == 1, f"/a{i} fetched more than once"
    assert set(_states(db).values()) == {("done", None)}
    # The configured outlet names the articles, whatever the pages call themselves.
    assert query(db, "SELECT DISTINCT outlet FROM articles") == [("Local Test",)]


def test_fault_cases_end_loaded_or_with_a_reason(site: LocalSite, db: store.Connection) -> None:
    site.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n")
    site.routes["/ok"] = Reply(200, article_html(1), HTML)
    site.routes["/flaky"] = [
        Reply(429, b"", {"Retry-After": "0"}),
        Reply(200, article_html(2), HTML),
    ]
    site.routes["/private/x"] = Reply(200, article_html(3), HTML)
    site.routes["/loop"] = Reply(302, b"", {"Location": "/loop2"})
    site.routes["/loop2"] = Reply(302, b"", {"Location": "/loop"})
    site.routes["/slow"] = Reply(200, article_html(4), HTML, delay=1.5)
    site.routes["/short"] = Reply(200, b"<html><body><p>Too short.</p></body></html>", HTML)
    site.routes["/down"] = Reply(503, b"")
    paths = ["/ok", "/flaky", "/private/x", "/loop", "/slow", "/short", "/gone", "/down"]
    _feed(site, [(p, p) for p in paths], '"v1"')
    source = _source(site)

    counts = _run(db, source)  # must not raise although most items fail
    assert counts.inputs_read == len(paths)
    loaded = {u.rsplit("/", 1)[1] for (u,) in query(db, "SELECT source_uri FROM articles")}
    assert loaded == {"ok", "flaky"}
    states = _states(db)
    assert states["x"] == ("rejected", "robots_disallowed")
    assert states["loop"] == ("rejected", "redirect_loop")
    assert states["slow"] == ("retry", "timeout")
    assert states["gone"] == ("rejected", "http_404")
    assert states["down"] == ("retry", "http_503")
    assert states["short"][0] == "rejected" and states["short"][1]
    rejected = dict(query(db, "SELECT source_uri, reason FROM rejected_inputs"))
    assert rejected[site.url("/slow")] == "timeout"
    assert rejected[site.url("/private/x")] == "robots_disallowed"
    assert site.hits("/private/x") == []

    # The next run retries what may succeed now, and only that.
    site.routes["/slow"] = Reply(200, article_html(4), HTML)
    again = _run(db, source)
    assert again.inputs_read == 2  # /slow and /down; rejected items are not fetched again
    assert _states(db)["slow"] == ("done", None)
    assert site.url("/slow") not in dict(
        query(db, "SELECT source_uri, reason FROM rejected_inputs")
    )
    _run(db, source)
    assert _states(db)["down"] == ("gave_up", "http_503")  # max_attempts = 3
    assert len(site.hits("/down")) == 3 * (SETTINGS.fetch.max_retries + 1)
    _run(db, source)
    assert len(site.hits("/down")) == 3 * (SETTINGS.fetch.max_retries + 1)


def test_one_article_reached_by_two_urls_is_one_input(
    site: LocalSite, db: store.Connection
) -> None:
    site.routes["/story"] = Reply(200, article_html(5), HTML)
    site.routes["/s/5"] = Reply(301, b"", {"Location": "/story"})
    _feed(site, [("a", "/story?utm_source=feed"), ("b", "/story#top"), ("c", "/s/5")], '"v1"')
    counts = _run(db, _source(site))
    assert counts.loaded == 1
    assert query(db, "SELECT source_uri FROM articles") == [(site.url("/story"),)]
    assert {s for s, _ in _states(db).values()} == {"done"}
    assert query(db, "SELECT count(*) FROM rejected_inputs") == [(0,)]


def test_a_feed_that_is_down_does_not_fail_the_run(site: LocalSite, db: store.Connection) -> None:
    site.routes["/feed.xml"] = Reply(500, b"")
    counts = _run(db, _source(site))
    assert counts.inputs_read == 0
    rows = query(db, "SELECT kind, status, reason FROM source_items")
    assert rows == [("listing", "retry", "http_500")]
    site.routes["/a"] = Reply(200, article_html(6), HTML)
    _feed(site, [("a", "/a")], '"v1"')
    assert _run(db, _source(site)).loaded == 1
    assert query(db, "SELECT status FROM source_items WHERE kind = 'listing'") == [("done",)]


def _urlset(base: str, paths: list[str]) -> bytes:
    urls = "".join(
        f"<url><loc>{base}{p}</loc><news:news><news:publication_date>2024-05-0{i + 1}T08:00:00Z"
        f"</news:publication_date></news:news></url>"
        for i, p in enumerate(paths)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + urls + "</urlset>"
    ).encode()


def test_parse_sitemap_reads_news_dates_and_index_entries() -> None:
    pages, children = parse_sitemap(_urlset("http://x.test", ["/a", "/b"]), "http://x.test/s.xml")
    assert [p.key for p in pages] == ["http://x.test/a", "http://x.test/b"]
    assert pages[1].published_at is not None and pages[1].published_at.day == 2
    assert children == []
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>http://x.test/news.xml</loc></sitemap></sitemapindex>"
    )
    assert parse_sitemap(index, "http://x.test/index.xml") == ([], ["http://x.test/news.xml"])


def test_sitemap_index_source_loads_its_pages_incrementally(
    site: LocalSite, db: store.Connection
) -> None:
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/news.xml')}</loc></sitemap></sitemapindex>"
    ).encode()
    site.routes["/index.xml"] = static(index, "application/xml", '"i1"')
    site.routes["/news.xml"] = static(_urlset(site.base, ["/n1", "/n2"]), "application/xml", '"n1"')
    for i in (1, 2, 3):
        site.routes[f"/n{i}"] = Reply(200, article_html(10 + i), HTML)
    source = _source(site, kind="sitemap", path="/index.xml")
    assert _run(db, source).loaded == 2
    site.routes["/news.xml"] = static(
        _urlset(site.base, ["/n1", "/n2", "/n3"]), "application/xml", '"n2"'
    )
    assert _run(db, source).loaded == 1
    assert [len(site.hits(f"/n{i}")) for i in (1, 2, 3)] == [1, 1, 1]
    assert site.hits("/index.xml")[1].headers.get("if-none-match") == '"i1"'


def test_limit_and_since_select_what_is_due(site: LocalSite, db: store.Connection) -> None:
    for i in range(5):
        site.routes[f"/l{i}"] = Reply(200, article_html(20 + i), HTML)
    _feed(site, [(f"g{i}", f"/l{i}") for i in range(5)], '"v1"')
    source = dataclasses.replace(_source(site), max_items=2)
    assert _run(db, source).loaded == 2
    assert _run(db, source).loaded == 2  # the rest stay due: nothing is lost to a limit
    assert _run(db, source).loaded == 1


def test_cli_ingests_a_url(
    site: LocalSite, database_url: str, db: store.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import main

    monkeypatch.setenv("NEWSDEDUP_FETCH_MIN_INTERVAL", "0")
    site.routes["/cli"] = Reply(200, article_html(42), HTML)
    url = site.url("/cli?utm_source=x")
    # 127.0.0.1 is refused unless asked for: the page is a rejection, not an article.
    assert main(["ingest", "--database-url", database_url, url]) == 1  # nothing loaded
    assert query(db, "SELECT count(*) FROM articles") == [(0,)]
    assert query(db, "SELECT reason FROM rejected_inputs") == [("private_address",)]
    assert not site.hits("/cli")
    assert main(["ingest", "--database-url", database_url, "--allow-private-addresses", url]) == 0
    assert query(db, "SELECT source_uri FROM articles") == [(site.url("/cli"),)]
    assert main(["ingest", "--database-url", database_url, "http://"]) == 2  # no host: an error


def _fresh_feed(site: LocalSite, links: list[str]) -> None:
    """A feed whose entries were published just now (rss() dates its entries 2021)."""
    when = formatdate(time.time(), usegmt=True)
    items = "".join(
        f"<item><guid>{link}</guid><link>{link}</link><pubDate>{when}</pubDate></item>"
        for link in links
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    site.routes["/feed.xml"] = static(body.encode(), "application/rss+xml")


def test_a_page_updated_after_it_was_loaded_is_fetched_again_and_stored_as_revision_2(
    site: LocalSite, db: store.Connection
) -> None:
    site.routes["/a0"] = static(article_html(0), "text/html", '"p1"')
    site.routes["/a1"] = static(article_html(1), "text/html", '"q1"')
    _fresh_feed(site, ["/a0", "/a1"])
    source = replace(_source(site), refetch_every_minutes=0)
    assert _run(db, source).loaded == 2
    ids = dict(query(db, "SELECT source_uri, id FROM articles"))

    second = _run(db, source)  # rechecked: both answer 304 to their validators
    assert (second.loaded, second.revised, second.unchanged) == (0, 0, 2)
    assert site.hits("/a0")[-1].headers.get("if-none-match") == '"p1"'

    corrected = article_html(0).replace(
        b"</article>",
        b"<p>Correction: the vote was 7-2, not 6-3 as first reported by this outlet.</p></article>",
    )
    site.routes["/a0"] = static(corrected, "text/html", '"p2"')
    third = _run(db, source)
    assert (third.loaded, third.revised, third.unchanged) == (0, 1, 1)
    rows = query(db, "SELECT source_uri, id, revision, body FROM canonical_articles")
    assert {uri: (i, rev) for uri, i, rev, _ in rows} == {
        site.url("/a0"): (ids[site.url("/a0")], 2), site.url("/a1"): (ids[site.url("/a1")], 1)
    }  # fmt: skip
    assert any("Correction: the vote" in body for *_, body in rows)
    assert query(db, "SELECT change FROM article_history WHERE revision = 2") == [
        ("paragraph: 1 added",)
    ]

    old = replace(source, refetch_hours=0)  # off: a stored page is never fetched again
    before = len(site.hits("/a0"))
    _run(db, old)
    assert len(site.hits("/a0")) == before


def test_a_link_or_redirect_with_a_bad_port_costs_that_item_only(
    site: LocalSite, db: store.Connection
) -> None:
    for i in range(3):
        site.routes[f"/a{i}"] = static(article_html(i), "text/html")
    bad = f"http://127.0.0.1:{site.base.rsplit(':', 1)[1]}\u00e9/x"
    site.routes["/r"] = Reply(301, b"", {"Location": bad})
    _fresh_feed(site, ["/a0", "/a1", "/a2", "/r", bad])
    source = _source(site)
    first = _run(db, source)
    assert (first.loaded, first.rejected) == (3, 1)
    assert _states(db)["r"] == ("rejected", "bad_url")
    again = _run(db, source)  # nothing left behind to fail the next run either
    assert (again.loaded, again.rejected) == (0, 0)


@pytest.mark.parametrize("body", [b"/dev/zero", b"FEED_FILE"])
def test_a_feed_whose_body_names_a_file_is_never_read_from_disk(
    site: LocalSite, db: store.Connection, tmp_path: Path, body: bytes
) -> None:
    local = tmp_path / "local-feed.xml"
    local.write_bytes(rss("http://elsewhere.test", [("g", "/secret-page")]))
    site.routes["/feed.xml"] = static(
        body.replace(b"FEED_FILE", str(local).encode()), "application/rss+xml"
    )
    counts = _run(db, _source(site))
    assert (counts.inputs_read, counts.loaded) == (0, 0)
    assert query(db, "SELECT item_key FROM source_items WHERE kind = 'page'") == []
    assert query(db, "SELECT status, reason FROM source_items WHERE kind = 'listing'") == [
        ("retry", "bad_feed")
    ]
