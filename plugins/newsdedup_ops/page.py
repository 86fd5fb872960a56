"""The News ingest page: server-rendered HTML with inline SVG charts.

No JavaScript and nothing fetched from elsewhere: the page works on air-gapped deployments, inside
the UI's iframe, and its numbers are in the HTML itself (what the browser test checks). Every
value from the database goes through `esc`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from pipeline.ops.monitoring import Overview

COLOURS = {
    "canonical": "#2b8a3e",
    "duplicates": "#e8590c",
    "same_story": "#1971c2",
    "rejected": "#c92a2a",
}
LABELS = {
    "ingested": "Ingested",
    "canonical": "Canonical",
    "duplicates": "Duplicates",
    "same_story": "Same story",
    "rejected": "Rejected",
}
RUN_HEADERS = [
    "Run", "Started (UTC)", "Status", "Read", "Ingested", "Canonical", "Duplicates",
    "Same story", "Revised", "Rejected", "Dup. rate", "Error",
]  # fmt: skip
RUN_COUNTS = (
    "inputs_read", "ingested", "canonical", "duplicates", "same_story", "revised", "rejected",
)  # fmt: skip
DAY_HEADERS = [
    "Day", "Runs", "Failed", "Ingested", "Canonical", "Duplicates", "Same story", "Rejected",
    "Dup. rate",
]  # fmt: skip
LINE_COLOURS = ["#1971c2", "#e8590c", "#2b8a3e", "#9c36b5", "#c92a2a", "#0c8599", "#5c940d"]


AUDIT_REASONS = {
    "kept_extracted": "cleaning left too little: extracted text kept",
    "most_removed": "cleaning removed more than half",
}


def esc(value: Any) -> str:
    return escape("" if value is None else str(value))


def pct(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1%}"


def short_time(value: Any) -> str:
    return esc(value)[:16].replace("T", " ") if value is not None else "–"


# --- charts -----------------------------------------------------------------------------------


def stacked_bars(
    name: str, title: str, labels: list[str], series: dict[str, list[int]], height: int = 220
) -> str:
    """Vertical stacked bars, one per label (e.g. per run), series stacked bottom-up."""
    width, left, bottom, top = 640, 40, 40, 24
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max([*totals, 1])
    slot = (width - left - 10) / max(len(labels), 1)
    bar = max(min(slot * 0.7, 48), 2)
    plot_h = height - bottom - top
    parts = [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" '
        'stroke="#868e96"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y: float = top + plot_h
        for key, values in series.items():
            h = values[i] / peak * plot_h
            if h > 0:
                y -= h
                parts.append(
                    f'<rect class="bar" data-series="{key}" x="{x:.1f}" y="{y:.1f}" '
                    f'width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS.get(key, "#495057")}">'
                    f"<title>{esc(label)}: {values[i]} {LABELS.get(key, key).lower()}</title>"
                    "</rect>"
                )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'class="axis">{esc(label)}</text>'
        )
    legend_x = left
    for key in series:
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
            f'fill="{COLOURS.get(key, "#495057")}"/><text x="{legend_x + 14}" y="{height - 5}" '
            f'class="axis">{esc(LABELS.get(key, key))}</text>'
        )
        legend_x += 110
    parts.append("</svg>")
    return "".join(parts)


def rate_bars(name: str, title: str, rows: list[tuple[str, float, str]]) -> str:
    """Horizontal bars of a rate in [0, 1], one per row: (label, rate, note)."""
    row_h, left, width = 26, 170, 640
    height = max(len(rows), 1) * row_h + 10
    parts = [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>'
    ]
    for i, (label, rate, note) in enumerate(rows):
        y = 5 + i * row_h
        w = max(rate * (width - left - 130), 1)
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" class="label">{esc(label)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="18" '
            f'fill="{COLOURS["duplicates"]}"><title>{esc(label)}: {pct(rate)}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" class="label">{pct(rate)} '
            f"<tspan class='muted'>{esc(note)}</tspan></text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def rate_lines(name: str, title: str, days: list[str], lines: dict[str, dict[str, float]]) -> str:
    """The duplicate rate per outlet over time: one polyline (and dots) per outlet."""
    width, height, left, bottom, top = 640, 220, 40, 56, 16
    plot_w, plot_h = width - left - 20, height - top - bottom
    step = plot_w / max(len(days) - 1, 1)

    def xy(day_index: int, rate: float) -> tuple[float, float]:
        x = left + (day_index * step if len(days) > 1 else plot_w / 2)
        return x, top + plot_h - rate * plot_h

    parts = [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        'stroke="#868e96"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">100%</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0%</text>',
    ]
    for i, day in enumerate(days):
        if len(days) <= 8 or i % max(len(days) // 8, 1) == 0:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'class="axis">{esc(day[5:])}</text>'
            )
    for n, (outlet, rates) in enumerate(sorted(lines.items())):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        points = [xy(i, rates[day]) for i, day in enumerate(days) if day in rates]
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        parts.extend(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
            f"<title>{esc(outlet)}</title></circle>"
            for x, y in points
        )
        lx = left + (n % 4) * 150
        ly = height - 26 + (n // 4) * 14
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" class="axis">{esc(outlet)[:22]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --- tables -----------------------------------------------------------------------------------


def table(name: str, headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="empty" data-table="{name}">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table data-table="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def num(key: str, value: Any) -> str:
    """A number the browser test can find: <span data-metric="key">value</span>."""
    return f'<span class="num" data-metric="{esc(key)}">{esc(value)}</span>'


# --- the page ---------------------------------------------------------------------------------

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
.status-failed{color:#c92a2a;font-weight:600}.status-succeeded{color:#2b8a3e}
.status-running{color:#1971c2}code{font-size:12px}
"""


