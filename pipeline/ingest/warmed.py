"""Imported by the fork server of ingest's worker pool (batch.text_pool), so that every worker
forked from it starts with the models loaded and shared: importing this module warms up."""

from pipeline.ingest.batch import warm_up

warm_up()
