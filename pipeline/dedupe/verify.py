"""Verifying LSH candidates: is a pair one text (duplicate), one event (same story), or neither?

Plain shingle Jaccard cannot answer that: two rewrites of one wire report can share fewer word
3-grams than two independent reports of one event share words. The signals below weigh each word by
its rarity (pipeline/dedupe/fingerprint.weight), so that shared names, places and unusual terms
count and shared function words do not, and look at sentences: a rewrite keeps the original's
sentence plan (most of its sentences have a reworded counterpart), independent coverage only shares
facts.

Every score is kept with the link (article_matches.scores) so that a decision can be explained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pipeline.config import DedupeSettings
from pipeline.dedupe import story_model
from pipeline.dedupe.doc import Doc, prepare, weight_of
from pipeline.dedupe.embedding import similarity as embedding_similarity
from pipeline.dedupe.screen import may_link
from pipeline.dedupe.story_model import StoryModel

__all__ = ["DUPLICATE", "SAME_STORY", "Doc", "prepare"]  # Doc and prepare: see doc.py

DUPLICATE = "duplicate"
SAME_STORY = "same_story"

SENTENCE_MATCH = 0.20  # weighted Jaccard at which two sentences say the same thing, reworded
INDEX_WEIGHT = 1.5  # only words at least this rare find counterpart sentences (speed)
# Articles at least this far apart are a news cycle apart: the later one may be a follow-up.
NEWS_CYCLE_SECONDS = 12 * 3600
MAX_SHARED_PASSAGES = 5


@dataclass
class Comparison:
    scores: dict[str, float]
    shared_passages: list[tuple[str, str]] = field(default_factory=list)  # (this, other)


@dataclass
class _Alignment:
    share: float = 0.0  # weighted share of the lighter text's sentences with a counterpart
    sentences: int = 0
    passages: list[tuple[float, str, str]] = field(default_factory=list)


def _align(light: Doc, other: Doc) -> _Alignment:
    """Which of light's sentences have a counterpart in other: one sentence of other, or two
    adjacent ones joined (rewrites merge and split sentences), with weighted Jaccard at least
    SENTENCE_MATCH."""
    weights, sentences = other.weights, len(other.sentences)
    unit_words = list(other.sentence_words)  # other's sentences, then each adjacent pair joined
    unit_weights = list(other.sentence_weights)
    for i in range(sentences - 1):
        joined = unit_words[i] | unit_words[i + 1]
        unit_words.append(joined)
        unit_weights.append(weight_of(joined, weights))
    # A unit whose words an earlier unit has is left out of the index, and a sentence whose
    # words an earlier sentence has gets its answer: repetitive text (one sentence a thousand
    # times) would otherwise compare every copy with every copy, in time that grows with the
    # square of the length.
    index: dict[str, list[int]] = {}
    indexed: set[frozenset[str]] = set()
    for i, words in enumerate(unit_words):
        if words in indexed:
            continue
        indexed.add(words)
        for word in words:
            if weights[word] >= INDEX_WEIGHT:
                index.setdefault(word, []).append(i)
    result = _Alignment()
    total = matched = 0.0
    answered: dict[frozenset[str], tuple[float, int]] = {}
    own_sentences = zip(light.sentences, light.sentence_words, light.sentence_weights, strict=True)
    for text, words, own in own_sentences:
        if own <= 0:
            continue
        total += own
        if words not in answered:
            answered[words] = _best_unit(words, own, index, unit_words, unit_weights, light)
        best, best_unit = answered[words]
        if best >= SENTENCE_MATCH:
            matched += own
            result.sentences += 1
            result.passages.append((best, text, _unit_text(other, best_unit)))
    result.share = matched / total if total else 0.0
    return result


def _best_unit(
    words: frozenset[str],
    own: float,
    index: dict[str, list[int]],
    unit_words: list[frozenset[str]],
    unit_weights: list[float],
    light: Doc,
) -> tuple[float, int]:
    """The unit of the other text a sentence matches best, and its weighted Jaccard."""
    best, best_unit = 0.0, -1
    for i in {i for word in words for i in index.get(word, ())}:
        shared = weight_of(words & unit_words[i], light.weights)
        similarity = shared / (own + unit_weights[i] - shared)
        if similarity > best:
            best, best_unit = similarity, i
    return best, best_unit


def lead_novelty(later: Doc, earlier: Doc) -> float:
    """The rarity-weighted share of the words of `later`'s lead (the first sentence of its body
    long enough to align), names and places left out, that `earlier` never uses. -1 when it
    has no such sentence.

    A rewrite or copy of one report keeps the news it reports: its lead's words are the
    other's, reworded at most. A follow-up (the next day's report, the reaction to a ruling)
    opens with news of its own and shares only the background, so most of its lead is new
    (the names are not: it is about the same people and places)."""
    if later.lead_from >= len(later.sentences):
        return -1.0
    words = later.sentence_words[later.lead_from] - later.names - earlier.names
    total = weight_of(words, later.weights)
    if total <= 0:
        return -1.0
    return weight_of(frozenset(w for w in words if w not in earlier.tf), later.weights) / total


def _lead_novelty(a: Doc, b: Doc) -> float:
    """lead_novelty of the later text against the earlier one; when they are not a news cycle
    apart, or a date is unknown, the lesser of the two ways (a rewrite may open on context
    instead, and keep the other's lead further down: seeds 002/003)."""
    if a.published_at is not None and b.published_at is not None:
        apart = (a.published_at - b.published_at).total_seconds()
        if abs(apart) >= NEWS_CYCLE_SECONDS:
            return lead_novelty(a, b) if apart > 0 else lead_novelty(b, a)
    known = [n for n in (lead_novelty(a, b), lead_novelty(b, a)) if n >= 0]
    return min(known) if known else -1.0


def _unit_text(doc: Doc, unit: int) -> str:
    """The text of _align's unit: a sentence, or (past the sentences) two adjacent joined."""
    if unit < len(doc.sentences):
        return doc.sentences[unit]
    first = unit - len(doc.sentences)
    return f"{doc.sentences[first]} {doc.sentences[first + 1]}"


def title_similarity(a: Doc, b: Doc) -> float:
    """Rarity-weighted Jaccard of the two titles' words; -1 when a text has no title."""
    if not a.title_words or not b.title_words:
        return -1.0
    shared = weight_of(a.title_words & b.title_words, a.weights)
    union = weight_of(a.title_words, a.weights) + weight_of(b.title_words, b.weights) - shared
    return shared / union if union else 0.0


def shared_names(a: Doc, b: Doc) -> float:
    """Rarity-weighted overlap of the names and places of two texts, shared / sqrt(a * b):
    independent reports of one event name its people and places, whatever else they say.
    Not the share of the smaller set: one name (a dateline's city) would then count as all."""
    both = math.sqrt(weight_of(a.names, a.weights) * weight_of(b.names, b.weights))
    return weight_of(a.names & b.names, a.weights) / both if both else 0.0


def cosine(a: Doc, b: Doc) -> float:
    """Cosine of the tf * rarity vectors."""
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a, b) if len(a.tf) <= len(b.tf) else (b, a)
    weights, large_tf = small.weights, large.tf
    dot = sum(
        count * large_tf[w] * weights[w] ** 2 for w, count in small.tf.items() if w in large_tf
    )
    return dot / (a.norm * b.norm)


