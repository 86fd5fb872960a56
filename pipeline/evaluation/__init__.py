"""Scoring of the pipeline's output against gold data sets (used by `newsdedup eval`)."""
