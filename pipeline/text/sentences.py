"""Sentences of a clean text, and the ones dedupe leaves out.

Both dedupe stages look at the same content: the rare-word LSH scheme
(pipeline/dedupe/fingerprint.py) and verification (pipeline/dedupe/verify.py) skip sentences with
calls to action, paywall, form and legal phrasing, or contact details, which outlets print under
every story: shared, they would make unrelated stories of one outlet look alike.
"""

from __future__ import annotations

import re

from pipeline.text.words import fold_quotes

# A sentence ends at . ! ? (and closing quotes) followed by space and an opening capital/digit,
# but not after a short capitalised abbreviation ("Dec.", "Gen.", "U.S.", "St.").
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b[A-Z][a-z]{0,3}|\b[A-Z](?:\.[A-Z])*|\bNo|\bvs)\.$")
# Calls to action, paywalls, forms and legal lines (see the module docstring).
_BOILERPLATE = re.compile(
    r"\b(?:"
    + "|".join(
        (
            r"subscri(?:be|ber|bers|ption)\b",
            r"sign(?:ed)? up\b",
            r"newsletters?\b",
            r"log ?in\b",
            r"password\b",
            r"e-?mail address(?:es)?\b",
            r"(?:free|full) trial\b",
            r"registered users?\b",
            r"cookies?\b",
            r"privacy (?:policy|notice)\b",
            r"terms of (?:use|service)\b",
            r"all rights reserved\b",
            r"copyright\b",
            r"follow us\b",
            r"click here\b",
            r"download (?:our|the) app\b",
            r"advertisement\b",
            r"related:",
            r"read more\b",
            r"fill (?:in|out) (?:the|this|our)\b",
        )
    )
    + ")|©"
    # Contact details, as press releases and desks print them: an e-mail address, a phone number.
    # The address starts where a run of its characters starts, and its parts are bounded, so
    # that a long run without "@" is scanned once, not from each of its characters.
    + r"|(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[a-z]{2,}"
    + r"|\(?\b\d{3}\)?[-. ]?\d{3}[-.]\d{4}\b"
)  # matched against lower-cased text: IGNORECASE makes re try every branch at every character


def sentences(text: str) -> list[str]:
    found: list[str] = []
    for line in fold_quotes(text).split("\n"):
        buffer = ""
        for part in _SPLIT.split(line.strip()):
            buffer = f"{buffer} {part}" if buffer else part
            if _ABBREVIATION.search(buffer):
                continue
            found.append(buffer)
            buffer = ""
        if buffer:
            found.append(buffer)
    return [s for s in found if s]


def is_boilerplate(sentence: str) -> bool:
    return _BOILERPLATE.search(sentence.lower()) is not None


def content_sentences(text: str) -> list[str]:
    return [s for s in sentences(text) if not is_boilerplate(s)]