def compare(a: Doc, b: Doc) -> Comparison:
    """All pair signals; symmetric in a and b except for the order of the passages.

    copy_containment   word 3-gram containment of the smaller 3-gram set (verbatim copy)
    vocabulary         rarity-weighted containment of the lighter vocabulary in the other
    cosine             cosine of tf * rarity vectors (topic and story similarity)
    alignment          weighted share of the lighter text's sentences that have a counterpart
    aligned_sentences  how many sentences that is
    lead_novelty       share of the later text's lead words the earlier never uses (the
                       lesser of the two ways when not a news cycle apart; -1: no lead)
    title_similarity   rarity-weighted Jaccard of the titles' words (-1 when one has none)
    opening_...        copy_containment, vocabulary and cosine of the two texts' openings
                       (Doc.story_view: what the same-story model reads)
    embedding          cosine of the openings' embeddings (meaning, across wording)
    names              rarity-weighted overlap of the openings' names (shared_names)
    length_ratio       longer / shorter token count
    content_weight     rarity weight of the lighter vocabulary (too little: a generic text)
    days_apart         between publication dates, -1 when a date is unknown
    """
    days = -1.0
    if a.published_at is not None and b.published_at is not None:
        days = abs((a.published_at - b.published_at).total_seconds()) / 86400
    if not a.token_count or not b.token_count:
        empty = dict.fromkeys(SCORE_NAMES, 0.0)
        return Comparison({**empty, "days_apart": round(days, 2)})
    light_is_a = a.vocabulary_weight <= b.vocabulary_weight
    alignment = _align(a, b) if light_is_a else _align(b, a)
    best = sorted(alignment.passages, reverse=True)[:MAX_SHARED_PASSAGES]
    whole = _overlap(a, b)
    opening = whole if a.opening is None and b.opening is None else None
    scores = {
        **whole,
        "alignment": alignment.share,
        "aligned_sentences": float(alignment.sentences),
        "lead_novelty": _lead_novelty(a, b),
        "title_similarity": title_similarity(a, b),
        "length_ratio": max(a.token_count, b.token_count) / min(a.token_count, b.token_count),
        "content_weight": min(a.vocabulary_weight, b.vocabulary_weight),
        "days_apart": days,
        **_story_signals(a.story_view, b.story_view, opening),
    }
    passages = [(x, y) if light_is_a else (y, x) for _, x, y in best]
    return Comparison({k: round(v, 4) for k, v in scores.items()}, passages)


