"""robots.txt decided as RFC 9309 says: wildcards, `$`, the longest match, ties, agent groups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.sources.fetch import Fetcher, FetchError
from pipeline.sources.robots import RobotsRules, product_token
from tests.support.http_server import HTML, LOCAL_FETCH, LocalSite, Reply, article_html

AGENT = "newsdedup/0.1 (news ingest and deduplication; +https://github.com/newsdedup/newsdedup)"
SITE = "https://news.example"


def _allows(robots_txt: str, path: str, agent: str = AGENT) -> bool:
    return RobotsRules(robots_txt, agent).allows(SITE + path)


@pytest.mark.parametrize(
    ("robots_txt", "path", "allowed"),
    [
        # `*` matches any run of characters (urllib.robotparser fetched this)
        ("User-agent: *\nDisallow: /*?print=\n", "/story?print=1", False),
        ("User-agent: *\nDisallow: /*?print=\n", "/story?page=2", True),
        ("User-agent: *\nDisallow: /*.pdf\n", "/files/report.pdf", False),
        # `$` ends the pattern
        ("User-agent: *\nDisallow: /*.pdf$\n", "/files/report.pdf?x=1", True),
        ("User-agent: *\nDisallow: /*.pdf$\n", "/files/report.pdf", False),
        ("User-agent: *\nDisallow: /$\n", "/", False),
        ("User-agent: *\nDisallow: /$\n", "/news", True),
        # the longest match wins, whatever the order (urllib took the first)
        ("User-agent: *\nAllow: /news/\nDisallow: /news/private\n", "/news/private/1", False),
        ("User-agent: *\nDisallow: /news/private\nAllow: /news/\n", "/news/private/1", False),
        ("User-agent: *\nDisallow: /news/\nAllow: /news/public\n", "/news/public/1", True),
        ("User-agent: *\nDisallow: /news/\nAllow: /news/public\n", "/news/other", False),
        # a tie between allow and disallow of equal length: allow (RFC 9309 2.2.2)
        ("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page", True),
        ("User-agent: *\nAllow: /page\nDisallow: /page\n", "/page", True),
        # an empty Disallow forbids nothing; no rule allows
        ("User-agent: *\nDisallow:\n", "/anything", True),
        ("", "/anything", True),
        ("User-agent: *\nDisallow: /\n", "/anything", False),
        # percent-encoding is compared decoded
        ("User-agent: *\nDisallow: /caf%C3%A9\n", "/café", False),
    ],
)
def test_rules_follow_rfc_9309(robots_txt: str, path: str, allowed: bool) -> None:
    assert _allows(robots_txt, path) is allowed


def test_the_group_of_our_own_name_wins_over_the_star_group() -> None:
    robots_txt = (
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: NewsDedup\nAllow: /news/\nDisallow: /\n\n"
        "User-agent: otherbot\nAllow: /\n"
    )
    assert _allows(robots_txt, "/news/1")  # our group, matched case-insensitively
    assert not _allows(robots_txt, "/sport/1")  # our group, not the * group's rules merged in
    assert not _allows(robots_txt, "/news/1", "somebot/2.0")  # others get the * group
    assert _allows(robots_txt, "/sport/1", "otherbot/1.0")


def test_a_group_is_matched_by_the_product_token_not_the_whole_user_agent() -> None:
    """Our user agent carries a URL; a group named after a word of it is not ours."""
    robots_txt = "User-agent: github\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    assert product_token(AGENT) == "newsdedup"
    assert _allows(robots_txt, "/news/1")


def test_groups_of_several_agents_and_repeated_groups_apply_together() -> None:
    robots_txt = (
        "User-agent: somebot\nUser-agent: newsdedup\nDisallow: /a/\n\n"
        "User-agent: newsdedup\nDisallow: /b/\n"
    )
    assert not _allows(robots_txt, "/a/1")
    assert not _allows(robots_txt, "/b/1")
    assert _allows(robots_txt, "/c/1")


def test_crawl_delay_of_our_group() -> None:
    rules = RobotsRules("User-agent: newsdedup\nCrawl-delay: 4\n\nUser-agent: *\n", AGENT)
    assert rules.crawl_delay == 4.0
    assert RobotsRules("User-agent: *\nDisallow: /x\n", AGENT).crawl_delay is None
    assert RobotsRules.allow_all(AGENT).allows(SITE + "/x")


def test_the_fetcher_obeys_wildcards_and_the_longest_match(site: LocalSite) -> None:
    """The two cases urllib.robotparser got wrong, through a real local HTTP server."""
    site.routes["/robots.txt"] = Reply(
        200,
        b"User-agent: *\nDisallow: /*?print=\nAllow: /news/\nDisallow: /news/private\n",
        {"Content-Type": "text/plain"},
    )
    for path in ("/story", "/story?print=1", "/news/private/1", "/news/1"):
        site.routes[path.split("?")[0]] = Reply(200, article_html(len(path)), HTML)
    fetcher = Fetcher(replace(LOCAL_FETCH, user_agent=AGENT), sleep=lambda _: None)
    for path in ("/story?print=1", "/news/private/1"):
        with pytest.raises(FetchError) as err:
            fetcher.get(site.url(path))
        assert err.value.reason == "robots_disallowed", path
    assert fetcher.get(site.url("/story")).status == 200
    assert fetcher.get(site.url("/news/1")).status == 200
    assert site.hits("/news/private/1") == []
