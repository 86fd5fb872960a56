"""One article (/news/articles/{id}): what it is, what the cleaner removed, what it is grouped
with, and why: for each linked article what `newsdedup explain` says (pipeline/dedupe/explain.py)
with the two texts side by side and the passages they share marked in both
(<mark data-shared-passage="n">, n the passage's number in the evidence table).
"""

from __future__ import annotations

from typing import Any

from newsdedup_ops.html import article_link, document, esc, href, short_time, status, table
from pipeline.dedupe.explain import ArticleInfo, Explanation, describe, passage_spans
from pipeline.ops.browse import ArticleDetail

AUDIT = {
    "kept_extracted": "cleaning would have left too little: the extracted text was kept as it "
    "came, and the removals below were not applied",
    "most_removed": "cleaning removed more than half of the extracted text",
}


def marked(text: str, passages: list[str]) -> str:
    """`text` as HTML with each passage found in it in <mark data-shared-passage="n">."""
    parts, at = [], 0
    for start, end, index in passage_spans(text, passages):
        parts.append(esc(text[at:start]))
        parts.append(
            f'<mark data-shared-passage="{index + 1}" title="shared passage {index + 1}">'
            f"{esc(text[start:end])}</mark>"
        )
        at = end
    parts.append(esc(text[at:]))
    return "".join(parts)


def _facts(detail: ArticleDetail, base: str) -> str:
    a, run = detail.article, detail.run
    url = str(a["url"])
    link = f'<a href="{esc(url)}" rel="noreferrer">{esc(url)}</a>' if url.startswith("http") else (
        f"<code>{esc(url)}</code>"
    )  # fmt: skip
    if detail.canonical:
        c = detail.canonical
        canonical_href = href(base, f"/articles/{c['id']}")
        role = (
            f'duplicate of <a href="{canonical_href}" '
            f'data-canonical-link="{esc(c["id"])}">{esc(c["title"] or "(no title)")}</a> '
            f"<span class='muted'>#{esc(c['id'])}, {esc(c['outlet'])}</span>"
        )
    else:
        role = f"canonical, {len(detail.duplicates)} duplicate(s)"
    run_text = "–"
    if run:
        run_link = f'<a href="{href(base, "/articles", run=run["id"])}">{esc(run["id"])}</a>'
        run_text = (
            f"{run_link} <code>{esc(run['triggered_by'])}</code> "
            f"{short_time(run['started_at'])} {status(run['status'], 'run-status')}"
        )
    facts = [
        ("Article", f"#{esc(a['id'])}"),
        ("Outlet", esc(a["outlet"])),
        ("URL", link),
        ("Published", short_time(a["published_at"])),
        ("Updated (page)", short_time(a["updated_at"])),
        ("Loaded", short_time(a["ingested_at"])),
        ("Revision", f"{esc(a['revision'])} (revised {short_time(a['revised_at'])})"
         if a["revision"] > 1 else "1"),
        ("Language", esc(a["language"])),
        ("Authors", esc(", ".join(a["authors"] or [])) or "–"),
        ("Run", run_text),
        ("Role", f'<span data-role="{"duplicate" if detail.is_duplicate else "canonical"}">'
                 f"{role}</span>"),
        ("Story", article_link(base, a["story_id"], f"story #{a['story_id']}")),
    ]  # fmt: skip
    if a["cleaning_audit"]:
        facts.append(("Cleaning", f"<strong>{esc(AUDIT.get(a['cleaning_audit'], ''))}</strong>"))
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _members(name: str, rows: list[dict[str, Any]], base: str, empty: str) -> str:
    return table(
        name,
        ["Article", "Title", "Outlet", "Published (UTC)", "Role"],
        [
            [
                article_link(base, r["id"]),
                article_link(base, r["id"], r["title"] or "(no title)"),
                esc(r["outlet"]),
                short_time(r["published_at"] or r["ingested_at"]),
                "canonical" if r["canonical_id"] == r["id"] else
                f"duplicate of {article_link(base, r['canonical_id'])}",
            ]
            for r in rows
        ],
        empty,
        [f'data-article="{esc(r["id"])}"' for r in rows],
    )  # fmt: skip


def _side(label: str, side: str, info: ArticleInfo, passages: list[str], base: str) -> str:
    title = info.title or "(no title)"
    rest = (
        f"<p class='muted' data-cut='{info.text_chars}'>… not compared: the rest of its "
        f"{info.text_chars:,} characters.</p>"
        if info.cut
        else ""
    )
    return (
        f'<div data-side="{side}" data-article="{esc(info.id)}"><h4>{label}: '
        f"{article_link(base, info.id, f'#{info.id}')} {marked(title, passages)}</h4>"
        f'<div class="text" data-body="{esc(info.id)}">{marked(info.body, passages)}</div>'
        f"{rest}</div>"
    )