def _overlap(a: Doc, b: Doc) -> dict[str, float]:
    """copy_containment, vocabulary and cosine (see compare)."""
    lighter = min(a.vocabulary_weight, b.vocabulary_weight)
    # the screen's 3-gram hashes: a set of 3-word tuples made a Doc ~3x larger (memory of the
    # doc cache, pickling from the workers) for the same containment but coincidental
    # collisions among ~1,000 x 1,000 32-bit hashes
    trigrams_a, trigrams_b = a.screen.trigrams, b.screen.trigrams
    smaller_trigrams = min(len(trigrams_a), len(trigrams_b))
    shared_trigrams = len(np.intersect1d(trigrams_a, trigrams_b, assume_unique=True))
    shared = a.tf.keys() & b.tf.keys()
    return {
        "copy_containment": shared_trigrams / smaller_trigrams if smaller_trigrams else 0.0,
        "vocabulary": weight_of(shared, a.weights) / lighter if lighter else 0.0,
        "cosine": cosine(a, b),
    }


def _story_signals(a: Doc, b: Doc, overlap: dict[str, float] | None) -> dict[str, float]:
    """What the same-story model reads of two openings (`overlap`: theirs, when computed)."""
    overlap = overlap or _overlap(a, b)
    return {
        **{f"opening_{name}": value for name, value in overlap.items()},
        "embedding": embedding_similarity(a.screen.embedding, b.screen.embedding),
        "names": shared_names(a, b),
    }


SCORE_NAMES = (
    "copy_containment", "vocabulary", "cosine", "alignment", "aligned_sentences",
    "lead_novelty", "title_similarity", "length_ratio", "content_weight", "days_apart",
    "opening_copy_containment", "opening_vocabulary", "opening_cosine", "embedding", "names",
)  # fmt: skip


@dataclass(frozen=True)
class Decision:
    level: str | None  # DUPLICATE, SAME_STORY or None
    reason: str  # which rule decided, in words, for `newsdedup explain`
    story_probability: float = -1.0  # the same-story model's; -1 where a rule decided first


def classify(
    scores: dict[str, float], settings: DedupeSettings, model: StoryModel | None = None
) -> Decision:
    """Duplicate by rule (a copy, or a rewrite that keeps the other's lead); else same story by
    the model (story_model.py), or by rule for a follow-up (a rewrite with news of its own)."""
    s, t = scores, settings
    if s["content_weight"] < t.min_content_weight:
        return Decision(
            None,
            f"too little content to compare ({s['content_weight']:.0f} < "
            f"{t.min_content_weight:.0f}): a generic or truncated text",
        )
    # What two pages share under headlines on two events may be furniture: then no duplicate,
    # but the story model still judges the pair
    generic = _generic_under_other_titles(s, t)
    novelty = s.get("lead_novelty", -1.0)  # links scored before the signal existed have none
    keeps_lead = novelty <= t.duplicate_max_lead_novelty
    shape = None if generic else _duplicate_shape(s, t)
    if shape is not None and keeps_lead:
        return Decision(DUPLICATE, shape)
    if 0 <= t.story_max_days < s["days_apart"]:
        return Decision(
            None, f"published {s['days_apart']:.0f} days apart (> {t.story_max_days:.0f})"
        )
    if shape is not None:
        return Decision(
            SAME_STORY,
            f"follow-up, same story: {shape}; but {novelty:.0%} of the later lead is new "
            f"(> {t.duplicate_max_lead_novelty:.0%}): it reports news of its own",
        )
    model = model or story_model.shipped()
    probability = model.probability(s)
    evidence = (
        f"story model {model.version}: probability {probability:.2f} (threshold "
        f"{model.threshold:.2f}; the openings' term cosine {s.get('opening_cosine', 0.0):.2f}, "
        f"shared names {s.get('names', 0.0):.2f}, embedding {s.get('embedding', 0.0):.2f})"
    )
    if generic:
        evidence = f"{generic}; {evidence}"
    if probability >= model.threshold:
        return Decision(SAME_STORY, f"same story: {evidence}", probability)
    return Decision(None, f"unrelated: {evidence}", probability)


