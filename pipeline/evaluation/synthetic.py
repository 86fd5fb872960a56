"""Synthetic syndicated wire copies made from gold article texts, for measuring duplicates.

Each source article gets copies with the edits an outlet makes when it runs wire copy: a
reworded headline, a dateline, a trimmed tail, an inserted local paragraph, swapped or dropped
paragraphs, light word substitutions and the outlet's own boilerplate. Some get a follow-up too:
the next day's report on the same story, which must come out the same story, never a duplicate.
Every other source article is a negative; those on the same topic are the hard ones.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.dedupe.doc import MIN_SENTENCE_TOKENS
from pipeline.text.sentences import content_sentences
from pipeline.text.words import tokens

EDITS = ("headline", "dateline", "trim", "local", "swap", "boilerplate", "substitute", "drop")
MIN_SOURCE_WORDS = 120

_SYNONYMS = {
    "said": "stated", "says": "states", "told": "informed", "however": "but", "big": "large",
    "large": "big", "show": "indicate", "shows": "indicates", "showed": "indicated",
    "also": "additionally", "about": "around", "many": "numerous", "help": "assist",
    "start": "begin", "started": "began", "buy": "purchase", "need": "require",
    "important": "key", "people": "individuals", "children": "kids", "get": "obtain",
    "make": "create", "made": "created", "use": "utilize", "used": "utilized",
    "because": "since", "after": "following", "while": "whereas", "think": "believe",
    "want": "wish", "wants": "wishes", "went": "headed", "company": "firm", "near": "close to",
}  # fmt: skip
_DATELINES = (
    "LONDON (Reuters) -", "NEW YORK (AP) —", "WASHINGTON, Dec 12 (Reuters) -", "PARIS (AFP) -",
    "SYDNEY, Australia (AP) —", "BERLIN (dpa) -", "TORONTO (CP) -",
)  # fmt: skip
_BOILERPLATE = (
    "Copyright 2023 The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    "Reporting by Jane Doe; Editing by John Smith",
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox.",
    "Follow us on Facebook, Twitter and Instagram for more updates.",
    "Our Standards: The Thomson Reuters Trust Principles.",
    "Have a news tip? Email us at tips@example-news.com.",
    "This story has not been edited by our staff and is published from a syndicated feed.",
)
_LOCAL = (
    "Local officials in {city} said they were monitoring the situation closely and would "
    "provide updates to residents as more information became available.",
    "The story has drawn attention in {city}, where community leaders held a meeting on "
    "Tuesday evening to discuss what it could mean for families in the area.",
    "In {city}, reaction was mixed: some residents welcomed the news, while others told this "
    "newspaper they were worried about the cost.",
    "A spokesperson for the {city} city council declined to comment when contacted by the "
    "Gazette on Wednesday.",
)
_CITIES = ("Springfield", "Leeds", "Bendigo", "Halifax", "Fresno", "Dundee", "Tulsa", "Waikato")
_HEADLINE_PREFIXES = ("UPDATE 1-", "", "", "WATCH: ", "", "Breaking: ")


@dataclass(frozen=True)
class SyntheticDoc:
    doc_id: str
    source: str  # the gold article it was made from: the duplicate group
    text: str
    edits: tuple[str, ...]
    story: str = ""  # the gold story, when it is not the source's (a follow-up's base)
    published_at: datetime | None = None

    @property
    def gold_story(self) -> str:
        return self.story or self.source


def load_sources(naeb_dir: Path) -> dict[str, str]:
    """source id -> title and gold text of the naeb articles long enough to be syndicated."""
    records = json.loads((naeb_dir / "ground_truth.json").read_text(encoding="utf-8"))
    return {
        f"naeb{r['id']}": f"{r['title'] or ''}\n{r['text']}"
        for r in records
        if len(r["text"].split()) >= MIN_SOURCE_WORDS
    }


def _substitute(paragraph: str, rng: random.Random, rate: float) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        synonym = _SYNONYMS.get(word.lower())
        if synonym is None or rng.random() >= rate:
            return word
        return synonym.capitalize() if word[0].isupper() else synonym

    return re.sub(r"[A-Za-z]+", replace, paragraph)


def _reword(title: str, rng: random.Random) -> str:
    words = title.split()
    if len(words) > 4:
        del words[rng.randrange(len(words))]
    words = [_SYNONYMS.get(w.lower(), w) if rng.random() < 0.5 else w for w in words]
    return rng.choice(_HEADLINE_PREFIXES) + " ".join(words)


def _trim(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Cut 20-40% of the words off the end, at a paragraph end when there are paragraphs."""
    total = sum(len(p.split()) for p in paragraphs)
    keep = total * (1 - rng.uniform(0.2, 0.4))
    if len(paragraphs) < 3:
        words = " ".join(paragraphs).split()
        return [" ".join(words[: int(keep)])]
    kept: list[str] = []
    count = 0
    for paragraph in paragraphs:
        if count >= keep:
            break
        kept.append(paragraph)
        count += len(paragraph.split())
    return kept


