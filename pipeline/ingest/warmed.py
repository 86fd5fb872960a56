"""Imported by the fork server of ingest's worker pool (text_work.text_pool), so that every worker
forked from it starts with the models loaded and shared: importing this module warms up."""

from pipeline.ingest.text_work import warm_up

warm_up()
