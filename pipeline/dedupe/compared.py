"""What dedupe compares of an article."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from pipeline.dedupe.doc import Doc, prepare
from pipeline.text.tables import without_tables


def dedupe_text(title: str | None, body: str) -> str:
    """The title, then the body without its tables (pipeline/text/tables.py). A headline names
    the story in a few rare words that rewrites and independent reports tend to keep; without
    it same-story recall on the dev pairs falls from 0.78 to 0.69 (`newsdedup eval dedupe`)."""
    text = without_tables(body)
    return f"{title}\n\n{text}" if title else text


def article_doc(
    title: str | None,
    body: str,
    published_at: datetime | None = None,
    embedding: np.ndarray | None = None,
) -> Doc:
    """The Doc dedupe compares an article by (its title marks where the lead starts);
    `embedding`: its opening's, when stored (prepare)."""
    return prepare(dedupe_text(title, body), published_at, title, embedding)
