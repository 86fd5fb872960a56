"""Ops numbers and data-quality checks, as plain data (the Airflow plugin and the DAG call these).

Everything reads the monitoring_* views of sql/006_monitoring_views.sql, so that the page in the
Airflow UI and the checks that fail a run agree on what "duplicate rate" or "rejected" means.
No Airflow here: the plugin renders these dicts, the DAG turns a failed check into a failed task.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.config import QualitySettings
from pipeline.store import Connection, jsonable, query_rows

# --- what the page shows ----------------------------------------------------------------------


def recent_runs(conn: Connection, limit: int = 30) -> list[dict[str, Any]]:
    """The latest runs, newest first, with their counts and rates."""
    return query_rows(conn, "SELECT * FROM monitoring_runs ORDER BY run_id DESC LIMIT %s", (limit,))


def daily_counts(conn: Connection, days: int = 30) -> list[dict[str, Any]]:
    """Per UTC day over the last `days` days, oldest first (the order a chart reads)."""
    return query_rows(
        conn,
        """SELECT * FROM monitoring_daily
           WHERE day > (now() AT TIME ZONE 'UTC')::date - %s ORDER BY day""",
        (days,),
    )


def outlet_duplicate_rates(conn: Connection, days: int = 30) -> list[dict[str, Any]]:
    """Per outlet over the last `days` days: articles, duplicates, rate; highest rate first."""
    return query_rows(
        conn,
        """SELECT outlet, sum(articles) AS articles, sum(duplicates) AS duplicates,
                  round(sum(duplicates)::numeric / sum(articles), 4) AS duplicate_rate
           FROM monitoring_outlet_daily
           WHERE day > (now() AT TIME ZONE 'UTC')::date - %s
           GROUP BY outlet ORDER BY duplicate_rate DESC, articles DESC, outlet""",
        (days,),
    )


def outlet_daily_rates(conn: Connection, days: int = 30) -> list[dict[str, Any]]:
    """Per outlet and day over the last `days` days (the duplicate rate over time)."""
    return query_rows(
        conn,
        """SELECT * FROM monitoring_outlet_daily
           WHERE day > (now() AT TIME ZONE 'UTC')::date - %s ORDER BY day, outlet""",
        (days,),
    )


def latest_rejections(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    return query_rows(
        conn,
        """SELECT source_uri, reason, detail, attempts, rejected_at, run_id
           FROM rejected_inputs ORDER BY rejected_at DESC, id DESC LIMIT %s""",
        (limit,),
    )


def largest_duplicate_groups(conn: Connection, limit: int = 10) -> list[dict[str, Any]]:
    return query_rows(
        conn,
        """SELECT * FROM monitoring_duplicate_groups
           ORDER BY duplicates DESC, canonical_id LIMIT %s""",
        (limit,),
    )


def removals_by_rule(conn: Connection) -> list[dict[str, Any]]:
    """What the cleaner removed, per rule (all outlets), most removals first."""
    return query_rows(
        conn,
        """SELECT rule, sum(removals) AS removals, sum(articles) AS articles,
                  sum(chars_removed) AS chars_removed
           FROM monitoring_removals GROUP BY rule ORDER BY removals DESC, rule""",
    )


def cleaning_audit(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """Articles whose cleaning to check (sql/013): kept as extracted, or mostly removed."""
    return query_rows(
        conn,
        """SELECT id, source_uri, outlet, title, reason, removed_share, body_chars,
                  ingested_at, rules
           FROM cleaning_audit ORDER BY ingested_at DESC, id DESC LIMIT %s""",
        (limit,),
    )


def boilerplate_lines(conn: Connection, limit: int = 15) -> list[dict[str, Any]]:
    """The lines sites repeat most (learned boilerplate), most frequent first."""
    return query_rows(
        conn,
        """SELECT site, line, articles, last_seen FROM site_boilerplate
           ORDER BY articles DESC, site, line LIMIT %s""",
        (limit,),
    )


@dataclass
class Overview:
    """Everything the News ingest page shows, in one read."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)
    outlets: list[dict[str, Any]] = field(default_factory=list)
    outlet_daily: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    duplicate_groups: list[dict[str, Any]] = field(default_factory=list)
    removals: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    boilerplate: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = jsonable(asdict(self))
        return result


def totals(conn: Connection) -> dict[str, Any]:
    """What the database holds now (not per run)."""
    rows = query_rows(
        conn,
        """SELECT (SELECT count(*) FROM articles) AS articles,
                  (SELECT count(*) FROM articles WHERE canonical_id = id) AS canonical,
                  (SELECT count(*) FROM articles WHERE canonical_id <> id) AS duplicates,
                  (SELECT count(DISTINCT story_id) FROM articles) AS stories,
                  (SELECT count(*) FROM rejected_inputs) AS rejected_inputs,
                  (SELECT count(*) FROM ingest_runs) AS runs""",
    )
    return rows[0]


