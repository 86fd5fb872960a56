"""`newsdedup eval dedupe`: pairwise precision, recall and F1 of both dedupe levels.

The articles go through the product's own path, one at a time as ingest stores them:
fingerprint -> LSH candidates -> verify -> place. Only the candidate index is different: the
in-memory one behind the seam ingest's index uses (pipeline/dedupe/candidate_index.py), read
with the same ranking rule, so that an evaluation needs no database and takes seconds.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.dedupe.candidate_index import BucketKey, MemoryCandidateIndex
from pipeline.dedupe.candidates import bucket_keys, rank_candidates
from pipeline.dedupe.compared import dedupe_text
from pipeline.dedupe.fingerprint import Fingerprint, fingerprint
from pipeline.dedupe.stories import StoryWords, StreamStories, story_words
from pipeline.dedupe.story_model import StoryModel
from pipeline.dedupe.verify import Candidate, Doc, Placement, cosine, place, prepare
from pipeline.evaluation.synthetic import SyntheticDoc, generate, load_sources

SAME_STORY_MAX = 1.5  # datasets README: overall <= 1.5 is the same story ...
DIFFERENT_STORY_MIN = 2.5  # ... and >= 2.5 a different story
HARD_NEGATIVE_COSINE = 0.30  # different sources this close in weighted terms share a topic
CV_FOLDS = 5
CV_SEEDS = 5


@dataclass(frozen=True)
class Placed:
    """What story assignment was given for one article (to replay it: story_replay.py)."""

    article_id: int
    words: StoryWords
    when: datetime | None
    candidates: list[int]  # the articles it was compared with
    placement: Placement  # its canonical and links (the canonical's story is its own)


def assign_story(stories: StreamStories, story: dict[int, int], placed: Placed) -> None:
    """Choose the placed article's story, as ingest does (place.decide_batch), and record it
    in `story` (article id -> story id; the articles it was compared with are in it)."""
    canonical = placed.placement.canonical_id
    choice = stories.assign(
        placed.article_id,
        placed.words,
        placed.when,
        [story[i] for i in placed.candidates],
        {story[m.candidate_id] for m in placed.placement.links},
        None if canonical is None else (canonical, story[canonical]),
    )
    story[placed.article_id] = placed.article_id if choice.story_id is None else choice.story_id


@dataclass
class MemoryIndex:
    """The dedupe state of a corpus in memory: candidate index, docs, canonical and story."""

    settings: Settings
    model: StoryModel | None = None  # the same-story model; None: the shipped one
    index: MemoryCandidateIndex = field(init=False)
    docs: dict[int, Doc] = field(default_factory=dict)
    canonical: dict[int, int] = field(default_factory=dict)
    story: dict[int, int] = field(default_factory=dict)
    candidates_seen: dict[int, set[int]] = field(default_factory=dict)
    stories: StreamStories = field(init=False)
    placed: list[Placed] = field(default_factory=list)  # what story assignment was given

    def __post_init__(self) -> None:
        self.index = MemoryCandidateIndex(self.settings.dedupe)
        self.stories = StreamStories(self.settings.dedupe)

    def candidates(self, fingerprints: Iterable[Fingerprint]) -> list[int]:
        return self._ranked(bucket_keys(fingerprints))

    def _ranked(self, keys: list[BucketKey]) -> list[int]:
        (shared,) = self.index.shared_buckets([keys])
        return rank_candidates(shared, self.settings.dedupe)

    def add(self, text: str, published_at: datetime | None = None, dated_story: bool = True) -> int:
        """Place one text whose first line is its title (as the dev sets write them);
        `dated_story` False: its date is a guess, which its story does not trust."""
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
            self.model,
        )
        self.docs[article_id] = doc
        self.canonical[article_id] = placement.canonical_id or article_id
        when = published_at if dated_story else None
        placed = Placed(article_id, story_words(doc), when, found, placement)
        self.placed.append(placed)
        assign_story(self.stories, self.story, placed)
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


@dataclass
class PairsRun:
    """What one run of the dev pairs through placement decided, pair by pair."""

    articles: int
    pairs: list[LabelledPair]
    labelled: list[LabelledPair]
    same_story: list[bool]  # per labelled pair: placed in one story
    duplicate: list[bool]  # per labelled pair: collapsed onto one canonical
    candidates: list[bool]  # per labelled pair: the later one's LSH candidates held the other

    def gold(self, pair: LabelledPair) -> bool:
        return pair.overall <= SAME_STORY_MAX

    @property
    def story(self) -> Score:
        return score_pairs(list(zip(map(self.gold, self.labelled), self.same_story, strict=True)))

    def merged_negatives(self) -> list[str]:
        return [
            p.pair_id
            for p, dup in zip(self.labelled, self.duplicate, strict=True)
            if dup and not self.gold(p)
        ]


def run_pairs(
    path: Path, settings: Settings, limit: int | None = None, model: StoryModel | None = None
) -> PairsRun:
    texts, pairs = load_pairs(path)
    pairs = pairs[:limit] if limit else pairs
    wanted = sorted({d for p in pairs for d in (p.first, p.second)})
    index = MemoryIndex(settings, model)
    # SemEval article ids grow with crawl time: their order is the arrival order.
    ids = {doc: index.add(texts[doc]) for doc in sorted(wanted, key=lambda d: (len(d), d))}
    labelled = [p for p in pairs if p.overall <= SAME_STORY_MAX or p.overall >= DIFFERENT_STORY_MIN]

    def same(p: LabelledPair, groups: dict[int, int]) -> bool:
        return groups[ids[p.first]] == groups[ids[p.second]]

    return PairsRun(
        articles=len(texts if not limit else wanted),
        pairs=pairs,
        labelled=labelled,
        same_story=[same(p, index.story) for p in labelled],
        duplicate=[same(p, index.canonical) for p in labelled],
        candidates=[index.were_candidates(ids[p.first], ids[p.second]) for p in labelled],
    )


def eval_pairs(path: Path, settings: Settings, limit: int | None = None) -> list[str]:
    run = run_pairs(path, settings, limit)
    positives = sum(map(run.gold, run.labelled))
    negatives = len(run.labelled) - positives
    recalled = sum(c for p, c in zip(run.labelled, run.candidates, strict=True) if run.gold(p))
    collapsed = sum(d for p, d in zip(run.labelled, run.duplicate, strict=True) if run.gold(p))
    merged = run.merged_negatives()
    return [
        f"same-story dev pairs: {path}",
        f"  {run.articles} articles, {len(run.labelled)} labelled pairs "
        f"({positives} same story <= {SAME_STORY_MAX}, {negatives} different "
        f">= {DIFFERENT_STORY_MIN}; {len(run.pairs) - len(run.labelled)} ambiguous pairs ignored)",
        "  "
        + run.story.line("same story")
        + " (in-sample: the shipped story model was fitted on these pairs; the cross-validated "
        "figures are under 'same-story model')",
        f"  LSH candidate recall of same-story pairs: {recalled}/{positives}",
        f"  duplicate level: different-story pairs merged as duplicates: "
        f"{len(merged)} {merged or ''}".rstrip(),
        f"  duplicate level: same-story pairs collapsed as duplicates: {collapsed}/{positives} "
        "(no gold duplicate labels in this set)",
    ]


# --- synthetic wire copies --------------------------------------------------------------------


@dataclass
class SyntheticRun:
    """The synthetic set placed one document at a time, as ingest places them."""

    docs: Sequence[SyntheticDoc]
    index: MemoryIndex
    ids: dict[str, int]

    def together(self, groups: dict[int, int], a: str, b: str) -> bool:
        return groups[self.ids[a]] == groups[self.ids[b]]

    @property
    def duplicate(self) -> Score:
        gold = {doc.doc_id: doc.source for doc in self.docs}
        return score_partitions(gold, {d: self.index.canonical[i] for d, i in self.ids.items()})

    @property
    def story(self) -> Score:
        gold = {doc.doc_id: doc.gold_story for doc in self.docs}
        return score_partitions(gold, {d: self.index.story[i] for d, i in self.ids.items()})

    @property
    def follow_ups(self) -> list[tuple[str, str]]:
        return [(doc.doc_id, doc.story) for doc in self.docs if doc.story]

    def merged_follow_ups(self) -> list[str]:
        return [f for f, base in self.follow_ups if self.together(self.index.canonical, f, base)]


def run_synthetic(docs: Sequence[SyntheticDoc], settings: Settings) -> SyntheticRun:
    index = MemoryIndex(settings)
    ids = {doc.doc_id: index.add(doc.text, doc.published_at) for doc in docs}
    return SyntheticRun(docs, index, ids)


def _sources(naeb_dir: Path, limit: int | None) -> dict[str, str]:
    sources = load_sources(naeb_dir)
    return dict(sorted(sources.items())[:limit]) if limit else sources


def eval_synthetic(naeb_dir: Path, settings: Settings, limit: int | None = None) -> list[str]:
    sources = _sources(naeb_dir, limit)
    run = run_synthetic(generate(sources), settings)
    docs, index, ids = run.docs, run.index, run.ids
    undated = len(run_synthetic(generate(sources, dated=False), settings).merged_follow_ups())
    originals = {doc.doc_id for doc in docs if doc.doc_id == doc.source and not doc.story}
    hard = _hard_negatives(index, ids, originals)
    hard_merged = sum(run.together(index.canonical, a, b) for a, b in hard)
    hard_story = sum(run.together(index.story, a, b) for a, b in hard)
    follow_ups, merged = run.follow_ups, run.merged_follow_ups()
    grouped = sum(run.together(index.story, f, base) for f, base in follow_ups)
    by_edit: dict[str, list[bool]] = defaultdict(list)
    for doc in docs:
        if doc.edits and not doc.story:
            found = run.together(index.canonical, doc.doc_id, doc.source)
            for edit in doc.edits:
                by_edit[edit].append(found)
    copies = sum(1 for doc in docs if doc.edits and not doc.story)
    return [
        f"synthetic wire copies from {naeb_dir}: {len(originals)} gold articles, {copies} "
        f"copies (seeded edits), {len(follow_ups)} follow-ups (a new lead, then the base's "
        "background reworded), shuffled arrival order",
        "  " + run.duplicate.line("duplicate"),
        "  " + run.story.line("same story"),
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


# Each rule of verify.classify switched off in turn: what it is worth on both sets (the
# same-story model's signals are left out one at a time by story_fit.eval_model).
ABLATIONS: dict[str, dict[str, Any]] = {
    "copy rule": {"copy_containment": math.inf},
    "rewrite rule": {"rewrite_alignment": math.inf},
    "lead check (follow-ups)": {"duplicate_max_lead_novelty": math.inf},
    "story: date window": {"story_max_days": -1.0},
}


def eval_ablations(
    pairs_path: Path, naeb_dir: Path, settings: Settings, limit: int | None = None
) -> list[str]:
    """Both sets with each rule off (ABLATIONS), one line per rule."""
    sources = _sources(naeb_dir, limit)
    docs = generate(sources)
    lines = ["ablations (each rule off in turn; every other setting as configured):"]
    for name, change in {"none (all rules)": {}, **ABLATIONS}.items():
        varied = dataclasses.replace(
            settings, dedupe=dataclasses.replace(settings.dedupe, **change)
        )
        pairs, synthetic = run_pairs(pairs_path, varied, limit), run_synthetic(docs, varied)
        duplicate = synthetic.duplicate
        lines.append(
            f"  {name:26s} pairs: same story F1 {pairs.story.f1:.4f}, different merged "
            f"{len(pairs.merged_negatives())} | synthetic: duplicate P {duplicate.precision:.4f} "
            f"R {duplicate.recall:.4f}, same story F1 {synthetic.story.f1:.4f}, follow-ups "
            f"merged {len(synthetic.merged_follow_ups())}/{len(synthetic.follow_ups)}"
        )
    return lines


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
