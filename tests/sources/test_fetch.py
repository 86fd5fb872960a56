"""The polite fetcher against a real HTTP server on 127.0.0.1 (no mocks, no internet)."""

from __future__ import annotations

import gzip
import itertools
from dataclasses import replace

import pytest

from pipeline.config import FetchSettings
from pipeline.sources.fetch import Fetcher, FetchError, Validators, canonical_url
from tests.support.http_server import (
    HTML,
    LOCAL_FETCH,
    LocalSite,
    Reply,
    article_html,
    static,
)

FAST = replace(
    LOCAL_FETCH,
    user_agent="newsdedup-test/1 (+https://example.invalid/bot)",
    max_backoff=0.2,
    max_redirects=3,
    max_body_bytes=50_000,
)


def _fetcher(**changes: object) -> tuple[Fetcher, list[float]]:
    waits: list[float] = []
    settings = FetchSettings(**{**FAST.__dict__, **changes})
    return Fetcher(settings, sleep=lambda s: waits.append(s)), waits


def test_canonical_url_folds_spellings_of_one_page() -> None:
    spellings = [
        "HTTP://News.Example.COM:80/world/story?id=7&utm_source=rss#comments",
        "http://news.example.com/world/story?utm_medium=x&id=7&fbclid=abc",
        "http://news.example.com/world/story?id=7",
    ]
    assert {canonical_url(u) for u in spellings} == {"http://news.example.com/world/story?id=7"}
    assert canonical_url("https://a.example/x?b=2&a=1") == "https://a.example/x?a=1&b=2"
    with pytest.raises(FetchError) as err:
        canonical_url("ftp://example.com/file")
    assert err.value.reason == "bad_url"


def test_get_sends_a_descriptive_user_agent_and_returns_the_page(site: LocalSite) -> None:
    site.routes["/a"] = Reply(200, article_html(1), HTML)
    fetcher, _ = _fetcher()
    response = fetcher.get(site.url("/a?utm_campaign=spring"))
    assert response.status == 200 and response.body == article_html(1)
    assert response.content_type == "text/html"
    assert response.final_url == site.url("/a")
    assert site.hits("/a")[0].headers["user-agent"] == FAST.user_agent
    assert site.hits("/robots.txt"), "robots.txt is read before the first page"


def test_robots_txt_forbids_a_path(site: LocalSite) -> None:
    site.routes["/robots.txt"] = Reply(
        200, b"User-agent: newsdedup-test\nDisallow: /private/\n", {"Content-Type": "text/plain"}
    )
    site.routes["/private/a"] = Reply(200, article_html(1), HTML)
    site.routes["/public/a"] = Reply(200, article_html(2), HTML)
    fetcher, _ = _fetcher()
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/private/a"))
    assert (err.value.reason, err.value.retryable) == ("robots_disallowed", False)
    assert site.hits("/private/a") == []
    assert fetcher.get(site.url("/public/a")).status == 200
    assert len(site.hits("/robots.txt")) == 1, "robots.txt is cached per host"


def test_unreachable_robots_txt_means_try_later(site: LocalSite) -> None:
    site.routes["/robots.txt"] = Reply(503, b"down")
    site.routes["/a"] = Reply(200, article_html(1), HTML)
    fetcher, _ = _fetcher(max_retries=0)
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/a"))
    assert (err.value.reason, err.value.retryable) == ("robots_unavailable", True)
    assert site.hits("/a") == []


def test_429_then_success_waits_as_told(site: LocalSite) -> None:
    site.routes["/a"] = [
        Reply(429, b"slow down", {"Retry-After": "0"}),
        Reply(503, b"busy"),
        Reply(200, article_html(1), HTML),
    ]
    fetcher, waits = _fetcher()
    assert fetcher.get(site.url("/a")).body == article_html(1)
    assert len(site.hits("/a")) == 3
    assert waits == [0.0, FAST.backoff * 2]  # Retry-After, then exponential backoff


def test_persistent_5xx_gives_a_retryable_error(site: LocalSite) -> None:
    site.routes["/a"] = Reply(502, b"bad gateway")
    fetcher, waits = _fetcher()
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/a"))
    assert (err.value.reason, err.value.retryable) == ("http_502", True)
    assert len(site.hits("/a")) == FAST.max_retries + 1
    assert waits == [FAST.backoff, FAST.backoff * 2]


