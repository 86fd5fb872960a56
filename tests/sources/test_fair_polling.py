"""Feeds and sitemaps are polled fairly: a feed's newest items are taken first, however long its
backlog, and every child of a sitemap index is polled in turn across runs. Real HTTP on
127.0.0.1, real feedparser, real Postgres."""

from __future__ import annotations

from dataclasses import replace
from email.utils import formatdate
from functools import partial

from pipeline import store
from pipeline.config import Settings
from pipeline.ingest import crawl
from pipeline.sources.config import Source
from pipeline.sources.fetch import Fetcher
from pipeline.sources.sitemaps import MAX_LISTINGS_PER_RUN, sitemap_pages
from pipeline.sources.state import MAX_NEW_PER_POLL
from tests.conftest import query
from tests.support.http_server import HTML, LOCAL_FETCH, LocalSite, Reply, article_html, static

SETTINGS = Settings(fetch=replace(LOCAL_FETCH, max_backoff=0.1, max_attempts=3))
START = 1_700_000_000  # the oldest item's publication time


def _feed(site: LocalSite, count: int, etag: str) -> None:
    """A feed of `count` dated items, oldest first: item i is i minutes newer than item 0."""
    items = "".join(
        f"<item><guid>i{i}</guid><link>/i{i}</link>"
        f"<pubDate>{formatdate(START + 60 * i, usegmt=True)}</pubDate></item>"
        for i in range(count)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    site.routes["/feed.xml"] = static(body.encode(), "application/rss+xml", etag)


def _run(db: store.Connection, source: Source) -> list[str]:
    """One scheduled run; the paths of the pages it fetched."""
    run_id = store.start_run(db, "test")
    fetcher = Fetcher(SETTINGS.fetch)
    keys = crawl.discover(db, source, SETTINGS, fetcher=fetcher)
    crawl.process(db, run_id, source, keys, SETTINGS, fetcher=fetcher)
    store.finish_run(db, run_id)
    return [key.rsplit("/", 1)[1] for key in keys]


def test_a_long_feed_gives_its_newest_items_first_and_its_backlog_over_later_polls(
    site: LocalSite, db: store.Connection
) -> None:
    count = 3 * MAX_NEW_PER_POLL
    for i in range(count - 5, count + 1):  # only the newest pages exist: any other is a 404
        site.routes[f"/i{i}"] = Reply(200, article_html(i), HTML)
    _feed(site, count, '"v1"')
    source = Source(
        name="long", kind="feed", location=site.url("/feed.xml"), max_items=5,
        allow_private_addresses=True,
    )  # fmt: skip

    assert sorted(_run(db, source)) == sorted(f"i{i}" for i in range(count - 5, count))
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]
    listed = query(db, "SELECT count(*), min(published_at) FROM source_items WHERE kind = 'page'")
    assert listed[0][0] == MAX_NEW_PER_POLL  # the newest; the rest wait for later polls

    _feed(site, count + 1, '"v2"')  # one item published since: first, then the backlog's
    assert _run(db, source) == [
        f"i{i}" for i in (count, count - 6, count - 7, count - 8, count - 9)
    ]
    assert query(db, "SELECT count(*) FROM source_items WHERE kind = 'page'") == [
        (2 * MAX_NEW_PER_POLL,)
    ]  # the backlog is still recorded, the next newest first: nothing is dropped


def _index(site: LocalSite, children: int) -> None:
    entries = "".join(
        f"<sitemap><loc>{site.url(f'/s{c}.xml')}</loc></sitemap>" for c in range(children)
    )
    body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    site.routes["/index.xml"] = static(body.encode(), "application/xml", '"i1"')
    for c in range(children):
        urls = f"<url><loc>{site.url(f'/p{c}')}</loc></url>"
        urlset = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        site.routes[f"/s{c}.xml"] = static(urlset.encode(), "application/xml", f'"s{c}"')


def test_every_child_of_an_index_longer_than_a_run_allows_is_polled_over_successive_runs(
    site: LocalSite, db: store.Connection
) -> None:
    children = 2 * MAX_LISTINGS_PER_RUN + 20
    _index(site, children)
    root = site.url("/index.xml")
    poll = partial(crawl.poll, db, Fetcher(SETTINGS.fetch))
    found: set[str] = set()
    for run in range(3):
        found |= {item.key.rsplit("/", 1)[1] for item in sitemap_pages(db, "tree", root, poll)}
        polled = [c for c in range(children) if site.hits(f"/s{c}.xml")]
        assert len(polled) == min(children, (run + 1) * MAX_LISTINGS_PER_RUN)
    assert found == {f"p{c}" for c in range(children)}
    # Round robin: the fourth run goes on with the children polled longest ago, so no child
    # is polled twice more than another.
    sitemap_pages(db, "tree", root, poll)
    polls = [len(site.hits(f"/s{c}.xml")) for c in range(children)]
    assert sum(polls) == 4 * MAX_LISTINGS_PER_RUN and set(polls) == {1, 2}
