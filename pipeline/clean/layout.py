"""Rules that judge a line by where it sits and what it repeats: the headline shown again and
what stands above it, doubled lines, and the runs of short lines after the article's last
sentence (link lists, teaser cards, a closing list of sources). They hold in any language."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.clean import patterns as pat
from pipeline.clean.line import SHORT_LINE_WORDS, Line, indices
from pipeline.text.lines import TITLE_SEPARATOR, is_headline_like, is_prose
from pipeline.text.words import comparable, word_count

_STOP_WORDS = frozenset(
    "a an the of to in on for and or at by with from as is are was were be it its this that".split()  # noqa: SIM905
)
END_MATTER_LINE_WORDS = 40
# Trust badges, kickers and a dateline can push the headline's repeat down to the 6th-8th line.
TITLE_WINDOW = 8


def _title_variants(title: str) -> list[list[str]]:
    """The title and each part of it around ' | ', ' - ', ' :: ' (site names and kickers)."""
    variants = [comparable(title).split()]
    variants += [part for part in map(str.split, map(comparable, TITLE_SEPARATOR.split(title)))]
    return [v for v in variants if len(v) >= 2]


def _contains(short: list[str], long: list[str]) -> bool:
    return f" {' '.join(short)} " in f" {' '.join(long)} "


def _repeats_title(tokens: list[str], variants: list[list[str]]) -> bool:
    """Equal to the title or a part of it, or one containing the other, most words shared."""
    for variant in variants:
        short, long = sorted((tokens, variant), key=len)
        if tokens == variant or (_contains(short, long) and len(short) >= 0.8 * len(long)):
            return True
    return False


def _title_repeats(lines: Sequence[Line], title: str | None) -> set[int]:
    if not title:
        return set()
    variants = _title_variants(title)
    return {
        i
        for i, line in enumerate(lines[:TITLE_WINDOW])
        if (tokens := comparable(line.text).split()) and _repeats_title(tokens, variants)
    }


def repeated_title(lines: Sequence[Line], title: str | None) -> set[int]:
    """The headline shown again near the top (_title_repeats), or, in the first three lines,
    a reworded headline: headline-sized, sharing most of its content words with the title (a
    standfirst or a subheading ending in a colon shares them too, and stays)."""
    if not title:
        return set()
    found = _title_repeats(lines, title)
    title_words = {w for w in comparable(title).split() if w not in _STOP_WORDS}
    headline_size = max(12, round(1.5 * word_count(title)))
    for i, line in enumerate(lines[:3]):
        line_words = {w for w in comparable(line.text).split() if w not in _STOP_WORDS}
        if (
            len(title_words) >= 3
            and line_words
            and line.kind != "lead"
            and word_count(line.text) <= headline_size
            and not line.text.rstrip().endswith((".", ":"))
            and len(line_words & title_words) >= 0.6 * min(len(line_words), len(title_words))
        ):
            found.add(i)
    return found


def _written_twice(text: str) -> bool:
    tokens = comparable(text).split()
    half = len(tokens) // 2
    return len(tokens) >= 4 and len(tokens) % 2 == 0 and tokens[:half] == tokens[half:]


def doubled_line(lines: Sequence[Line], _title: str | None) -> set[int]:
    """A line shown twice in a row (doubled captions, card titles), or a line that is one text
    written twice ('Title Title', from link text plus image alt text)."""

    keys = [comparable(line.text) for line in lines]
    repeats = {i for i in range(1, len(lines)) if keys[i] and keys[i] == keys[i - 1]}
    return repeats | indices(lines, _written_twice)


def trailing_non_prose(lines: Sequence[Line], _title: str | None) -> set[int]:
    """From the end back to the last sentence of prose, a run of at least two short lines that
    are not prose: link lists, tags, labels. A single closing line is as often the article's
    own (a credit, a contact, a last fragment) and is left to the rules that know its wording.
    At most 40% of the article, so that a page of short lines is not emptied."""
    found: set[int] = set()
    for i in range(len(lines) - 1, -1, -1):
        text = lines[i].text
        if word_count(text) <= SHORT_LINE_WORDS and (not is_prose(text, 1) or text.endswith(":")):
            found.add(i)
            continue
        break
    return found if 2 <= len(found) <= 0.4 * len(lines) else set()


def _is_card_headline(text: str) -> bool:
    return is_headline_like(text) and word_count(text) >= 3


def trailing_teasers(lines: Sequence[Line], _title: str | None) -> set[int]:
    """A recommended-stories block after the article: cards show a headline twice (link text
    and image alt, as two lines or run together in one) then a blurb, so two doubled headlines
    in the second half mark its start."""
    starts: list[int] = []
    for i in range(max(1, (len(lines) + 1) // 2 + 1), len(lines)):
        if not _is_card_headline(lines[i].text):
            continue
        if comparable(lines[i].text) == comparable(lines[i - 1].text):
            starts.append(i - 1)
        elif _written_twice(lines[i].text):
            starts.append(i)
    if len(starts) < 2:
        return set()
    start = starts[0]
    if any(word_count(line.text) > 60 for line in lines[start:]):
        return set()
    return set(range(start, len(lines)))


def end_matter(lines: Sequence[Line], _title: str | None) -> set[int]:
    """A 'Sources' or 'References' heading after the article's prose and the citation lines
    after it, when no long paragraph follows."""
    for i in range(len(lines) - 1, 0, -1):
        if pat.END_MATTER.match(lines[i].text):
            rest = lines[i + 1 :]
            closes = not any(word_count(line.text) > END_MATTER_LINE_WORDS for line in rest)
            after_prose = any(is_prose(line.text, 25) for line in lines[:i])
            return set(range(i, len(lines))) if rest and closes and after_prose else set()
    return set()


def before_headline(lines: Sequence[Line], title: str | None) -> set[int]:
    """Lines above the headline's repeat at the top of the text: section labels and teasers
    of other stories that the extractor took in with the article. Only a repeat of the
    headline itself marks the spot (a line that merely shares its words may be a standfirst's
    neighbour), and the page's standfirst is never above it."""
    repeats = [i for i in _title_repeats(lines, title) if i > 0]
    if not repeats:
        return set()
    start = min(repeats)
    if any(is_prose(line.text) and word_count(line.text) >= 25 for line in lines[:start]):
        return set()
    return {i for i in range(start) if lines[i].kind != "lead"}
