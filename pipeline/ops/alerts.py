"""What each alert of the ingest DAGs says, read off Airflow's callback context.

Delivery is Airflow's own: `dags/newsdedup_dags/alerting.py` wraps these in a Notifier that logs
the alert and sends it through the apprise provider to whatever the Connection `newsdedup_alerts`
names (Slack, Teams, email, a JSON webhook). This module only reads the context (a mapping), so it
does not import Airflow and its texts are tested without a scheduler.

An alert never carries a delivery address: the log line is safe to ship, and the Connection's URL
(a secret, for a Slack webhook) stays in the Connection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("newsdedup.alerts")
PREFIX = "NEWSDEDUP ALERT"


@dataclass(frozen=True)
class Alert:
    kind: str  # task_failed, check_failed, run_failed, deadline_missed
    summary: str
    details: dict[str, Any]

    @property
    def title(self) -> str:
        return f"{PREFIX} [{self.kind}]"

    @property
    def text(self) -> str:
        return f"{self.title} {self.summary}"


def describe(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """Where the alert comes from: DAG, run, task, try, error, reason."""
    context = context or {}
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    if isinstance(dag_run, Mapping):  # the triggerer passes a serialised run
        dag_id, run_id = dag_run.get("dag_id"), dag_run.get("run_id")
    else:
        dag_id, run_id = getattr(dag_run, "dag_id", None), getattr(dag_run, "run_id", None)
    return {
        "dag_id": dag_id or getattr(dag, "dag_id", None),
        "run_id": run_id or context.get("run_id"),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "error": str(context["exception"]) if context.get("exception") else None,
        "reason": context.get("reason"),
    }


CHECK_TASK_PREFIX = "check_"  # the data-quality check tasks of the ingest DAGs


def task_failed(context: Mapping[str, Any] | None) -> Alert:
    """A task failed after its last retry; a failed data-quality check is its own kind."""
    d = describe(context)
    where = d["task_id"] if d["map_index"] in (None, -1) else f"{d['task_id']}[{d['map_index']}]"
    kind = (
        "check_failed" if str(d["task_id"] or "").startswith(CHECK_TASK_PREFIX) else "task_failed"
    )
    return Alert(kind, f"{d['dag_id']}.{where} failed in run {d['run_id']}: {d['error']}", d)


def run_failed(context: Mapping[str, Any] | None) -> Alert:
    """A run as a whole failed (a task failed, or the run timed out)."""
    d = describe(context)
    return Alert(
        "run_failed", f"{d['dag_id']} run {d['run_id']} failed: {d['reason'] or d['error']}", d
    )


def deadline_missed(context: Mapping[str, Any] | None, minutes: float | None = None) -> Alert:
    """A run has not finished `minutes` after it was queued."""
    d = {**describe(context), "minutes": minutes}
    summary = (
        f"{d['dag_id'] or 'an ingest DAG'} run {d['run_id']} has not finished "
        f"{minutes if minutes is not None else '?'} minutes after it was queued"
    )
    return Alert("deadline_missed", summary, d)


KINDS = {"task_failed": task_failed, "run_failed": run_failed, "deadline_missed": deadline_missed}


def compose(kind: str, context: Mapping[str, Any] | None, **details: Any) -> Alert:
    """The alert of this kind for this context (the Notifier's one entry point); `details` are
    the kind's own arguments (the deadline's `minutes`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    compose_kind: Any = KINDS[kind]
    alert: Alert = compose_kind(context, **details)
    return alert


def log_alert(alert: Alert) -> None:
    """One ERROR line starting with "NEWSDEDUP ALERT", which log shipping can match."""
    log.error("%s | %s", alert.text, json.dumps(alert.details, default=str, sort_keys=True))
