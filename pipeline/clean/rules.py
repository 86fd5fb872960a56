"""The cleaning rules: each looks at the whole article and names the lines it finds to be furniture.

This module holds the rules that read a line's wording (the vocabulary is in patterns.py) and the
registry of all of them; the rules that judge a line by its place are in layout.py.

A rule is a function of the article's lines (and its title, when known) returning the indices it
would remove. Rules decide independently on the same lines, so their order only decides which
rule's name an audit shows for a line that several rules match. Every rule combines a phrase
pattern or a position with a shape condition (length, no full stop, a run of such lines), so an
article sentence that merely contains a keyword stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.clean import patterns as pat
from pipeline.clean.layout import (
    before_headline,
    doubled_line,
    end_matter,
    repeated_title,
    trailing_non_prose,
    trailing_teasers,
)
from pipeline.clean.line import SHORT_LINE_WORDS, Line, Rule, indices
from pipeline.text.lines import (
    ends_sentence,
    is_headline_like,
    is_prose,
    upper_share,
)
from pipeline.text.tables import row_cells
from pipeline.text.words import content_words, word_count

PROMPT_MAX_WORDS = 30
# A line this short is a label or a button ("Already a subscriber?", "Sign in").
LABEL_MAX_WORDS = 4
PITCH_MAX_WORDS = 45
CONSENT_MAX_WORDS = 60


def no_letters(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Separators, lone punctuation, bare numbers: nothing a reader reads."""
    return indices(lines, lambda text: not re.search(r"[^\W\d_]", text))


# Of a line's characters other than spaces, the share of code punctuation ({ } ; = < >) past
# which a line shaped like code is code: prose uses these a few times in a paragraph at most.
CODE_PUNCTUATION_SHARE = 0.03


def page_code(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Script, JSON, CSS and markup that reached the text (an inline state blob, a script the
    extraction read as a paragraph): a line shaped like code (pipeline.clean.patterns) whose
    characters are also dense in code punctuation. A body never stores page code: it is
    nothing an analyst reads, and every page of a site shares it, which would make unrelated
    articles look like copies."""

    def test(text: str) -> bool:
        symbols = sum(text.count(ch) for ch in pat.CODE_PUNCTUATION)
        if symbols < 2 or symbols < CODE_PUNCTUATION_SHARE * len(text.replace(" ", "")):
            return False
        return bool(
            pat.JSON_OPENING.match(text)
            or pat.SCRIPT_STATEMENT.search(text)
            or pat.CSS_RULE.search(text)
            or len(pat.MARKUP_TAG.findall(text)) >= 2
        )

    return indices(lines, test)


def table_furniture(rows: Sequence[Line], _title: str | None) -> set[int]:
    """Rows of a table that is page furniture: a share bar or menu laid out in cells (every
    cell is a label a single-line rule names), or a row with nothing to read (a separator).
    Any other row is article text: standings, prices, results (pipeline/text/tables.py)."""

    def test(text: str) -> bool:
        cells = [cell for cell in row_cells(text) if cell]
        if not any(ch.isalnum() for ch in text) or not cells:
            return True
        return all(is_furniture(Line(cell)) for cell in cells)

    return indices(rows, test)


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

    return indices(lines, test)


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

    credits = indices(lines, is_credit)
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
    return indices(
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

    return indices(lines, test)


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

    return indices(lines, test)


def copyright_notice(lines: Sequence[Line], _title: str | None) -> set[int]:
    return indices(lines, lambda text: word_count(text) <= 40 and bool(pat.COPYRIGHT.search(text)))


def disclosure(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Affiliate and editorial-standards notes, and where-it-first-appeared notes."""

    def test(text: str) -> bool:
        return word_count(text) <= 40 and bool(
            pat.DISCLOSURE.search(text) or pat.PROVENANCE.match(text)
        )

    return indices(lines, test)


def contact_footer(lines: Sequence[Line], _title: str | None) -> set[int]:
    """Contact lines, and author bios and follow-me lines at either end of the article."""

    def is_bio(text: str) -> bool:
        count = word_count(text)
        if count <= 120 and pat.AUTHOR_BIO.match(text):
            return True
        return count <= 40 and bool(pat.HANDLE.search(text) and pat.FOLLOW.search(text))

    total = len(lines)
    contacts = indices(
        lines, lambda text: word_count(text) <= PROMPT_MAX_WORDS and bool(pat.CONTACT.match(text))
    )
    bios = {i for i in indices(lines, is_bio) if i < 3 or i >= total * 2 / 3}
    return contacts | bios


def link_only(lines: Sequence[Line], _title: str | None) -> set[int]:
    return indices(lines, lambda text: bool(pat.LINK_ONLY.match(text)))


def shouted_label(lines: Sequence[Line], _title: str | None) -> set[int]:
    """All-capitals lines of 8 to 25 words: cross-promoted headlines and section banners."""
    return indices(
        lines, lambda text: 8 <= word_count(text) <= SHORT_LINE_WORDS and upper_share(text) >= 0.9
    )


def gallery_counter(lines: Sequence[Line], _title: str | None) -> set[int]:
    return indices(
        lines, lambda text: word_count(text) <= 12 and bool(pat.GALLERY_COUNTER.match(text))
    )


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


# Rules for the lines of prose (every line but table rows). Order decides which name an audit
# shows when several rules match one line.
RULES: dict[str, Rule] = {
    "lone_punctuation": no_letters,
    "page_code": page_code,
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
