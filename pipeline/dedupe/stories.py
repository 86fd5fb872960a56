"""Which story a new article joins: online clustering of the stream, each story taken as a whole.

Pair links alone make single-link clusters: one link joins two stories, so chains of links grow
a topic ("shootings in Chicago", "UK politics") into one story, and a long-running event whose
follow-ups share background but few openings falls apart. Topic detection and tracking answers
with the story centroid: a newcomer is compared with everything its story has said so far, not
with its nearest member. Here a story is the sum of its articles' story vectors (below), and a
newcomer joins the one story whose centroid it matches best, never two; stories never merge.

A story vector weighs each word three ways: how often the article uses it (1 + ln tf), how
rare it is in the language (sqrt of fingerprint.weight: "said" counts little even in a stream
about something else), and how rare it is in this stream so far (the IDF of the words stored
articles use, `WordCounts`): a network's chrome and the vocabulary every article of a beat
shares ("shooting", "police") weigh little once the stream has seen them often.

A story has a time extent, its first and last dated articles; it stops attracting newcomers
dated `story_idle_days` outside it. Undated articles (a date guessed from the text is no date)
are matched whatever the dates.

The state is kept by the store (pipeline/store/stories.py) and by memory for evaluation; this
module holds what both follow.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.config import DedupeSettings
from pipeline.dedupe.doc import Doc
from pipeline.dedupe.fingerprint import MAX_WEIGHT

SECONDS_PER_DAY = 86400.0
# Longer "words" are not words (a URL, a base64 run, fuzz): they name no story, and a counted
# word must fit in story_word_counts' index.
MAX_WORD_CHARS = 64


@dataclass(frozen=True)
class StoryWords:
    """What a text adds to its story, before the stream's IDF."""

    # each word: (1 + ln tf) * sqrt(rarity)
    weights: dict[str, float]
    # the words the stream counts: those a word list knows. A word none knows (a name, a
    # typo) is rare by definition; counting it would store every name ever seen.
    counted: frozenset[str]


def story_words(doc: Doc) -> StoryWords:
    """A text's story words: numbers, words of no rarity and over-long tokens left out. The
    title counts once more (it names the story in a few words)."""
    tf = Counter(doc.tf)
    tf.update(doc.title_words)
    rarity = doc.weights
    weights = {
        word: (1.0 + math.log(count)) * math.sqrt(rarity[word])
        for word, count in tf.items()
        if rarity[word] > 0 and not word.isdigit() and len(word) <= MAX_WORD_CHARS
    }
    return StoryWords(weights, frozenset(w for w in weights if rarity[w] < MAX_WEIGHT))


@dataclass
class WordCounts:
    """How many stored articles use each counted word, of `articles` stored: the stream's own
    IDF (a word not counted is taken as used by the article itself alone)."""

    articles: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def idf(self, word: str) -> float:
        return math.log((1 + self.articles) / (1 + self.counts.get(word, 1))) + 1.0

    def add(self, words: Iterable[str]) -> None:
        self.articles += 1
        for word in words:
            self.counts[word] = self.counts.get(word, 0) + 1


def story_vector(words: Mapping[str, float], counts: WordCounts) -> dict[str, float]:
    """The unit vector an article adds to its story (`counts` include the article itself)."""
    vector = {w: x * counts.idf(w) for w, x in words.items()}
    norm = math.sqrt(sum(x * x for x in vector.values()))
    return {w: x / norm for w, x in vector.items()} if norm else {}


