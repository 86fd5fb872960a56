"""robots.txt as RFC 9309 reads it.

The standard library's urllib.robotparser predates the RFC: it ignores the `*` and `$`
wildcards and takes the first matching rule instead of the longest, so `Disallow: /*?print=`
did not stop `/story?print=1` and `Allow: /news/` before `Disallow: /news/private` let
`/news/private/1` through. Protego (Scrapy's parser) implements the RFC's matching: the longest
matching pattern wins, an allow wins a tie, `*` matches any run of characters and `$` ends a
pattern, and each crawler obeys the group of its own name, else the `*` group.

A group applies by our product token ("newsdedup", the user agent up to its first "/"), not by
the whole user-agent string, which also holds a URL: RFC 9309 2.2.1 matches the product token
case-insensitively.
"""

from __future__ import annotations

import re

from protego import Protego

_TOKEN = re.compile(r"[A-Za-z_-]+")


def product_token(user_agent: str) -> str:
    """The name a robots.txt group must carry to apply to us: "newsdedup" of
    "newsdedup/0.1 (news ingest ...)"."""
    found = _TOKEN.match(user_agent.strip())
    return found.group(0).lower() if found else user_agent.strip().lower()


class RobotsRules:
    """The rules of one host's robots.txt for one crawler."""

    def __init__(self, robots_txt: str, user_agent: str) -> None:
        self._parser = Protego.parse(robots_txt)
        self._token = product_token(user_agent)

    @classmethod
    def allow_all(cls, user_agent: str) -> RobotsRules:
        """No robots.txt (a 4xx answer, RFC 9309 2.3.1.3): no rules."""
        return cls("", user_agent)

    def allows(self, url: str) -> bool:
        return bool(self._parser.can_fetch(url, self._token))

    @property
    def crawl_delay(self) -> float | None:
        """Seconds between two requests, when the group asks (not part of the RFC, but widely
        used, and cheap to obey)."""
        delay = self._parser.crawl_delay(self._token)
        return float(delay) if delay is not None else None
