"""ingest_runs: one row per run with what it read, loaded, merged, grouped and rejected."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.store.database import Connection, Cursor


@dataclass
class RunCounts:
    inputs_read: int = 0
    loaded: int = 0
    merged: int = 0
    same_story: int = 0
    unchanged: int = 0
    rejected: int = 0
    revised: int = 0  # stored articles whose content changed: stored as a new revision

    def add(self, other: RunCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def start_run(conn: Connection, triggered_by: str) -> int:
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ingest_runs (triggered_by) VALUES (%s) RETURNING id", (triggered_by,)
        )
        row = cur.fetchone()
        assert row is not None
        return int(row[0])


def add_run_counts(cur: Cursor, run_id: int, counts: RunCounts) -> None:
    cur.execute(
        """UPDATE ingest_runs SET inputs_read = inputs_read + %(inputs_read)s,
               loaded = loaded + %(loaded)s, merged = merged + %(merged)s,
               same_story = same_story + %(same_story)s, unchanged = unchanged + %(unchanged)s,
               rejected = rejected + %(rejected)s, revised = revised + %(revised)s
           WHERE id = %(run_id)s""",
        {**counts.as_dict(), "run_id": run_id},
    )


def run_counts(conn: Connection, run_id: int) -> RunCounts:
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT inputs_read, loaded, merged, same_story, unchanged, rejected, revised
               FROM ingest_runs WHERE id = %s""",
            (run_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise ValueError(f"no ingest run {run_id}")
    return RunCounts(*row)


def finish_run(conn: Connection, run_id: int, error: str | None = None) -> RunCounts:
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE ingest_runs SET finished_at = now(), status = %s, error = %s
               WHERE id = %s
               RETURNING inputs_read, loaded, merged, same_story, unchanged, rejected, revised""",
            ("failed" if error else "succeeded", error, run_id),
        )
        row = cur.fetchone()
    if row is None:
        raise ValueError(f"no ingest run {run_id}")
    return RunCounts(*row)


def abandon_run(conn: Connection, run_id: int, reason: str) -> bool:
    """Mark a run that is still 'running' failed with `reason`, when whatever ran it is known
    to have ended without closing it (its process died; the ops plugin finds such runs from
    Airflow's run state). A run that was closed meanwhile is left as it is: returns False."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE ingest_runs SET status = 'failed', finished_at = now(), error = %s
               WHERE id = %s AND status = 'running'""",
            (reason, run_id),
        )
        return cur.rowcount == 1


@dataclass
class RejectionTally:
    reason: str
    count: int
    examples: list[str]  # the first few source URIs rejected for it
    detail: str  # what was said of the first of them


def run_rejections(conn: Connection, run_id: int, examples: int = 3) -> list[RejectionTally]:
    """The reasons inputs were rejected in one run, most frequent first."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT reason, count(*), (array_agg(source_uri ORDER BY rejected_at, id))[1:%s],
                      (array_agg(detail ORDER BY rejected_at, id))[1]
               FROM rejected_inputs WHERE run_id = %s
               GROUP BY reason ORDER BY count(*) DESC, reason""",
            (examples, run_id),
        )
        return [
            RejectionTally(reason, int(n), list(uris), detail or "")
            for reason, n, uris, detail in cur.fetchall()
        ]