@dataclass
class StoryState:
    """A story as assignment needs it."""

    story_id: int
    centroid: dict[str, float]  # the sum of its articles' story vectors, heaviest words only
    articles: int = 0
    first_at: datetime | None = None  # its first and last dated articles
    last_at: datetime | None = None
    norm: float = field(default=-1.0, repr=False)  # of the centroid; -1: not computed yet

    def cosine(self, vector: Mapping[str, float]) -> float:
        if self.norm < 0:  # a batch compares each story with many articles
            self.norm = math.sqrt(sum(x * x for x in self.centroid.values()))
        norm = self.norm
        if not norm:
            return 0.0
        return sum(x * self.centroid.get(w, 0.0) for w, x in vector.items()) / norm

    def is_open_at(self, when: datetime | None, idle_days: float) -> bool:
        if when is None or self.first_at is None or self.last_at is None:
            return True
        before = (self.first_at - when).total_seconds() / SECONDS_PER_DAY
        after = (when - self.last_at).total_seconds() / SECONDS_PER_DAY
        return max(before, after) <= idle_days

    def add(self, vector: Mapping[str, float], when: datetime | None, max_words: int) -> None:
        centroid = self.centroid
        for word, x in vector.items():
            centroid[word] = centroid.get(word, 0.0) + x
        if len(centroid) > max_words:
            self.centroid = dict(heapq.nlargest(max_words, centroid.items(), key=lambda i: i[1]))
        self.norm = -1.0
        self.articles += 1
        if when is not None:
            self.first_at = min(self.first_at or when, when)
            self.last_at = max(self.last_at or when, when)


@dataclass(frozen=True)
class StoryChoice:
    """Which story an article joined, and why (kept with the article, for explain)."""

    story_id: int | None  # None: it starts a story of its own
    score: float  # its cosine with the joined story's centroid; -1 when it starts one
    runner_up: int | None  # the next best open story, and its cosine (-1 when none)
    runner_up_score: float
    reason: str


def choose(
    vector: Mapping[str, float],
    stories: Iterable[StoryState],
    linked: Collection[int],
    when: datetime | None,
    settings: DedupeSettings,
) -> StoryChoice:
    """The open story whose centroid the article matches best, when it clears the threshold
    (the lower one for a story it has a verified link into); else none: a story of its own."""
    ranked = sorted(
        (
            (s.cosine(vector), s.story_id)
            for s in stories
            if s.is_open_at(when, settings.story_idle_days)
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )
    for score, story_id in ranked:
        needed = settings.story_join_linked if story_id in linked else settings.story_join
        if score >= needed:
            others = [(x, i) for x, i in ranked if i != story_id][:1]
            runner_score, runner = others[0] if others else (-1.0, None)
            how = "with a verified link into it" if story_id in linked else "no link needed"
            reason = (
                f"joined story {story_id}: cosine {score:.2f} with its centroid "
                f"(>= {needed:.2f}, {how})"
            )
            return StoryChoice(story_id, score, runner, runner_score, reason)
    best_score, best = ranked[0] if ranked else (-1.0, None)
    reason = "started a story: no open story matched" + (
        f" (best: story {best}, cosine {best_score:.2f})" if best is not None else ""
    )
    return StoryChoice(None, -1.0, best, best_score, reason)


def duplicate_choice(story_id: int, canonical_id: int) -> StoryChoice:
    return StoryChoice(
        story_id, 1.0, None, -1.0, f"story {story_id}: a duplicate of article {canonical_id}"
    )


@dataclass
class StreamStories:
    """The stories and word counts assignment reads and updates: a batch's view of the store
    (pipeline/dedupe/place.py), or a whole corpus in memory (evaluation)."""

    settings: DedupeSettings
    counts: WordCounts = field(default_factory=WordCounts)
    stories: dict[int, StoryState] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)  # stories changed since loaded
    added: Counter[str] = field(default_factory=Counter)  # word counts added since loaded
    added_articles: int = 0

    def assign(
        self,
        article_id: int,
        words: StoryWords,
        when: datetime | None,
        candidate_stories: Iterable[int],
        linked: Collection[int],
        duplicate_of: tuple[int, int] | None = None,
    ) -> StoryChoice:
        """Choose the article's story (its canonical's, for a duplicate: `duplicate_of` is
        (canonical id, its story)) among the stories of its candidates, and add it there."""
        self.counts.add(words.counted)
        vector = story_vector(words.weights, self.counts)
        if duplicate_of is not None:
            choice = duplicate_choice(duplicate_of[1], duplicate_of[0])
        else:
            found = [self.stories[s] for s in set(candidate_stories) if s in self.stories]
            choice = choose(vector, found, linked, when, self.settings)
        story_id = choice.story_id if choice.story_id is not None else article_id
        state = self.stories.setdefault(story_id, StoryState(story_id, {}))
        state.add(vector, when, self.settings.story_centroid_words)
        self.touched.add(story_id)
        self.added.update(words.counted)
        self.added_articles += 1
        return choice
