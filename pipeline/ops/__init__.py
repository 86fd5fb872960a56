"""What operators see: monitoring queries and data-quality checks (monitoring.py), alerts
(alerts.py) and the command line's summary tables (report.py)."""
