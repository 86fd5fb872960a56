"""Running the pipeline: batches of inputs through extract, clean, dedupe and store
(batch.py), the sources' items fetched and loaded (crawl.py), a DAG run's plan and shards
(plan.py) and archive backfills (backfill.py)."""