def evidence(exp: Explanation, base: str, open_: bool = False) -> str:
    """What `newsdedup explain THIS OTHER` prints, and the two texts side by side."""
    this, other = exp.first, exp.second
    mine = [a for a, _ in exp.comparison.shared_passages]
    theirs = [b for _, b in exp.comparison.shared_passages]
    stored = [
        f"<li>Stored link {esc(link['article_id'])} → {esc(link['matched_id'])}: "
        f"<strong>{esc(link['level'])}</strong> by {esc(link['method'])} (similarity "
        f"{float(link['similarity']):.3f}), {esc(link['reason'])}</li>"
        for link in exp.stored_links
    ] or ["<li>No direct link is stored between them"
          + (": they are grouped through other articles." if exp.grouped_as != "not grouped"
             else ".") + "</li>"]  # fmt: skip
    at_ingest = exp.stored_links[0]["scores"] if exp.stored_links else {}
    scores = table(
        "scores",
        ["Signal", "Compared now", "Stored at ingest"],
        [
            [esc(name), f'<span class="n">{value:.4g}</span>',
             esc(f"{at_ingest[name]:.4g}") if isinstance(at_ingest.get(name), int | float)
             else "–"]
            for name, value in exp.score_rows()
        ],
        "No scores.",
    )  # fmt: skip
    shared = table(
        "shared_passages",
        ["#", f"#{this.id} (this article)", f"#{other.id}"],
        [[str(n), esc(a), esc(b)] for n, (a, b) in enumerate(exp.comparison.shared_passages, 1)],
        "No sentence of one text has a counterpart in the other."
        if exp.compared
        else "Not compared.",
    )
    note = (
        f"<p class='note' data-note><strong>Note:</strong> {esc(exp.note)}</p>" if exp.note else ""
    )
    return (
        f'<details class="evidence" data-evidence="{esc(this.id)}-{esc(other.id)}"'
        f"{' open' if open_ else ''}><summary>#{esc(this.id)} ⇄ #{esc(other.id)} "
        f"{esc(other.title or '(no title)')}: {esc(exp.grouped_as)}; compared now "
        f'<span data-level-now="{esc(exp.decision.level or "none")}">{esc(exp.level_now)}'
        "</span></summary>"
        f"<p class='muted'>A {esc(describe(this))}<br>B {esc(describe(other))}</p>"
        f"<ul>{''.join(stored)}</ul><p><strong>Compared now:</strong> {esc(exp.level_now)} — "
        f"{esc(exp.decision.reason)}</p>{note}<div class='why'><div>{scores}</div>"
        f"<div><h4>Passages the two texts share</h4>{shared}</div></div>"
        f'<div class="pair" data-pair="{esc(this.id)}-{esc(other.id)}">'
        + _side("This article", "this", this, mine, base)
        + _side("Linked", "other", other, theirs, base)
        + "</div></details>"
    )


def _removals(detail: ArticleDetail) -> str:
    return table(
        "removals",
        ["#", "Rule", "Removed line", "Applied"],
        [
            [esc(r["position"]), f"<strong>{esc(r['rule'])}</strong>", esc(r["removed"]),
             "yes" if r["applied"] else '<span class="removed-no">no: extracted text kept</span>']
            for r in detail.removals
        ],
        "The cleaner removed nothing from this article.",
        [f'data-rule="{esc(r["rule"])}" data-applied="{str(r["applied"]).lower()}"'
         for r in detail.removals],
    )  # fmt: skip


def render_article(
    detail: ArticleDetail, explanations: list[Explanation], base: str, left_out: int = 0
) -> str:
    a = detail.article
    more = (
        f"<p class='muted'>{left_out} more linked article(s) not compared here: open their "
        "pages, or run <code>newsdedup explain</code>.</p>"
        if left_out
        else ""
    )
    body = (
        f"<h1>{esc(a['title'] or '(no title)')}</h1>{_facts(detail, base)}"
        f'<h2>Cleaned text</h2><div class="text" data-body="{esc(a["id"])}">{esc(a["body"])}</div>'
        f"<h2>Removed by the cleaner</h2>{_removals(detail)}"
        + "<h2>Copies</h2>"
        + _members("duplicates", detail.duplicates, base,
                   "No other copy of this text." if detail.is_duplicate else "No duplicates.")
        + "<h2>The story's other articles</h2>"
        + _members("story", detail.story, base, "No other article tells this story.")
        + "<h2>Why: the evidence of each link</h2>"
        + ("".join(evidence(exp, base, open_=(n == 0)) for n, exp in enumerate(explanations))
           or "<p class='empty'>Not grouped with any other article.</p>")
        + more
    )  # fmt: skip
    return document(str(a["title"] or f"Article {a['id']}"), body, base, here="articles")