def make_copy(text: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """One outlet's copy of a text (title on the first line): each edit with probability 1/2,
    at least two."""
    title, _, body = text.partition("\n")
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    edits = [e for e in EDITS if rng.random() < 0.5]
    while len(edits) < 2:
        extra = rng.choice(EDITS)
        if extra not in edits:
            edits.append(extra)
    if "trim" in edits:
        paragraphs = _trim(paragraphs, rng)
    if "drop" in edits and len(paragraphs) >= 5:
        del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
    if "swap" in edits and len(paragraphs) >= 4:
        i = rng.randrange(1, len(paragraphs) - 1)
        paragraphs[i], paragraphs[i + 1] = paragraphs[i + 1], paragraphs[i]
    if "substitute" in edits:
        paragraphs = [_substitute(p, rng, 0.35) for p in paragraphs]
    if "local" in edits:
        local = rng.choice(_LOCAL).format(city=rng.choice(_CITIES))
        paragraphs.insert(rng.randrange(1, max(2, len(paragraphs))), local)
    if "dateline" in edits and paragraphs:
        paragraphs[0] = f"{rng.choice(_DATELINES)} {paragraphs[0]}"
    if "boilerplate" in edits:
        paragraphs += rng.sample(_BOILERPLATE, rng.randint(1, 3))
    headline = _reword(title, rng) if "headline" in edits else title
    return "\n".join([headline, *paragraphs]), tuple(edits)


SYNTHETIC_START = datetime(2023, 12, 1, tzinfo=UTC)
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}")
FOLLOW_UP_LEAD_PARAGRAPHS = 2


def _names(text: str) -> list[str]:
    """Capitalised words inside sentences, most frequent first: the text's names and places."""
    counts: dict[str, int] = {}
    for name in _NAME.findall(text):
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], n))


def _long_sentences(paragraphs: list[str]) -> int:
    """The sentences dedupe aligns (pipeline.dedupe.doc): a lead needs two of them."""
    return sum(
        len(set(tokens(sentence))) >= MIN_SENTENCE_TOKENS
        for sentence in content_sentences("\n\n".join(paragraphs))
    )


def make_follow_up(base: str, donor: str, rng: random.Random) -> str | None:
    """A follow-up of `base` (title on the first line): the next day's report of the same
    outlet on the same story. It opens with news of its own (the donor's headline and lead, two
    sentences at least, their names replaced by the base's: new facts about the same people and
    places), then retells the base's background, reworded and shortened. None when the base is
    too short to have a lead and a background, or the donor too short to lend a lead."""
    body = base.partition("\n")[2]
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    donor_paragraphs = [p.strip() for p in donor.partition("\n")[2].split("\n") if p.strip()]
    if len(paragraphs) < FOLLOW_UP_LEAD_PARAGRAPHS + 2 or not donor_paragraphs:
        return None
    taken = 0
    while taken < len(donor_paragraphs) and (
        taken < FOLLOW_UP_LEAD_PARAGRAPHS or _long_sentences(donor_paragraphs[:taken]) < 2
    ):
        taken += 1
    if _long_sentences(donor_paragraphs[:taken]) < 2:
        return None  # without a lead of its own it would be a trimmed rewrite, not a follow-up
    lead = "\n".join(donor_paragraphs[:taken])
    headline = donor.partition("\n")[0]
    for theirs, ours in zip(_names(lead), _names(body), strict=False):
        lead = re.sub(rf"\b{theirs}\b", ours, lead)
        headline = re.sub(rf"\b{theirs}\b", ours, headline)
    background = paragraphs[FOLLOW_UP_LEAD_PARAGRAPHS:]
    keep = max(2, round(len(background) * rng.uniform(0.5, 0.8)))
    background = [_substitute(p, rng, 0.35) for p in background[:keep]]
    return "\n".join([headline, lead, *background])


def generate(
    sources: dict[str, str],
    copies: int = 3,
    seed: int = 20240611,
    follow_up_every: int = 3,
    dated: bool = True,
) -> list[SyntheticDoc]:
    """The sources, `copies` copies of each and a follow-up of every `follow_up_every`-th,
    in a shuffled (seeded) arrival order: a copy may arrive before its original, as it does in
    a real feed. Each follow-up takes its lead from a source of its own (every fourth source
    lends one and is then not itself in the set): a lead that were also an article of the set,
    or the lead of another follow-up, would make the follow-up its copy.

    `dated`: the sources are published over three days, their copies within six hours of them
    and a follow-up one to two days after its base, as a feed dates them."""
    rng = random.Random(seed)
    names = sorted(sources)
    donors = names[3::4] if follow_up_every else []
    unused = list(donors)
    docs: list[SyntheticDoc] = []

    def when(base: datetime, low_hours: float, high_hours: float) -> datetime | None:
        hours = rng.uniform(low_hours, high_hours)  # drawn undated too: the same documents
        return base + timedelta(hours=hours) if dated else None

    for n, source_id in enumerate(name for name in names if name not in donors):
        day = SYNTHETIC_START + timedelta(hours=rng.uniform(0, 72))
        docs.append(SyntheticDoc(source_id, source_id, sources[source_id], (), "", when(day, 0, 0)))
        for k in range(copies):
            text, edits = make_copy(sources[source_id], rng)
            doc_id = f"{source_id}#copy{k}"
            docs.append(SyntheticDoc(doc_id, source_id, text, edits, "", when(day, -6, 6)))
        follow_up = None
        if unused and n % follow_up_every == 0:
            follow_up = make_follow_up(sources[source_id], sources[unused.pop(0)], rng)
        if follow_up is not None:
            doc_id = f"{source_id}#follow-up"
            docs.append(
                SyntheticDoc(
                    doc_id, doc_id, follow_up, ("follow-up",), source_id, when(day, 24, 48)
                )
            )
    rng.shuffle(docs)
    return docs
