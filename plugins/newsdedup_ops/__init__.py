"""The newsdedup ops plugin: the "News ingest" page and its JSON API (see newsdedup_plugin.py)."""