def overview(conn: Connection, days: int = 30, limit: int = 20) -> Overview:
    return Overview(
        runs=recent_runs(conn, limit),
        daily=daily_counts(conn, days),
        outlets=outlet_duplicate_rates(conn, days),
        outlet_daily=outlet_daily_rates(conn, days),
        rejections=latest_rejections(conn, limit),
        duplicate_groups=largest_duplicate_groups(conn, min(limit, 10)),
        removals=removals_by_rule(conn),
        audit=cleaning_audit(conn, limit),
        boilerplate=boilerplate_lines(conn, 15),
        totals=totals(conn),
    )


# --- data-quality checks ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str
    observed: dict[str, Any]


def check_bodies(conn: Connection, run_id: int, min_chars: int = 1) -> CheckResult:
    """Every article the run loaded has a body of at least `min_chars` non-blank characters."""
    rows = query_rows(
        conn,
        """SELECT id, source_uri FROM articles
           WHERE run_id = %s AND length(btrim(body, E' \\t\\r\\n')) < %s ORDER BY id""",
        (run_id, min_chars),
    )
    if not rows:
        return CheckResult("bodies", True, f"run {run_id}: every article has a body", {})
    examples = ", ".join(f"{row['id']} ({row['source_uri']})" for row in rows[:5])
    return CheckResult(
        "bodies",
        False,
        f"run {run_id}: {len(rows)} article(s) with a body under {min_chars} characters, "
        f"e.g. {examples}: the extractor or a source's markup changed",
        {"short_bodies": len(rows), "article_ids": [row["id"] for row in rows]},
    )


def _run(conn: Connection, run_id: int) -> dict[str, Any]:
    rows = query_rows(conn, "SELECT * FROM monitoring_runs WHERE run_id = %s", (run_id,))
    if not rows:
        raise ValueError(f"no ingest run {run_id}")
    return rows[0]


def check_duplicate_rate(
    conn: Connection, run_id: int, low: float, high: float, min_articles: int = 1
) -> CheckResult:
    """The run's duplicate rate lies in [low, high] once it loaded at least `min_articles`."""
    run = _run(conn, run_id)
    ingested = int(run["ingested"])
    rate = float(run["duplicate_rate"] or 0.0)
    observed = {"ingested": ingested, "duplicates": int(run["duplicates"]), "rate": rate}
    if ingested < min_articles:
        message = f"run {run_id}: {ingested} article(s) loaded, under {min_articles}: not checked"
        return CheckResult("duplicate_rate", True, message, observed)
    if low <= rate <= high:
        message = f"run {run_id}: duplicate rate {rate:.1%} is inside [{low:.0%}, {high:.0%}]"
        return CheckResult("duplicate_rate", True, message, observed)
    why = (
        "too many copies: a feed repeating itself, or cleaning that makes articles look alike"
        if rate > high
        else "too few copies: dedupe may have stopped matching (fingerprint settings changed?)"
    )
    message = (
        f"run {run_id}: duplicate rate {rate:.1%} ({observed['duplicates']} of {ingested}) "
        f"is outside the expected band [{low:.0%}, {high:.0%}]: {why}"
    )
    return CheckResult("duplicate_rate", False, message, observed)


def check_rejects(
    conn: Connection, run_id: int, max_rejected: int, max_reject_rate: float
) -> CheckResult:
    """The run rejected at most `max_rejected` inputs and at most `max_reject_rate` of them."""
    run = _run(conn, run_id)
    rejected, inputs = int(run["rejected"]), int(run["inputs_read"])
    rate = float(run["reject_rate"] or 0.0)
    observed = {"rejected": rejected, "inputs_read": inputs, "rate": rate}
    if rejected <= max_rejected and rate <= max_reject_rate:
        message = f"run {run_id}: {rejected} of {inputs} input(s) rejected"
        return CheckResult("rejects", True, message, observed)
    reasons = query_rows(
        conn,
        """SELECT reason, count(*) AS n FROM rejected_inputs WHERE run_id = %s
           GROUP BY reason ORDER BY n DESC, reason""",
        (run_id,),
    )
    by_reason = ", ".join(f"{row['reason']}: {row['n']}" for row in reasons) or "none recorded"
    message = (
        f"run {run_id}: {rejected} of {inputs} input(s) rejected ({rate:.1%}); the limits are "
        f"{max_rejected} and {max_reject_rate:.0%}. Reasons: {by_reason}. "
        "See rejected_inputs (or the News ingest page) for the inputs"
    )
    return CheckResult("rejects", False, message, {**observed, "reasons": reasons})


def run_check(conn: Connection, name: str, run_id: int, quality: QualitySettings) -> CheckResult:
    """The check of that name (a CHECKS entry: the DAG's task check_<name>) with these
    thresholds."""
    if name == "bodies":
        return check_bodies(conn, run_id, quality.min_body_chars)
    if name == "duplicate_rate":
        return check_duplicate_rate(
            conn, run_id, low=quality.duplicate_rate_min, high=quality.duplicate_rate_max,
            min_articles=quality.min_articles,
        )  # fmt: skip
    if name == "rejects":
        return check_rejects(
            conn, run_id, max_rejected=quality.max_rejected,
            max_reject_rate=quality.max_reject_rate,
        )  # fmt: skip
    raise ValueError(f"no data-quality check {name!r} (checks: {', '.join(CHECKS)})")


CHECKS = ("bodies", "duplicate_rate", "rejects")
