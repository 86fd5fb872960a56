"""What the DAG files share: the ingest DAG builder (ingest.py) and the alert Notifier."""
