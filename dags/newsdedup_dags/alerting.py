"""The ingest DAGs' alerts as an Airflow Notifier: failed task, failed check, failed run, deadline.

Every alert is logged (one "NEWSDEDUP ALERT" line, `pipeline.ops.alerts`) and, when the Connection
`newsdedup_alerts` exists, sent through the apprise provider's hook to the services it names:
conn_type `apprise`, extra `{"config": {"path": "slacks://...", "tag": "alerts"}}` (any Apprise URL:
Slack, Teams, email, a JSON webhook). The URL lives only in the Connection (an environment variable
AIRFLOW_CONN_NEWSDEDUP_ALERTS, a secrets backend or the UI), and a delivery that fails is logged by
its exception type alone, since apprise's messages can quote the URL (and the DEBUG lines of apprise
and of urllib3 under it do: those loggers are held at INFO while it delivers, whatever the log
level). A delivery never raises:
an alert must not turn a run's outcome around or hide the original error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from airflow.sdk import BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from pipeline.ops import alerts

ALERTS_CONN_ID = "newsdedup_alerts"
log = logging.getLogger("newsdedup.alerts")


def _hook() -> Any:
    from airflow.providers.apprise.hooks.apprise import AppriseHook

    return AppriseHook(apprise_conn_id=ALERTS_CONN_ID)


def _failure() -> Any:
    from apprise import NotifyType

    return NotifyType.FAILURE


# The loggers that print a delivery's URL at DEBUG: apprise's own and the HTTP client's under it.
_URL_LOGGERS = ("apprise", "urllib3")


@contextmanager
def _apprise_quiet() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _URL_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _delivery_failed(exc: Exception) -> None:
    if isinstance(exc, AirflowNotFoundException):
        return  # no Connection: the log line is the alert
    log.error(
        "%s: delivery through Connection %s failed (%s)",
        alerts.PREFIX, ALERTS_CONN_ID, type(exc).__name__,
    )  # fmt: skip


class NewsdedupNotifier(BaseNotifier):
    """on_failure_callback of tasks and runs, and (through AsyncCallback) the Deadline alert's
    callback: the triggerer instantiates it with the callback's kwargs and awaits it."""

    def __init__(self, kind: str, context: Mapping[str, Any] | None = None, **details: Any) -> None:
        super().__init__(context=context)  # type: ignore[arg-type]
        self.kind = kind
        self.details = details

    def _alert(self, context: Mapping[str, Any]) -> alerts.Alert:
        alert = alerts.compose(self.kind, context, **self.details)
        alerts.log_alert(alert)
        return alert

    def notify(self, context: Any) -> None:
        alert = self._alert(context)
        try:
            with _apprise_quiet():
                _hook().notify(body=alert.summary, title=alert.title, notify_type=_failure())
        except Exception as exc:
            _delivery_failed(exc)

    async def async_notify(self, context: Any) -> None:
        alert = self._alert(context)
        try:
            with _apprise_quiet():
                await _hook().async_notify(
                    body=alert.summary, title=alert.title, notify_type=_failure()
                )
        except Exception as exc:
            _delivery_failed(exc)
