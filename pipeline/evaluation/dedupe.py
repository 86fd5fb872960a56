"""`newsdedup eval dedupe`: pairwise precision, recall and F1 of both dedupe levels.

The articles go through the product's own path, one at a time as ingest stores them:
fingerprint -> LSH candidates -> verify -> place. Only the candidate index is different: the
in-memory one behind the same seam as lsh_buckets (pipeline/store/candidate_index.py), read
with the same ranking rule, so that an evaluation needs no database and takes seconds.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.dedupe.candidates import bucket_keys, rank_candidates
from pipeline.dedupe.compared import dedupe_text
from pipeline.dedupe.fingerprint import Fingerprint, fingerprint
from pipeline.dedupe.verify import Candidate, Doc, cosine, merge_stories, place, prepare
from pipeline.evaluation.synthetic import SyntheticDoc, generate, load_sources
from pipeline.store import BucketKey, MemoryCandidateIndex

SAME_STORY_MAX = 1.5  # datasets README: overall <= 1.5 is the same story ...
DIFFERENT_STORY_MIN = 2.5  # ... and >= 2.5 a different story
HARD_NEGATIVE_COSINE = 0.30  # different sources this close in weighted terms share a topic


@dataclass
class MemoryIndex:
    """The dedupe state of a corpus in memory: candidate index, docs, canonical and story."""

    settings: Settings
    index: MemoryCandidateIndex = field(init=False)
    docs: dict[int, Doc] = field(default_factory=dict)
    canonical: dict[int, int] = field(default_factory=dict)
    story: dict[int, int] = field(default_factory=dict)
    candidates_seen: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = MemoryCandidateIndex(self.settings.dedupe)

    def candidates(self, fingerprints: Iterable[Fingerprint]) -> list[int]:
        return self._ranked(bucket_keys(fingerprints))

    def _ranked(self, keys: list[BucketKey]) -> list[int]:
        (shared,) = self.index.shared_buckets([keys])
        return rank_candidates(shared, self.settings.dedupe)

    def add(self, text: str, published_at: datetime | None = None) -> int:
        """Place one text whose first line is its title (as the dev sets write them)."""
        article_id = len(self.docs) + 1
        title, _, body = text.partition("\n")
        text = dedupe_text(title, body)
        doc = prepare(text, published_at, title)
        keys = bucket_keys(fingerprint(text, self.settings.fingerprint, doc.weights))
        found = self._ranked(keys)
        self.candidates_seen[article_id] = set(found)
        placement = place(
            doc,
            [Candidate(i, self.docs[i], self.canonical[i], self.story[i]) for i in found],
            self.settings.dedupe,
        )
        self.docs[article_id] = doc
        self.canonical[article_id] = placement.canonical_id or article_id
        story = placement.story_id or article_id
        if len(placement.story_ids) > 1:
            merge_stories(self.story, story, placement.story_ids)
        self.story[article_id] = story
        self.index.add([(article_id, keys)])
        return article_id

    def were_candidates(self, a: int, b: int) -> bool:
        first, last = sorted((a, b))
        return first in self.candidates_seen[last]


@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return (
            f"{name}: P {self.precision:.4f}  R {self.recall:.4f}  F1 {self.f1:.4f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


def score_pairs(pairs: Sequence[tuple[bool, bool]]) -> Score:
    """(gold, predicted) per pair."""
    return Score(
        tp=sum(g and p for g, p in pairs),
        fp=sum(p and not g for g, p in pairs),
        fn=sum(g and not p for g, p in pairs),
    )


def score_partitions(gold: dict[str, str], predicted: dict[str, int]) -> Score:
    """Pairwise P/R of a predicted clustering against a gold one, over all pairs of items."""

    def pairs(sizes: Iterable[int]) -> int:
        return sum(math.comb(n, 2) for n in sizes)

    both = pairs(Counter((gold[k], predicted[k]) for k in gold).values())
    return Score(
        tp=both,
        fp=pairs(Counter(predicted.values()).values()) - both,
        fn=pairs(Counter(gold.values()).values()) - both,
    )


# --- same-story dev pairs ---------------------------------------------------------------------


@dataclass
class LabelledPair:
    pair_id: str
    overall: float
    first: str
    second: str


def load_pairs(path: Path) -> tuple[dict[str, str], list[LabelledPair]]:
    texts: dict[str, str] = {}
    pairs: list[LabelledPair] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        first, second = record["pair_id"].split("_")
        texts[first], texts[second] = record["text1"], record["text2"]
        pairs.append(LabelledPair(record["pair_id"], float(record["overall"]), first, second))
    return texts, pairs


def eval_pairs(path: Path, settings: Settings, limit: int | None = None) -> list[str]:
    texts, pairs = load_pairs(path)
    pairs = pairs[:limit] if limit else pairs
    wanted = sorted({d for p in pairs for d in (p.first, p.second)})
    index = MemoryIndex(settings)
    # SemEval article ids grow with crawl time: their order is the arrival order.
    ids = {doc: index.add(texts[doc]) for doc in sorted(wanted, key=lambda d: (len(d), d))}
    labelled = [p for p in pairs if p.overall <= SAME_STORY_MAX or p.overall >= DIFFERENT_STORY_MIN]
    positives = [p for p in labelled if p.overall <= SAME_STORY_MAX]
    negatives = [p for p in labelled if p.overall >= DIFFERENT_STORY_MIN]

    def same(p: LabelledPair, groups: dict[int, int]) -> bool:
        return groups[ids[p.first]] == groups[ids[p.second]]

    story = score_pairs([(p.overall <= SAME_STORY_MAX, same(p, index.story)) for p in labelled])
    halves = [
        score_pairs([(p.overall <= SAME_STORY_MAX, same(p, index.story)) for p in labelled[h::2]])
        for h in (0, 1)
    ]
    recalled = sum(index.were_candidates(ids[p.first], ids[p.second]) for p in positives)
    negative_duplicates = [p.pair_id for p in negatives if same(p, index.canonical)]
    return [
        f"same-story dev pairs: {path}",
        f"  {len(texts if not limit else wanted)} articles, {len(labelled)} labelled pairs "
        f"({len(positives)} same story <= {SAME_STORY_MAX}, {len(negatives)} different "
        f">= {DIFFERENT_STORY_MIN}; {len(pairs) - len(labelled)} ambiguous pairs ignored)",
        "  " + story.line("same story"),
        "  split halves (odd/even pairs, same thresholds): "
        + ", ".join(f"F1 {h.f1:.4f}" for h in halves),
        f"  LSH candidate recall of same-story pairs: {recalled}/{len(positives)}",
        f"  duplicate level: different-story pairs merged as duplicates: "
        f"{len(negative_duplicates)} {negative_duplicates or ''}".rstrip(),
        f"  duplicate level: same-story pairs collapsed as duplicates: "
        f"{sum(same(p, index.canonical) for p in positives)}/{len(positives)} "
        "(no gold duplicate labels in this set)",
    ]


# --- synthetic wire copies --------------------------------------------------------------------


def eval_synthetic(naeb_dir: Path, settings: Settings, limit: int | None = None) -> list[str]:
    sources = load_sources(naeb_dir)
    if limit:
        sources = dict(sorted(sources.items())[:limit])
    docs = generate(sources)
    index = MemoryIndex(settings)
    ids = {doc.doc_id: index.add(doc.text, doc.published_at) for doc in docs}
    undated = _follow_ups_merged(generate(sources, dated=False), settings)
    gold = {doc.doc_id: doc.source for doc in docs}
    duplicate = score_partitions(gold, {d: index.canonical[i] for d, i in ids.items()})
    stories = {doc.doc_id: doc.gold_story for doc in docs}
    story = score_partitions(stories, {d: index.story[i] for d, i in ids.items()})
    originals = {doc.doc_id for doc in docs if doc.doc_id == doc.source and not doc.story}
    hard = _hard_negatives(index, ids, originals)
    hard_merged = sum(index.canonical[ids[a]] == index.canonical[ids[b]] for a, b in hard)
    hard_story = sum(index.story[ids[a]] == index.story[ids[b]] for a, b in hard)
    follow_ups = [(doc.doc_id, doc.story) for doc in docs if doc.story]
    merged = [f for f, base in follow_ups if index.canonical[ids[f]] == index.canonical[ids[base]]]
    grouped = sum(index.story[ids[f]] == index.story[ids[base]] for f, base in follow_ups)
    by_edit: dict[str, list[bool]] = defaultdict(list)
    for doc in docs:
        if doc.edits and not doc.story:
            found = index.canonical[ids[doc.doc_id]] == index.canonical[ids[doc.source]]
            for edit in doc.edits:
                by_edit[edit].append(found)
    copies = sum(1 for doc in docs if doc.edits and not doc.story)
    return [
        f"synthetic wire copies from {naeb_dir}: {len(originals)} gold articles, {copies} "
        f"copies (seeded edits), {len(follow_ups)} follow-ups (a new lead, then the base's "
        "background reworded), shuffled arrival order",
        "  " + duplicate.line("duplicate"),
        "  " + story.line("same story"),
        "    (gold stories are the copy groups with their follow-ups: different articles count "
        "as negatives even where they cover one event)",
        f"  follow-ups: merged as duplicates of their base {len(merged)}/{len(follow_ups)}"
        f"{' ' + str(merged[:5]) if merged else ''}; grouped with it as one story "
        f"{grouped}/{len(follow_ups)}; with no dates at all, merged {undated}/{len(follow_ups)}",
        f"  hard negatives (different articles, weighted cosine >= {HARD_NEGATIVE_COSINE}): "
        f"{len(hard)} pairs; merged as duplicates {hard_merged}, grouped as one story "
        f"{hard_story}",
        "  copy found as a duplicate of its original, by edit: "
        + ", ".join(f"{e} {sum(v)}/{len(v)}" for e, v in sorted(by_edit.items())),
    ]


def _follow_ups_merged(docs: Sequence[SyntheticDoc], settings: Settings) -> int:
    """How many follow-ups a run of these documents merges into their base as duplicates."""
    index = MemoryIndex(settings)
    ids = {doc.doc_id: index.add(doc.text, doc.published_at) for doc in docs}
    return sum(
        index.canonical[ids[doc.doc_id]] == index.canonical[ids[doc.story]]
        for doc in docs
        if doc.story
    )


def _hard_negatives(
    index: MemoryIndex, ids: dict[str, int], originals: Iterable[str]
) -> list[tuple[str, str]]:
    """Pairs of different gold articles on one topic (the negatives a threshold can get wrong)."""
    names = sorted(originals)
    return [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if cosine(index.docs[ids[a]], index.docs[ids[b]]) >= HARD_NEGATIVE_COSINE
    ]
