"""A synthetic news corpus of any size from the naeb gold texts, deterministic from a seed.

Each original article is a new combination of gold paragraphs from different articles, with
its own names (every capitalised word is renamed through a per-article mapping into an
invented name) and about a third of its longer words swapped for other words of the gold
vocabulary, so that originals do not share long word runs the way copies do. A controlled
share of articles are syndicated copies of a recent original, made with the outlet edits of
pipeline/evaluation/synthetic.make_copy. Every article carries its outlet's boilerplate lines
(footer, newsletter pitch) most of the time, as scraped news does.

Article k depends only on (seed, k): the corpus streams, and any slice can be regenerated.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipeline.config import FingerprintSettings
from pipeline.dedupe.fingerprint import weight
from pipeline.evaluation.synthetic import make_copy
from pipeline.models import RawInput

RARE = FingerprintSettings().rare_weight
NAEB = Path("/work/shared/datasets/extraction-dev/naeb")
_WORD = re.compile(r"[A-Za-z]+")
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ten", "vos", "qui", "dar", "bel", "sum", "nor", "pex", "ta",
    "gri", "ol", "van", "zu", "mek", "fal", "rin", "do", "sha", "cor", "ith",
)  # fmt: skip
# Capitalised words that start sentences rather than name things: kept as they are.
_STARTERS = (
    "The A An In It He She They But And This That We I On At For As If When After Its His "
    "Her Their There These Those What Why How Who Some Many Most One Two Three Mr Mrs Ms Dr"
)
_KEEP = frozenset(_STARTERS.split(" "))
NAMES = len(_SYLLABLES) ** 5  # invented words an article draws its rare words from (~8 M)


def invented_name(number: int) -> str:
    """A pronounceable word for a number (a bijection on 0..24**5-1): 'Kalomirata'."""
    parts = []
    for _ in range(5):
        number, digit = divmod(number, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
    return "".join(parts).capitalize()


@dataclass(frozen=True)
class SyntheticArticle:
    index: int
    uri: str
    text: str
    original: int  # the index of the original it copies; its own index for an original
    outlet: int

    def raw(self) -> RawInput:
        data = self.text.encode()
        return RawInput(self.uri, data, hashlib.sha256(data).hexdigest(), "text/plain")


class Corpus:
    def __init__(
        self,
        seed: int = 7,
        duplicate_share: float = 0.2,
        outlets: int = 60,
        copy_window: int = 2_000,
        naeb_dir: Path = NAEB,
    ) -> None:
        self.seed = seed
        self.duplicate_share = duplicate_share
        self.outlets = outlets
        self.copy_window = copy_window
        self.naeb_dir = naeb_dir

    @cached_property
    def _gold(self) -> tuple[list[str], list[str], list[str]]:
        """Gold paragraphs, titles and the vocabulary of longer lower-case words."""
        records = json.loads((self.naeb_dir / "ground_truth.json").read_text(encoding="utf-8"))
        paragraphs = [
            p.strip() for r in records for p in r["text"].split("\n") if len(p.split()) >= 8
        ]
        titles = [r["title"] for r in records if r.get("title")]
        vocabulary = sorted({w for p in paragraphs for w in _WORD.findall(p) if len(w) >= 5})
        return paragraphs, titles, [w for w in vocabulary if w.islower() and weight(w) < RARE]

    def _rng(self, index: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}/{purpose}/{index}")

    def _boilerplate(self, outlet: int) -> list[str]:
        rng = self._rng(outlet, "outlet")
        name = invented_name(rng.randrange(NAMES))
        return [
            f"Sign up for the {name} Daily newsletter and get our best stories every morning.",
            f"© {rng.randint(2019, 2025)} {name} Media Group. All rights reserved.",
            f"Got a story for {name}? Contact our newsroom at news@{name.lower()}.example.",
        ]

    def original_text(self, index: int) -> str:
        paragraphs, titles, vocabulary = self._gold
        rng = self._rng(index, "original")
        names: dict[str, str] = {}

        def rename(match: re.Match[str]) -> str:
            # Names and rare words (what the terms scheme and verification weigh) become this
            # article's own invented words; common words stay, so the prose keeps its shape.
            word = match.group(0)
            name = word[0].isupper() and len(word) >= 3 and word not in _KEEP
            if name or weight(word.lower()) >= RARE:
                if word not in names:
                    invented = invented_name(rng.randrange(NAMES))
                    names[word] = invented if name else invented.lower()
                return names[word]
            if len(word) >= 5 and word.islower() and rng.random() < 0.2:
                return rng.choice(vocabulary)  # a common word, to vary the word runs
            return word

        target = rng.randint(650, 1_150)
        chosen: list[str] = []
        words = 0
        while words < target:
            paragraph = rng.choice(paragraphs)
            chosen.append(_WORD.sub(rename, paragraph))
            words += len(paragraph.split())
        title = _WORD.sub(rename, rng.choice(titles))
        return "\n".join([title, *chosen])

    def origin(self, index: int) -> int:
        """The original an article copies (itself for an original), following copies of copies
        back to their original."""
        while True:
            rng = self._rng(index, "origin")
            if index == 0 or rng.random() >= self.duplicate_share:
                return index
            index = max(0, index - 1 - rng.randrange(min(index, self.copy_window)))

    def article(self, index: int) -> SyntheticArticle:
        rng = self._rng(index, "article")
        outlet = rng.randrange(self.outlets)
        original = self.origin(index)
        if original == index:
            text = self.original_text(index)
        else:
            text, _ = make_copy(self.original_text(original), rng)
        if rng.random() < 0.7:
            text = "\n".join([text, *self._boilerplate(outlet)[: rng.randint(1, 3)]])
        uri = f"https://www.outlet{outlet}.example/news/{self.seed}/{index}"
        return SyntheticArticle(index, uri, text, original, outlet)

    def stream(self, count: int, start: int = 0) -> Iterator[SyntheticArticle]:
        for index in range(start, start + count):
            yield self.article(index)
