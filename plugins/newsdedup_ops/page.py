"""The News ingest page: server-rendered HTML with inline SVG charts (charts.py).

No JavaScript and nothing fetched from elsewhere: the page works on air-gapped deployments, inside
the UI's iframe, and its numbers are in the HTML itself (what the browser test checks). Every
value from the database goes through `esc`. Runs, duplicate groups and articles to audit link to
the article pages (article_page.py, browse_page.py); the sources' health is sources_page.py's.
"""

from __future__ import annotations

from typing import Any

from newsdedup_ops.charts import rate_bars, rate_lines, stacked_bars
from newsdedup_ops.html import (
    article_link,
    document,
    esc,
    href,
    num,
    pct,
    short_time,
    status,
    table,
)
from newsdedup_ops.sources_page import health_table
from pipeline.ops.monitoring import Overview

RUN_HEADERS = [
    "Run", "Started (UTC)", "Status", "Airflow", "Read", "Ingested", "Canonical", "Duplicates",
    "Same story", "Revised", "Rejected", "Dup. rate", "Error",
]  # fmt: skip
RUN_COUNTS = (
    "inputs_read", "ingested", "canonical", "duplicates", "same_story", "revised", "rejected",
)  # fmt: skip
DAY_HEADERS = [
    "Day", "Runs", "Failed", "Ingested", "Canonical", "Duplicates", "Same story", "Rejected",
    "Dup. rate",
]  # fmt: skip


AUDIT_REASONS = {
    "kept_extracted": "cleaning left too little: extracted text kept",
    "most_removed": "cleaning removed more than half",
}


def _run_rows(runs: list[dict[str, Any]], base: str) -> list[list[str]]:
    """A run links to the articles it loaded; its Airflow state is the DAG run's (None for a
    command-line run), from run_state.with_airflow_state."""
    rows = []
    for run in runs:
        rows.append(
            [
                f'<a href="{href(base, "/articles", run=run["run_id"])}" '
                f'data-run-link="{esc(run["run_id"])}">{esc(run["run_id"])}</a>',
                short_time(run["started_at"]),
                status(run["status"], "run-status"),
                status(run.get("airflow_state"), "airflow-state"),
                *(f'<span class="n">{esc(run[k])}</span>' for k in RUN_COUNTS),
                pct(run["duplicate_rate"]),
                esc(run["error"] or ""),
            ]
        )
    return rows


def render_page(
    view: Overview, days: int, base: str = "", sources: list[dict[str, Any]] | None = None
) -> str:
    """The whole page; `sources`: health.source_health's rows."""
    totals = view.totals
    runs_oldest_first = list(reversed(view.runs))
    run_keys = ("canonical", "duplicates", "rejected")
    last = view.runs[0] if view.runs else None
    last_line = (
        f"Last run {esc(last['run_id'])} ({short_time(last['started_at'])}): "
        f"{status(last['status'])}, "
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
            _run_rows(view.runs, base),
            "No runs yet.",
        ),
        "<h2>Sources</h2>" + health_table(sources or [], base),
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
                    article_link(base, g["canonical_id"]),
                    article_link(base, g["canonical_id"], g["title"] or "(no title)"),
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
                    article_link(base, a["id"]),
                    article_link(base, a["id"], a["title"] or "(no title)"),
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
    return document("News ingest", "".join(sections), base, here="")
