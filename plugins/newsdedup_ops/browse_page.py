"""The article browser (/news/articles): search, filters, one page of articles, newest first.

A plain GET form (no JavaScript): every filter is a query parameter, so a filtered list is a
link an operator can share. Each row links to its article page (article_page.py).
"""

from __future__ import annotations

import re
from typing import Any

from newsdedup_ops.html import article_link, document, esc, href, short_time, table
from pipeline.ops.browse import STATUSES, ArticlePage

STATUS_LABELS = {"canonical": "canonical", "duplicate": "duplicate", "same_story": "same story"}
HEADERS = ["Article", "Title", "Outlet", "Published (UTC)", "Role", "Story", "Copies", "Run"]


def search_marks(excerpt: str) -> str:
    """An excerpt of ts_headline (matches between « and ») as HTML, the matches in <mark>."""
    return re.sub(r"«([^«»]*)»", r'<mark data-search-hit="">\1</mark>', esc(excerpt))


def _form(view: ArticlePage, outlets: list[str], base: str) -> str:
    f = view.filters

    def option(value: str, label: str, chosen: str | None) -> str:
        selected = " selected" if value == (chosen or "") else ""
        return f'<option value="{esc(value)}"{selected}>{esc(label)}</option>'

    outlet_options = option("", "any outlet", f.outlet) + "".join(
        option(o, o, f.outlet) for o in outlets
    )
    status_options = option("", "any", f.status) + "".join(
        option(s, STATUS_LABELS[s], f.status) for s in STATUSES
    )
    run = f'<input type="hidden" name="run" value="{esc(f.run)}">' if f.run is not None else ""
    return (
        f'<form class="filters" method="get" action="{href(base, "/articles")}">'
        f'<label>Search<input type="search" name="q" value="{esc(f.q)}" size="32" '
        "placeholder='words, \"a phrase\", or, -word'></label>"
        f'<label>Outlet<select name="outlet">{outlet_options}</select></label>'
        f'<label>Day (UTC)<input type="date" name="day" value="{esc(f.day)}"></label>'
        f'<label>Status<select name="status">{status_options}</select></label>'
        f'{run}<button type="submit">Show</button>'
        f'<a href="{href(base, "/articles")}">clear</a></form>'
    )


def _row(row: dict[str, Any], base: str) -> list[str]:
    role = (
        '<span data-role="canonical">canonical</span>'
        if row["role"] == "canonical"
        else f'<span data-role="duplicate">duplicate of</span> '
        f"{article_link(base, row['canonical_id'])}"
    )
    story = f"{article_link(base, row['story_id'])} <span class='muted'>"
    story += f"({esc(row['story_canonicals'])} text(s))</span>"
    title = article_link(base, row["id"], row["title"] or "(no title)")
    if row.get("excerpt"):
        title += f'<div class="excerpt">{search_marks(row["excerpt"])}</div>'
    return [
        article_link(base, row["id"]),
        title,
        esc(row["outlet"]),
        short_time(row["published_at"] or row["ingested_at"]),
        role,
        story,
        esc(row["duplicates"]),
        f'<a href="{href(base, "/articles", run=row["run_id"])}">{esc(row["run_id"])}</a>'
        if row["run_id"] is not None
        else "–",
    ]


def _pager(view: ArticlePage, base: str) -> str:
    params = view.filters.as_params()
    parts = [
        f"<span data-metric='articles_found'>{view.total}</span>&nbsp;article(s), page "
        f"{view.page} of {view.pages}"
    ]
    if view.page > 1:
        parts.append(f'<a href="{href(base, "/articles", **params, page=view.page - 1)}" '
                     'rel="prev">← newer</a>')  # fmt: skip
    if view.page < view.pages:
        parts.append(f'<a href="{href(base, "/articles", **params, page=view.page + 1)}" '
                     'rel="next">older →</a>')  # fmt: skip
    return f'<div class="pager">{" ".join(parts)}</div>'


def render_browse(view: ArticlePage, outlets: list[str], base: str) -> str:
    rows = [_row(row, base) for row in view.rows]
    attrs = [f'data-article="{esc(row["id"])}"' for row in view.rows]
    listing = table("articles", HEADERS, rows, "No article matches.", attrs)
    body = (
        "<h1>Articles</h1><p class='muted'>Newest first (publication time, else loading time). "
        "Search reads titles and bodies in each article's language; a duplicate is found "
        "through its canonical article.</p>"
        + _form(view, outlets, base)
        + _pager(view, base)
        + listing
        + (_pager(view, base) if view.rows else "")
    )
    return document("Articles", body, base, here="articles")
