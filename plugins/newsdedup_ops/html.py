"""What every page of the plugin shares: escaping, tables, the style sheet, the frame with its
navigation, and links. Server-rendered HTML only: no JavaScript, nothing fetched from elsewhere.
Every value from the database goes through `esc`; every link is built by `href`.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode


def esc(value: Any) -> str:
    return escape("" if value is None else str(value))


def pct(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1%}"


def short_time(value: Any) -> str:
    return esc(value)[:16].replace("T", " ") if value is not None else "–"


def table(
    name: str,
    headers: list[str],
    rows: list[list[str]],
    empty: str,
    row_attrs: list[str] | None = None,
) -> str:
    """A table of HTML cells; `row_attrs`: each row's attributes (already escaped), e.g. the
    data-source="..." a test or script finds a row by."""
    if not rows:
        return f'<p class="empty" data-table="{name}">{esc(empty)}</p>'
    attrs = row_attrs or [""] * len(rows)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        f"<tr{' ' + attr if attr else ''}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for row, attr in zip(rows, attrs, strict=True)
    )
    return f'<table data-table="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def num(key: str, value: Any) -> str:
    """A number the browser test can find: <span data-metric="key">value</span>."""
    return f'<span class="num" data-metric="{esc(key)}">{esc(value)}</span>'


def href(base: str, path: str, **params: Any) -> str:
    """A link inside the plugin (`base`: where the app is mounted, e.g. /news), escaped for
    an attribute; parameters that are None or empty are left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return esc(f"{base}{path}" + (f"?{query}" if query else ""))


def article_link(base: str, article_id: Any, text: Any = None) -> str:
    """The article page of `article_id`, the link text its title (else #id)."""
    label = esc(text) if text else f"#{esc(article_id)}"
    return (
        f'<a href="{href(base, f"/articles/{article_id}")}" data-article-link="{esc(article_id)}">'
        f"{label}</a>"
    )


def status(value: Any, kind: str = "status") -> str:
    """A state word with its colour class and a data attribute tests and scripts can find."""
    word = esc(value) if value else "–"
    return f'<span class="status-{word}" data-{kind}="{word}">{word}</span>'


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:16px 24px;
color:#212529;background:#fff}h1{font-size:1.4rem;margin:0 0 4px}h2{font-size:1.05rem;
margin:24px 0 8px}.muted{color:#868e96}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #dee2e6;border-radius:8px;padding:8px 14px;min-width:110px}
.card .num{font-size:1.5rem;font-weight:600;display:block}.grid{display:grid;
grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px 24px}svg.chart{width:100%;
max-width:640px;height:auto}.axis{font-size:11px;fill:#495057}.label{font-size:12px;fill:#212529}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{text-align:left;padding:4px 8px;
border-bottom:1px solid #e9ecef;vertical-align:top}th{background:#f8f9fa}td.n{text-align:right}
.status-failed,.status-failing,.status-gave_up{color:#c92a2a;font-weight:600}
.status-succeeded,.status-success,.status-ok{color:#2b8a3e}
.status-running,.status-queued{color:#1971c2}code{font-size:12px}a{color:#1864ab}
nav.top{display:flex;gap:16px;font-size:14px;margin:0 0 12px;padding-bottom:8px;
border-bottom:1px solid #e9ecef}nav.top a.here{font-weight:600;color:#212529}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin:8px 0 12px;font-size:13px}
form.filters label{display:flex;flex-direction:column;gap:2px}
.pager{margin:10px 0;font-size:13px;display:flex;gap:12px}.excerpt{color:#495057;font-size:12px}
.text{white-space:pre-wrap;font-size:13px;line-height:1.45;border:1px solid #e9ecef;
border-radius:6px;padding:8px 10px;max-height:360px;overflow:auto}
mark[data-shared-passage]{background:#ffe066;padding:0 1px}
.pair,.why{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.why{grid-template-columns:minmax(300px,2fr) 3fr}.pair h4{margin:4px 0;font-size:14px}
details{border:1px solid #dee2e6;border-radius:8px;padding:6px 10px;margin:10px 0}
summary{cursor:pointer;font-weight:600}dl.facts{display:grid;grid-template-columns:max-content 1fr;
gap:2px 12px;font-size:13px;margin:8px 0}dl.facts dt{color:#868e96}dl.facts dd{margin:0}
.removed-no{color:#868e96;font-style:italic}
"""

NAV = (("", "/", "News ingest"), ("articles", "/articles", "Articles"),
       ("sources", "/sources", "Sources"), ("docs", "/docs", "API"))  # fmt: skip


def document(title: str, body: str, base: str, here: str = "") -> str:
    """A whole page: the style sheet, the plugin's navigation (`here`: the current entry), the
    body (already HTML)."""
    current = ' class="here" aria-current="page"'
    links = "".join(
        f'<a href="{href(base, path)}"{current if key == here else ""}>{label}</a>'
        for key, path, label in NAV
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)} · newsdedup</title>"
        f'<style>{CSS}</style></head><body><nav class="top">{links}</nav>{body}</body></html>'
    )