def _generic_under_other_titles(s: dict[str, float], t: DedupeSettings) -> str | None:
    """Why two texts under headlines that share no word are not one text: what they share is
    too generic to be an article's (the page's furniture kept as its body). None when the
    titles share words, when one has none, or when the content suffices."""
    if not 0 <= s.get("title_similarity", -1.0) < t.titles_apart:
        return None
    if s["content_weight"] >= t.min_content_weight_titles_apart:
        return None
    return (
        f"not one text: the headlines share no word and the lighter text's content is "
        f"generic ({s['content_weight']:.0f} < {t.min_content_weight_titles_apart:.0f}), "
        "furniture both pages carry"
    )


def _duplicate_shape(s: dict[str, float], t: DedupeSettings) -> str | None:
    """Why the pair reads as one text (a copy, or a rewrite), whatever its leads; else None."""
    if s["copy_containment"] >= t.copy_containment:
        return (
            f"copy: {s['copy_containment']:.0%} of the smaller text's word 3-grams "
            "occur in the other"
        )
    if (
        s["alignment"] >= t.rewrite_alignment
        and s["vocabulary"] >= t.rewrite_vocabulary
        and s["aligned_sentences"] >= t.rewrite_min_sentences
        and s["length_ratio"] <= t.rewrite_max_length_ratio
    ):
        return (
            f"rewrite: {s['alignment']:.0%} of the lighter text's content, in "
            f"{s['aligned_sentences']:.0f} sentences, has a counterpart in the other; "
            f"{s['vocabulary']:.0%} of its weighted vocabulary is shared"
        )
    return None


def similarity(scores: dict[str, float]) -> float:
    """One number to rank links by (the strongest evidence for either level)."""
    return max(scores["copy_containment"], scores["alignment"], scores["cosine"])


@dataclass
class Match:
    candidate_id: int
    level: str
    similarity: float
    reason: str
    comparison: Comparison


def verify(
    new: Doc, candidates: dict[int, Doc], settings: DedupeSettings, model: StoryModel | None = None
) -> list[Match]:
    """Every candidate that is a duplicate of, or one story with, the new text; strongest
    first (any duplicate before any same-story link), ties by lower id (older article)."""
    matches = []
    for candidate_id, doc in candidates.items():
        if not may_link(new.screen, doc.screen, settings, model):
            continue  # classify() would say unrelated; skip the sentence alignment
        comparison = compare(new, doc)
        decision = classify(comparison.scores, settings, model)
        if decision.story_probability >= 0:  # kept with the link, for explain and analysts
            comparison.scores["story_probability"] = round(decision.story_probability, 4)
        if decision.level is not None:
            strength = similarity(comparison.scores)
            matches.append(Match(candidate_id, decision.level, strength, decision.reason,
                                 comparison))  # fmt: skip
    matches.sort(key=lambda m: (m.level != DUPLICATE, -m.similarity, m.candidate_id))
    return matches


@dataclass(frozen=True)
class Candidate:
    """A stored article as placement needs it."""

    id: int
    doc: Doc
    canonical_id: int
    story_id: int


@dataclass
class Placement:
    """Where a new article goes as pair links decide it: the decision ingest stores and
    evaluation measures (its story is chosen from them by pipeline/dedupe/stories.py)."""

    canonical_id: int | None  # the canonical it duplicates; None: it is canonical itself
    duplicate_story: int | None  # that canonical's story
    linked_stories: set[int]  # the stories of the articles it is linked to
    links: list[Match]  # every verified link, strongest first (all are stored, for provenance)


def place(
    new: Doc,
    candidates: list[Candidate],
    settings: DedupeSettings,
    model: StoryModel | None = None,
) -> Placement:
    """Duplicate of the strongest duplicate match's canonical, with every verified link.

    A canonical never changes: the newcomer joins the existing group even when it would have
    been the better original (README, Deduplication).
    """
    by_id = {c.id: c for c in candidates}
    links = verify(new, {c.id: c.doc for c in candidates}, settings, model)
    duplicates = [by_id[m.candidate_id] for m in links if m.level == DUPLICATE]
    return Placement(
        duplicates[0].canonical_id if duplicates else None,
        duplicates[0].story_id if duplicates else None,
        {by_id[m.candidate_id].story_id for m in links},
        links,
    )