def _run_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for run in runs:
        status = esc(run["status"])
        rows.append(
            [
                esc(run["run_id"]),
                short_time(run["started_at"]),
                f'<span class="status-{status}">{status}</span>',
                *(f'<span class="n">{esc(run[k])}</span>' for k in RUN_COUNTS),
                pct(run["duplicate_rate"]),
                esc(run["error"] or ""),
            ]
        )
    return rows


def render_page(view: Overview, days: int) -> str:
    totals = view.totals
    runs_oldest_first = list(reversed(view.runs))
    run_keys = ("canonical", "duplicates", "rejected")
    last = view.runs[0] if view.runs else None
    last_line = (
        f"Last run {esc(last['run_id'])} ({short_time(last['started_at'])}): "
        f'<span class="status-{esc(last["status"])}">{esc(last["status"])}</span>, '
        f"{num('last_ingested', last['ingested'])} ingested, "
        f"{num('last_duplicates', last['duplicates'])} duplicates, "
        f"{num('last_rejected', last['rejected'])} rejected"
        if last
        else "No ingest run yet: trigger news_ingest."
    )
    outlet_lines: dict[str, dict[str, float]] = {}
    for row in view.outlet_daily:
        outlet_lines.setdefault(str(row["outlet"]), {})[str(row["day"])] = float(
            row["duplicate_rate"]
        )
    days_seen = sorted({str(row["day"]) for row in view.outlet_daily})
    cards = "".join(
        f'<div class="card">{num(key, totals.get(key, 0))}<span class="muted">{label}</span></div>'
        for key, label in (
            ("articles", "articles"),
            ("canonical", "canonical"),
            ("duplicates", "duplicates"),
            ("stories", "stories"),
            ("rejected_inputs", "rejected inputs"),
            ("runs", "runs"),
        )
    )
    sections = [
        f"<h1>News ingest</h1><p class='muted'>news_ingest runs, last {days} days. "
        f"{last_line}</p><div class='cards'>{cards}</div>",
        '<div class="grid"><section><h2>Per run (last 20)</h2>'
        + stacked_bars(
            "runs",
            "Articles per run: canonical, duplicates, rejected",
            [str(r["run_id"]) for r in runs_oldest_first],
            {k: [int(r[k]) for r in runs_oldest_first] for k in run_keys},
        )
        + "</section><section><h2>Per day</h2>"
        + stacked_bars(
            "daily",
            "Articles per day: canonical, duplicates, rejected",
            [str(d["day"])[5:] for d in view.daily],
            {k: [int(d[k]) for d in view.daily] for k in run_keys},
        )
        + "</section><section><h2>Duplicate rate per outlet</h2>"
        + rate_bars(
            "outlets",
            "Duplicate rate per outlet",
            [
                (
                    str(o["outlet"]),
                    float(o["duplicate_rate"]),
                    f"{o['duplicates']} of {o['articles']}",
                )
                for o in view.outlets
            ],
        )
        + "</section><section><h2>Duplicate rate per outlet over time</h2>"
        + rate_lines("outlet_daily", "Duplicate rate per outlet and day", days_seen, outlet_lines)
        + "</section></div>",
        "<h2>Runs</h2>"
        + table(
            "runs",
            RUN_HEADERS,
            _run_rows(view.runs),
            "No runs yet.",
        ),
        "<h2>Per day</h2>"
        + table(
            "daily",
            DAY_HEADERS,
            [
                [esc(d["day"])]
                + [esc(d[k]) for k in ("runs", "failed_runs", "ingested", "canonical")]
                + [esc(d[k]) for k in ("duplicates", "same_story", "rejected")]
                + [pct(d["duplicate_rate"])]
                for d in reversed(view.daily)
            ],
            "No runs in this period.",
        ),
        "<h2>Latest rejected inputs</h2>"
        + table(
            "rejections",
            ["When (UTC)", "Reason", "Input", "Detail", "Attempts", "Run"],
            [
                [
                    short_time(r["rejected_at"]),
                    f"<strong>{esc(r['reason'])}</strong>",
                    f"<code>{esc(r['source_uri'])}</code>",
                    esc(str(r["detail"])[:200]),
                    esc(r["attempts"]),
                    esc(r["run_id"]),
                ]
                for r in view.rejections
            ],
            "Nothing rejected.",
        ),
        "<h2>Largest duplicate groups</h2>"
        + table(
            "duplicate_groups",
            ["Canonical", "Title", "Outlet", "Duplicates", "Copies from"],
            [
                [
                    esc(g["canonical_id"]),
                    esc(g["title"]),
                    esc(g["outlet"]),
                    num(f"group_{g['canonical_id']}", g["duplicates"]),
                    esc(", ".join(g["duplicate_outlets"] or [])),
                ]
                for g in view.duplicate_groups
            ],
            "No duplicates yet.",
        ),
        "<h2>Removed as boilerplate</h2>"
        + table(
            "removals",
            ["Rule", "Removals", "Articles", "Characters"],
            [
                [esc(r["rule"]), esc(r["removals"]), esc(r["articles"]), esc(r["chars_removed"])]
                for r in view.removals
            ],
            "The cleaner has removed nothing yet.",
        )
        + "<h3>Cleaning to audit</h3>"
        + table(
            "cleaning_audit",
            ["Article", "Title", "Outlet", "Why", "Removed", "Rules that fired"],
            [
                [
                    esc(a["id"]),
                    esc(a["title"]),
                    esc(a["outlet"]),
                    esc(AUDIT_REASONS.get(a["reason"], a["reason"])),
                    pct(a["removed_share"]),
                    esc(", ".join(a["rules"] or [])),
                ]
                for a in view.audit
            ],
            "No article to audit: cleaning kept more than half of every article.",
        )
        + table(
            "boilerplate",
            ["Site", "Learned boilerplate line", "Seen in articles"],
            [
                [esc(b["site"]), esc(str(b["line"])[:160]), esc(b["articles"])]
                for b in view.boilerplate
            ],
            "No site boilerplate learned yet (a line must repeat across articles of a site).",
        ),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>News ingest · newsdedup</title>"
        f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>"
    )