def test_a_404_is_final(site: LocalSite) -> None:
    fetcher, _ = _fetcher()
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/gone"))
    assert (err.value.reason, err.value.retryable) == ("http_404", False)
    assert len(site.hits("/gone")) == 1


def test_redirects_are_followed_and_loops_stopped(site: LocalSite) -> None:
    site.routes["/old"] = Reply(301, b"", {"Location": "/new?utm_source=x"})
    site.routes["/new"] = Reply(200, article_html(1), HTML)
    site.routes["/loop1"] = Reply(302, b"", {"Location": "/loop2"})
    site.routes["/loop2"] = Reply(302, b"", {"Location": site.url("/loop1")})
    for i in range(6):
        site.routes[f"/hop{i}"] = Reply(302, b"", {"Location": f"/hop{i + 1}"})
    fetcher, _ = _fetcher()
    response = fetcher.get(site.url("/old"))
    assert (response.url, response.final_url) == (site.url("/old"), site.url("/new"))
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/loop1"))
    assert (err.value.reason, err.value.retryable) == ("redirect_loop", False)
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/hop0"))
    assert err.value.reason == "too_many_redirects"
    assert len(site.hits("/hop4")) == 0  # gave up after max_redirects (3) hops


def test_a_slow_server_hits_the_timeout(site: LocalSite) -> None:
    site.routes["/slow"] = Reply(200, article_html(1), HTML, delay=1.5)
    fetcher, _ = _fetcher(timeout=0.3)
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/slow"))
    assert (err.value.reason, err.value.retryable) == ("timeout", True)


def test_conditional_get_returns_304_with_the_old_validators(site: LocalSite) -> None:
    site.routes["/feed"] = static(b"<rss/>", "application/rss+xml", etag='"v1"')
    fetcher, _ = _fetcher()
    first = fetcher.get(site.url("/feed"), accept=lambda _ct: True)
    assert first.status == 200 and first.validators.etag == '"v1"'
    assert first.validators.last_modified
    second = fetcher.get(site.url("/feed"), validators=first.validators, accept=lambda _ct: True)
    assert second.not_modified and second.body == b""
    sent = site.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == first.validators.last_modified
    stale = fetcher.get(site.url("/feed"), validators=Validators('"v0"'), accept=lambda _: True)
    assert stale.status == 200


def test_body_size_and_content_type_are_checked(site: LocalSite) -> None:
    site.routes["/big"] = Reply(200, b"x" * 60_000, HTML)
    site.routes["/image"] = Reply(200, b"\x89PNG....", {"Content-Type": "image/png"})
    bomb = gzip.compress(b"<p>" + b"a" * 200_000 + b"</p>")
    site.routes["/bomb"] = Reply(200, bomb, {**HTML, "Content-Encoding": "gzip"})
    site.routes["/zipped"] = Reply(
        200, gzip.compress(article_html(3)), {**HTML, "Content-Encoding": "gzip"}
    )
    fetcher, _ = _fetcher()
    for path, reason in [("/big", "too_large"), ("/image", "unsupported_content_type")]:
        with pytest.raises(FetchError) as err:
            fetcher.get(site.url(path))
        assert (err.value.reason, err.value.retryable) == (reason, False)
    with pytest.raises(FetchError) as err:
        fetcher.get(site.url("/bomb"))
    assert err.value.reason == "too_large"
    assert fetcher.get(site.url("/zipped")).body == article_html(3)


def test_one_host_is_paced(site: LocalSite) -> None:
    for i in range(3):
        site.routes[f"/p{i}"] = Reply(200, article_html(i), HTML)
    fetcher = Fetcher(FetchSettings(**{**FAST.__dict__, "min_interval": 0.2}))
    for i in range(3):
        fetcher.get(site.url(f"/p{i}"))
    times = [r.at for r in site.requests]  # robots.txt, p0, p1, p2
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.19, gaps


def test_crawl_delay_slows_the_pace(site: LocalSite) -> None:
    site.routes["/robots.txt"] = Reply(200, b"User-agent: *\nCrawl-delay: 7\n")
    site.routes["/a"] = Reply(200, article_html(1), HTML)
    site.routes["/b"] = Reply(200, article_html(2), HTML)
    fetcher, waits = _fetcher(max_backoff=30.0)
    fetcher.get(site.url("/a"))
    fetcher.get(site.url("/b"))
    assert waits and max(waits) > 6.0  # the fake sleep records the 7 s Crawl-delay
