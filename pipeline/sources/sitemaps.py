"""A sitemap source's walk: the root every run, then its child sitemaps in turn across runs.

A sitemap index may name more sitemaps than one run should poll (an index of every month since
2005, or a generated tree without end). Each run polls the root and at most MAX_LISTINGS_PER_RUN
children, those polled longest ago first (state.listings_in_turn): over successive runs every
child is polled, whatever the index lists first or how many new children it keeps naming. The
children are remembered in source_items (kind 'listing'), so an unchanged index (304) still has
its children polled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pipeline.sources import state
from pipeline.sources.feeds import parse_sitemap
from pipeline.sources.fetch import FetchError, Response, canonical_url
from pipeline.sources.state import Listed
from pipeline.store import Connection

log = logging.getLogger(__name__)
MAX_LISTINGS_PER_RUN = 50  # child sitemaps polled per run, the root not counted


def sitemap_pages(
    conn: Connection,
    source: str,
    location: str,
    poll: Callable[[str], Response],
    max_listings: int = MAX_LISTINGS_PER_RUN,
) -> list[Listed]:
    """Pages listed by the root sitemap and by the children whose turn it is. `poll` GETs a
    listing conditionally (crawl.poll); a failing root raises FetchError, a failing child is
    recorded and waits for its next turn."""
    root = canonical_url(location)
    pages = _read(conn, source, root, poll, is_root=True)
    polled = {root}
    # Children named during this run (an index's sitemaps) get their turn in it while the
    # budget lasts, so a small index is read whole in one run, as before.
    while len(polled) <= max_listings:
        turn = state.listings_in_turn(
            conn, source, exclude=sorted(polled), limit=max_listings + 1 - len(polled)
        )
        if not turn:
            break
        for url in turn:
            polled.add(url)
            pages.extend(_read(conn, source, url, poll, is_root=False))
    return pages


def _read(
    conn: Connection, source: str, url: str, poll: Callable[[str], Response], *, is_root: bool
) -> list[Listed]:
    """The pages of one listing; the child sitemaps it names are remembered for their turn."""
    try:
        response = poll(url)
    except FetchError as exc:
        if is_root:
            raise
        log.warning("source %s: sitemap %s failed: %s", source, url, exc)
        state.record_listing_failure(conn, source, url, exc.reason, exc.detail)
        return []
    if not is_root:  # the root's outcome is its source's (crawl.list_new records it)
        state.record_listing_success(conn, source, url)
    if response.not_modified:
        return []
    found, children = parse_sitemap(response.body, response.final_url)
    state.remember(conn, source, [Listed(child) for child in children], kind="listing")
    return found
