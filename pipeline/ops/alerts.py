"""Alerts for the news_ingest DAG: failure callbacks and the Deadline alert's callback.

Airflow calls these with its context (a mapping); they only read it, so this module does not
import Airflow and runs anywhere the `pipeline` package does (workers, dag-processor, triggerer).
By default an alert is one ERROR log line starting with "NEWSDEDUP ALERT", which log shipping can
match. Set $NEWSDEDUP_ALERT_WEBHOOK to also POST it as JSON (Slack/Teams/Mattermost-compatible
`text` field) to that URL; a webhook that fails is logged, never raised, so that an alert can
never turn a successful run into a failed one or hide the original error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import Mapping
from typing import Any

from pipeline.config import alert_webhook

log = logging.getLogger("newsdedup.alerts")


def _describe(context: Mapping[str, Any] | None) -> dict[str, Any]:
    context = context or {}
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    return {
        "dag_id": getattr(dag_run, "dag_id", None) or getattr(dag, "dag_id", None),
        "run_id": getattr(dag_run, "run_id", None) or context.get("run_id"),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "error": str(context["exception"]) if context.get("exception") else None,
        "reason": context.get("reason"),
    }


def send(kind: str, summary: str, details: dict[str, Any]) -> dict[str, Any]:
    """Log one alert line and, when configured, POST it to the webhook. Returns the payload."""
    payload = {"alert": kind, "text": f"NEWSDEDUP ALERT [{kind}] {summary}", **details}
    log.error("%s | %s", payload["text"], json.dumps(details, default=str, sort_keys=True))
    url = alert_webhook()
    if url:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, default=str).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError as exc:  # URLError, timeouts, refused connections
            log.error("NEWSDEDUP ALERT webhook %s failed: %s", url, exc)
    return payload


def task_failed(context: Mapping[str, Any]) -> None:
    """on_failure_callback of every news_ingest task (runs after the last retry failed)."""
    d = _describe(context)
    where = d["task_id"] if d["map_index"] in (None, -1) else f"{d['task_id']}[{d['map_index']}]"
    send("task_failed", f"{d['dag_id']}.{where} failed in run {d['run_id']}: {d['error']}", d)


def run_failed(context: Mapping[str, Any]) -> None:
    """on_failure_callback of the DAG: the run as a whole failed (a task, or the run timed out)."""
    d = _describe(context)
    send("run_failed", f"{d['dag_id']} run {d['run_id']} failed: {d['reason'] or d['error']}", d)


async def deadline_missed(context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Deadline alert callback (runs in the triggerer): a run did not finish in time."""
    d = {**_describe(context), **kwargs}
    if context:
        dag_run = context.get("dag_run")
        if isinstance(dag_run, Mapping):  # the triggerer passes a serialised run
            d["dag_id"] = d["dag_id"] or dag_run.get("dag_id")
            d["run_id"] = d["run_id"] or dag_run.get("run_id")
    summary = (
        f"{d.get('dag_id') or 'news_ingest'} run {d.get('run_id')} has not finished "
        f"{d.get('minutes', '?')} minutes after it was queued"
    )
    # The webhook call blocks: keep it off the triggerer's event loop.
    await asyncio.to_thread(send, "deadline_missed", summary, d)
