"""The cleaning rules: each looks at the whole article and names the lines it finds to be furniture.

A rule is a function of the article's lines (and its title, when known) returning the indices it
would remove. Rules decide independently on the same lines, so their order only decides which
rule's name an audit shows for a line that several rules match. Every rule combines a phrase
pattern or a position with a shape condition (length, no full stop, a run of such lines), so an
article sentence that merely contains a keyword stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.clean import patterns as pat
from pipeline.text.lines import (
    TITLE_SEPARATOR,
    ends_sentence,
    is_headline_like,
    is_prose,
    upper_share,
)
from pipeline.text.tables import row_cells
from pipeline.text.words import comparable, content_words, word_count


@dataclass
class Line:
    text: str
    kind: str = "p"  # p, head, item, row, quote: the block the line came from


Rule = Callable[[Sequence[Line], str | None], set[int]]
_STOP_WORDS = frozenset(
    "a an the of to in on for and or at by with from as is are was were be it its this that".split()  # noqa: SIM905
)
SHORT_LINE_WORDS = 25
PROMPT_MAX_WORDS = 30
# A line this short is a label or a button ("Already a subscriber?", "Sign in").
LABEL_MAX_WORDS = 4
PITCH_MAX_WORDS = 45
CONSENT_MAX_WORDS = 60
END_MATTER_LINE_WORDS = 40
# Trust badges, kickers and a dateline can push the headline's repeat down to the 6th-8th line.
TITLE_WINDOW = 8


def _indices(lines: Sequence[Line], test: Callable[[str], bool]) -> set[int]:
    return {i for i, line in enumerate(lines) if test(line.text)}


def no_letters(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Separators, lone punctuation, bare numbers: nothing a reader reads."""
    return _indices(lines, lambda text: not re.search(r"[^\W\d_]", text))


def table_furniture(rows: Sequence[Line], _title: str | None) -> set[int]:
    """Rows of a table that is page furniture: a share bar or menu laid out in cells (every
    cell is a label a single-line rule names), or a row with nothing to read (a separator).
    Any other row is article text: standings, prices, results (pipeline/text/tables.py)."""

    def test(text: str) -> bool:
        cells = [cell for cell in row_cells(text) if cell]
        if not any(ch.isalnum() for ch in text) or not cells:
            return True
        return all(is_furniture(Line(cell)) for cell in cells)

    return _indices(rows, test)


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


def _before_prose(lines: Sequence[Line]) -> int:
    """Where the article's first sentence of prose is (the end of the lines, if nowhere)."""
    return next((i for i, line in enumerate(lines) if is_prose(line.text, 12)), len(lines))


def navigation(lines: Sequence[Line], _title: str | None) -> set[int]:
    """PREV/NEXT and skip links anywhere; a breadcrumb trail ('News > World > Europe') only
    above the article's first sentence and not as a heading the page marked, since a list of
    names with slashes ('Hip Hop / Rap / Grime') inside an article is its text."""
    head = _before_prose(lines)

    def test(i: int, line: Line) -> bool:
        text = line.text
        if pat.NAVIGATION.match(text) or pat.NAVIGATION_CI.match(text):
            return True
        crumbs = i < head and line.kind != "head" and bool(pat.BREADCRUMB.match(text))
        return crumbs and word_count(text) <= 12 and not ends_sentence(text)

    return {i for i, line in enumerate(lines) if test(i, line)}


def related_link(lines: Sequence[Line], _title: str | None) -> set[int]:
    """'READ MORE: ...', 'Related: ...', 'More from X', 'ALSO READ' teaser lines and labels."""

    def test(text: str) -> bool:
        if word_count(text) > SHORT_LINE_WORDS:
            return False
        if pat.RELATED_CAPS.match(text) or pat.RELATED_PREFIX.match(text):
            return True
        return bool(pat.RELATED_LABEL.match(text)) and not text.endswith((".", "!", "?"))

    return _indices(lines, test)


