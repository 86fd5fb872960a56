"""The language of a text (py3langid, whose model ships inside its wheel)."""

from __future__ import annotations

LANGUAGE_SAMPLE_CHARS = 1_000


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None for text too short to tell."""
    if len(text) < 20:
        return None
    import py3langid  # deferred: loading its model is slow, and only articles need it

    # langid's cost grows with length (a Python loop per byte), and the opening of a text tells
    # its language as well as more of it does (BENCHMARKS.md, "Figures behind the code").
    language, _score = py3langid.classify(text[:LANGUAGE_SAMPLE_CHARS])
    return str(language)
