"""Words, the two ways the pipeline counts them.

`words` are \\w+ runs, as the cleaner's shape measures, the metadata checks and the extraction
metric (the ScrapingHub benchmark's definition) count them. `tokens` are dedupe's words: the
same text folded to one spelling (fold_quotes, casefold), with inner apostrophes and combining
marks kept inside their word, because each token is looked up in wordfreq for its rarity.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import regex

_WORD = re.compile(r"\w+", re.UNICODE)
# Words with inner apostrophes stay one token ("don't"); "_" and punctuation split. Combining
# marks (\p{M}) belong to their word: Devanagari, Bengali or Thai vowel signs are marks, and a
# letters-only pattern cut "स्टेशन" into "स", "ट", "शन", fragments that wordfreq does not know
# and so weighed as rare, which made unrelated Hindi pages look like one story.
_TOKEN = regex.compile(r"[\p{L}\p{N}\p{M}]+(?:'[\p{L}\p{N}\p{M}]+)*")

_QUOTES = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'))


def fold_quotes(text: str) -> str:
    """NFKC, and curly quotes and apostrophes made straight: one spelling of each word."""
    if not unicodedata.is_normalized("NFKC", text):  # a quick check: most texts already are
        text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    # str.replace is C-speed for one character; str.translate goes through Python per character
    for curly, straight in _QUOTES:
        text = text.replace(curly, straight)
    return text


def words(text: str) -> list[str]:
    return _WORD.findall(text)


@lru_cache(maxsize=4_096)
def word_count(text: str) -> int:
    """Cached: every rule asks it of the same paragraphs. The rules ask within one article,
    so a few articles' paragraphs are enough: the cache keeps its keys, and at 65,536 whole
    paragraphs it held ~70 MB in every process of a long ingest (BENCHMARKS.md, issue 21)."""
    return len(_WORD.findall(text))


def comparable(text: str) -> str:
    """A key under which two renderings of one line compare equal."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if len(w) > 3}


def tokens(text: str) -> list[str]:
    """Lower-cased words; a possessive 's is dropped. Other inner apostrophes stay: wordfreq
    knows "don't" (zipf 6.2) but not "dont" (4.7), and a contraction weighed as a rare word
    would put most English articles into the same rare-word LSH buckets."""
    return [t[:-2] if t.endswith("'s") else t for t in _TOKEN.findall(fold_quotes(text).casefold())]