def related_headline(lines: Sequence[Line], title: str | None) -> set[int]:
    """A bare headline line naming the same story as a related-link line is that link's
    teaser; a heading the page marked is the article's own, whatever words it shares."""
    links = related_link(lines, title)
    targets = [content_words(re.sub(r"^[^:|–—-]*[:|–—-]", "", lines[i].text)) for i in links]
    found: set[int] = set()
    for i, line in enumerate(lines):
        terms = content_words(line.text)
        if i in links or line.kind == "head" or not is_headline_like(line.text) or len(terms) < 3:
            continue
        if any(len(terms & target) >= 0.6 * len(terms) for target in targets):
            found.add(i)
    return found


def caption(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Photo captions and credits, and the short caption line just above a credit line."""

    def is_credit(text: str) -> bool:
        count = word_count(text)
        if count <= 60 and pat.CAPTION_CREDIT.search(text):
            return True
        if count <= 40 and pat.CAPTION_POINTER.search(text) and not ends_sentence(text):
            return True
        return count <= 20 and bool(pat.CREDIT_TAIL.search(text)) and not text.endswith(".")

    credits = _indices(lines, is_credit)
    captions = {
        i - 1
        for i in credits
        if i > 0 and word_count(lines[i - 1].text) <= 15 and not lines[i - 1].text.endswith(".")
    }
    return credits | captions


def social_embed(lines: Sequence[Line], _title: str | None) -> set[int]:
    """An embedded post's chrome: the '— Name (@handle) Month D, YYYY' signature under it and
    'View this post on Instagram' lines. The post's own text stays: an article quotes the
    post as its source (its links go in pipeline.clean, see strip_embed_links)."""
    return _indices(
        lines, lambda text: bool(pat.EMBED_SIGNATURE.match(text) or pat.EMBED_CHROME.match(text))
    )


def strip_embed_links(text: str) -> tuple[str, list[str]]:
    """A line without the short links an embedded post carries (pic.twitter.com/..., t.co)."""
    found = [match.group(0).strip() for match in pat.EMBED_LINK.finditer(text)]
    return (pat.EMBED_LINK.sub("", text).strip(), found) if found else (text, [])


def interface_text(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Buttons, labels and UI instructions: 'Share', 'Advertisement', 'Swipe left for more'."""

    def test(text: str) -> bool:
        if pat.INTERFACE.match(text) or pat.PASSWORD_RULE.match(text):
            return True
        short = word_count(text) <= SHORT_LINE_WORDS
        return short and bool(pat.CALL_TO_ACTION.match(text) or pat.INTERFACE_HINT.search(text))

    return _indices(lines, test)


def _is_prompt(text: str) -> bool:
    if pat.PROMPT.search(text):
        return True
    return bool(pat.PRODUCT_PROMPT.search(text)) and (
        word_count(text) <= LABEL_MAX_WORDS or bool(pat.PUBLISHER_VOICE.search(text))
    )


def prompt(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Newsletter, subscription, cookie, app and comment prompts, and sign-up form consent."""

    def test(text: str) -> bool:
        count = word_count(text)
        if count <= CONSENT_MAX_WORDS and pat.CONSENT.search(text):
            return True
        if count <= PITCH_MAX_WORDS and pat.PITCH_OPENING.match(text):
            return bool(pat.PROMPT.search(text) or pat.PRODUCT_PROMPT.search(text))
        if count <= PROMPT_MAX_WORDS and _is_prompt(text):
            return not ends_sentence(text) or count <= 20
        return count <= 15 and bool(pat.COMMENTS.search(text)) and not pat.NEWS_COMMENT.search(text)

    return _indices(lines, test)


def copyright_notice(lines: Sequence[Line], _title: str | None) -> set[int]:
    return _indices(lines, lambda text: word_count(text) <= 40 and bool(pat.COPYRIGHT.search(text)))


def disclosure(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Affiliate and editorial-standards notes, and where-it-first-appeared notes."""

    def test(text: str) -> bool:
        return word_count(text) <= 40 and bool(
            pat.DISCLOSURE.search(text) or pat.PROVENANCE.match(text)
        )

    return _indices(lines, test)


def contact_footer(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Contact lines, and author bios and follow-me lines at either end of the article."""

    def is_bio(text: str) -> bool:
        count = word_count(text)
        if count <= 120 and pat.AUTHOR_BIO.match(text):
            return True
        return count <= 40 and bool(pat.HANDLE.search(text) and pat.FOLLOW.search(text))

    total = len(lines)
    contacts = _indices(
        lines, lambda text: word_count(text) <= PROMPT_MAX_WORDS and bool(pat.CONTACT.match(text))
    )
    bios = {i for i in _indices(lines, is_bio) if i < 3 or i >= total * 2 / 3}
    return contacts | bios


def link_only(lines: Sequence[Line], _title: str | None) -> set[int]:
    return _indices(lines, lambda text: bool(pat.LINK_ONLY.match(text)))


def shouted_label(lines: Sequence[Line], _title: str | None) -> set[int]:
    """All-capitals lines of 8 to 25 words: cross-promoted headlines and section banners."""
    return _indices(
        lines, lambda text: 8 <= word_count(text) <= SHORT_LINE_WORDS and upper_share(text) >= 0.9
    )


def gallery_counter(lines: Sequence[Line], _title: str | None) -> set[int]:
    return _indices(
        lines, lambda text: word_count(text) <= 12 and bool(pat.GALLERY_COUNTER.match(text))
    )


def _written_twice(text: str) -> bool:
    tokens = comparable(text).split()
    half = len(tokens) // 2
    return len(tokens) >= 4 and len(tokens) % 2 == 0 and tokens[:half] == tokens[half:]


def doubled_line(lines: Sequence[Line], _title: str | None) -> set[int]:
    """A line shown twice in a row (doubled captions, card titles), or a line that is one text
    written twice ('Title Title', from link text plus image alt text)."""

    keys = [comparable(line.text) for line in lines]
    repeats = {i for i in range(1, len(lines)) if keys[i] and keys[i] == keys[i - 1]}
    return repeats | _indices(lines, _written_twice)


def lead_metadata(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Before the first paragraph of prose: short byline, date and 'Updated' lines."""
    found: set[int] = set()
    for i, line in enumerate(lines):
        count = word_count(line.text)
        if count >= 25:
            break
        if count <= 12 and (pat.LEAD_BYLINE.match(line.text) or pat.LEAD_DATE.search(line.text)):
            found.add(i)
    return found


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


# Rules for the lines of prose (every line but table rows). Order decides which name an audit
# shows when several rules match one line.
RULES: dict[str, Rule] = {
    "lone_punctuation": no_letters,
    "repeated_title": repeated_title,
    "before_headline": before_headline,
    "navigation": navigation,
    "promo": related_link,
    "related_headline": related_headline,
    "gallery_counter": gallery_counter,
    "caption": caption,
    "social_embed": social_embed,
    "interface_text": interface_text,
    "prompt": prompt,
    "copyright": copyright_notice,
    "disclosure": disclosure,
    "contact_footer": contact_footer,
    "link_only": link_only,
    "shouted_label": shouted_label,
    "repeated_line": doubled_line,
    "lead_metadata": lead_metadata,
    "trailing_teasers": trailing_teasers,
    "end_matter": end_matter,
    "trailing_fragment": trailing_non_prose,
}

# Rules that judge a line on its own, so they also tell whether a lone line is furniture.
SINGLE_LINE_RULES = (navigation, related_link, interface_text, prompt, copyright_notice, link_only)


def is_furniture(line: Line) -> bool:
    return any(rule([line], None) for rule in SINGLE_LINE_RULES)


# Rules for table rows, which the prose rules never see: a row is short, has no full stop and
# sits among other such lines, the very shape the prose rules take for furniture.
ROW_RULES: dict[str, Rule] = {"table_furniture": table_furniture}

# Rules whose evidence is a line's own English wording. In an article in another language they
# remove only lines that are English themselves (a site's English chrome), never the article's
# sentences that happen to hold a word like "Newsletter" or "Premium" (pipeline.clean).
ENGLISH_WORDED = frozenset(
    {
        "navigation", "promo", "gallery_counter", "caption", "social_embed", "interface_text",
        "prompt", "copyright", "disclosure", "contact_footer", "lead_metadata",
    }
)  # fmt: skip
