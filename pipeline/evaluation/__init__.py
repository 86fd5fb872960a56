"""Evaluation commands (`newsdedup eval ...`): measured on development sets, never shipped data."""
