"""Prototype text-level boilerplate cleaner applied after trafilatura.extract (default settings).

Input: paragraphs = trafilatura txt output split on '\n' (one element per <p>/<head>/<item>/<row>/<lb> line).
Only general, language-level patterns (English); no site-specific strings.

Public API:
    clean_paragraphs(paragraphs, title) -> (kept, [(removed_text, rule_name), ...])
    RULES: ordered dict rule_name -> rule function (for ablation: clean_paragraphs(..., rules=[...]))
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable, Iterable, Sequence

WORD_RE = re.compile(r"\w+", re.UNICODE)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
HANDLE_RE = re.compile(r"(?<![\w@])@\w{2,}")
MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
SENT_END_RE = re.compile(r"[.!?…:;\"'”’)\]]\s*$")

# ---------------------------------------------------------------- helpers

def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def norm_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    return WORD_RE.findall(text)


def is_sentence(text: str) -> bool:
    """Looks like running prose: ends with sentence punctuation and has >= 8 words."""
    return len(words(text)) >= 8 and bool(SENT_END_RE.search(text.strip()))


def upper_ratio(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isupper() for c in letters) / len(letters)


# A rule gets (paragraphs, title) and returns the set of indices it wants removed.
Rule = Callable[[Sequence[str], "str | None"], set[int]]

# ---------------------------------------------------------------- rules


TITLE_SEP_RE = re.compile(r"\s+[|–—:-]\s+|\s+::\s+")
STOP = frozenset("a an the of to in on for and or at by with from as is are was were be it its this that".split())


def _title_variants(title: str) -> list[list[str]]:
    """Full title plus each segment when split on ' | ', ' - ', ' – ', ' — ', ' :: ' (site-name suffixes/kickers)."""
    out = [norm_tokens(title)]
    segs = [norm_tokens(x) for x in TITLE_SEP_RE.split(title)]
    out += [x for x in segs if len(x) >= 3]
    return [x for x in out if x]


def _contained(short: list[str], long_: list[str]) -> bool:
    return (" " + " ".join(short) + " ") in (" " + " ".join(long_) + " ")


def rule_title_repeat(paras: Sequence[str], title: str | None) -> set[int]:
    """Among the first 5 paragraphs: tokens equal to the title (or to a title segment), or one contained in the
    other with >= 80% of the tokens."""
    if not title:
        return set()
    variants = [t for t in _title_variants(title) if len(t) >= 2]
    out: set[int] = set()
    for i, p in enumerate(paras[:5]):
        pt = norm_tokens(p)
        if not pt:
            continue
        for t in variants:
            short, long_ = (pt, t) if len(pt) <= len(t) else (t, pt)
            if pt == t or (_contained(short, long_) and len(short) / len(long_) >= 0.8):
                out.add(i)
                break
    return out


def rule_title_fuzzy(paras: Sequence[str], title: str | None) -> set[int]:
    """Headline variant among the first 3 paragraphs: <= 30 words, not ending with '.', and >= 60% of its content
    words (or of the title's) shared with the title."""
    if not title:
        return set()
    tset = {w for w in norm_tokens(title) if w not in STOP}
    if len(tset) < 3:
        return set()
    out: set[int] = set()
    for i, p in enumerate(paras[:3]):
        pw = {w for w in norm_tokens(p) if w not in STOP}
        if not pw or len(words(p)) > 30 or p.rstrip().endswith("."):
            continue
        if len(pw & tset) / min(len(pw), len(tset)) >= 0.6:
            out.add(i)
    return out


TABLE_RE = re.compile(r"^\s*\|.*\|\s*$")


def rule_table_row(paras: Sequence[str], title: str | None) -> set[int]:
    """Markdown-style table rows as produced by trafilatura txt ('| a | b |')."""
    return {i for i, p in enumerate(paras) if TABLE_RE.match(p)}


def rule_no_letters(paras: Sequence[str], title: str | None) -> set[int]:
    """Separators / pure punctuation / underscores ('___', '* * *')."""
    return {i for i, p in enumerate(paras) if p.strip() and not re.search(r"[^\W_\d]", p)}


CREDIT_RE = re.compile(
    r"^\s*[\[(]?\s*(?:photo(?:graph)?s?|image|picture|pic|illustration|video|graphic|credit|source|"
    r"photo credit|image credit|courtesy|file photo)\s*(?:by|credit)?\s*[:/|]", re.I)
CREDIT_BRACKET_RE = re.compile(
    r"^\s*[\[(][^\])]{0,80}\b(?:photo|image|getty|reuters|afp|ap photo|shutterstock|via|courtesy|credit|"
    r"wenn|epa|istock|alamy)\b[^\])]{0,80}[\])]\s*$", re.I)
CREDIT_TAIL_RE = re.compile(
    r"(?:\((?:photo|image|credit)[^)]*\)|\b(?:photo|image|credit)s?\s*:\s*[^.]{2,60}|"
    r"/\s*(?:getty images|afp|reuters|ap|shutterstock|epa)[^.]{0,30})\s*$", re.I)


def rule_credit(paras: Sequence[str], title: str | None) -> set[int]:
    """Photo/media credits and short caption lines that end in an agency credit."""
    out: set[int] = set()
    for i, p in enumerate(paras):
        n = len(words(p))
        if n > 25:
            continue
        if CREDIT_RE.match(p) or CREDIT_BRACKET_RE.match(p):
            out.add(i)
        elif n <= 20 and CREDIT_TAIL_RE.search(p) and not p.rstrip().endswith("."):
            out.add(i)
    return out


TWEET_SIG_RE = re.compile(r"^\s*[—–-]{1,2}\s*.{1,80}\(@\w+\)\s*" + MONTHS + r"\s*\d{1,2},\s*\d{4}\s*$", re.I)
TWEET_BODY_RE = re.compile(r"pic\.twitter\.com/|https?://t\.co/", re.I)


def rule_embed(paras: Sequence[str], title: str | None) -> set[int]:
    """Embedded social posts: '— Name (@handle) Month D, YYYY' signature lines plus the post text right
    above them; lines carrying pic.twitter.com / t.co links; 'Waiting for permission to load ...'."""
    out: set[int] = set()
    for i, p in enumerate(paras):
        if TWEET_SIG_RE.match(p):
            out.add(i)
            j = i - 1
            # post body: preceding lines up to 2, stop at a previous signature
            while j >= 0 and i - j <= 2 and j not in out and len(words(paras[j])) <= 60 and not TWEET_SIG_RE.match(paras[j]):
                out.add(j)
                if TWEET_BODY_RE.search(paras[j]):
                    break
                j -= 1
                break  # keep it to one line unless proven otherwise
        elif TWEET_BODY_RE.search(p) and len(words(p)) <= 60:
            out.add(i)
    return out


CTA_SUBSCRIBE_RE = re.compile(
    r"\b(?:subscribe|subscription|subscriber|sign(?:ing)?[ -]?up|sign[ -]?in|log[ -]?in|newsletters?|"
    r"create (?:an|your|a free) account|become a (?:member|subscriber|patron)|membership|donate|"
    r"support (?:our|independent|local) journalism|inbox|unlock|premium|register (?:now|for free|here))\b", re.I)
CTA_SOCIAL_RE = re.compile(
    r"\b(?:follow (?:us|him|her|them|@?\w+(?: \w+)?) on|like us on|join (?:us|the conversation|our)|"
    r"share (?:this|on)|download (?:the|our)|get the [\w ]{1,30} app|click here|tap here|"
    r"send (?:us )?(?:tips|a tip)|have a (?:news )?tip|let us know in the comments)\b", re.I)
COMMENTS_RE = re.compile(
    r"\b(?:comments?|commenting|discussion)\b", re.I)
COPYRIGHT_RE = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b|\bmay not be (?:published|reproduced)", re.I)
AD_RE = re.compile(
    r"^\s*(?:advertisement|advertising|sponsored(?: content)?|ad|promoted|story continues below(?: advertisement)?|"
    r"article continues (?:below|after)(?: this)?(?: ad(?:vertisement)?)?|continue reading(?: below)?|loading(?: comments)?\W*)\s*$", re.I)
RELATED_KW = (r"(?:related(?: stories| articles| content| coverage| reading| videos?| links?| topics?)?|read more(?: on| about| from)?|read also|also read|"
              r"more (?:from|on|in|about|stories|news|coverage|must[- ]reads?)|see (?:also|more)|recommended(?: for you| stories| reading)?|"
              r"most (?:read|popular|viewed|shared)|popular(?: now| stories)?|trending(?: now| stories)?|"
              r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|further reading|what to read next|"
              r"top stories|latest(?: news| stories)?|editor'?s? picks?|don'?t miss|watch(?: now| more)?|listen(?: now)?)")
# keyword followed by a delimiter (teaser follows) or the whole line is the label (+ <= 6 more words, no sentence end)
RELATED_RE = re.compile(r"^\s*[\[(]?\s*" + RELATED_KW + r"\s*(?:[:|\-–—>»]|\.{3}|…)", re.I)
RELATED_LABEL_RE = re.compile(r"^\s*[\[(]?\s*" + RELATED_KW + r"\b(?:\s+\S+){0,6}\s*[\])]?\s*$", re.I)


def _short(p: str, n: int) -> bool:
    return len(words(p)) <= n


def rule_cta_subscribe(paras: Sequence[str], title: str | None) -> set[int]:
    return {i for i, p in enumerate(paras) if _short(p, 30) and CTA_SUBSCRIBE_RE.search(p)}


def rule_cta_social(paras: Sequence[str], title: str | None) -> set[int]:
    return {i for i, p in enumerate(paras) if _short(p, 30) and CTA_SOCIAL_RE.search(p)}


NEWS_COMMENT_RE = re.compile(r"\b(?:for|to|declined|decline|no|additional|immediate(?:ly)?|without|further)\s+"
                             r"(?:\w+\s+){0,2}comments?\b", re.I)


def rule_comments_prompt(paras: Sequence[str], title: str | None) -> set[int]:
    """Short line about reader comments ('Comments (12)', 'Please read our comment policy ...'), but not
    reporting phrases such as 'did not respond to a request for comment'."""
    return {i for i, p in enumerate(paras)
            if _short(p, 15) and COMMENTS_RE.search(p) and not NEWS_COMMENT_RE.search(p)}


def rule_copyright(paras: Sequence[str], title: str | None) -> set[int]:
    return {i for i, p in enumerate(paras) if _short(p, 40) and COPYRIGHT_RE.search(p)}


def rule_ad_label(paras: Sequence[str], title: str | None) -> set[int]:
    return {i for i, p in enumerate(paras) if AD_RE.match(p)}


def rule_related_prefix(paras: Sequence[str], title: str | None) -> set[int]:
    """'Related: ...', 'READ MORE: ...', 'More from X', '[Related: ...]' teaser lines (<= 25 words)."""
    return {i for i, p in enumerate(paras) if _short(p, 25) and (RELATED_RE.match(p) or (
        RELATED_LABEL_RE.match(p) and not p.rstrip().endswith((".", "!", "?"))))}


ALLCAPS_MIN_WORDS = 8


def rule_allcaps(paras: Sequence[str], title: str | None) -> set[int]:
    """All-caps lines with >= 3 words (labels, cross-promoted headlines). Keeps all-caps datelines followed by text
    because those are longer than 25 words or mixed case."""
    out: set[int] = set()
    for i, p in enumerate(paras):
        n = len(words(p))
        if ALLCAPS_MIN_WORDS <= n <= 25 and upper_ratio(p) >= 0.9:
            out.add(i)
    return out


COUNTER_RE = re.compile(r"^\s*(?:\d{1,3}\s*(?:of|/)\s*\d{1,3}|\d{1,3}/\d{1,3}\S.*|image \d+ of \d+|slide \d+.*)\s*$", re.I)


def rule_counter(paras: Sequence[str], title: str | None) -> set[int]:
    """Gallery counters '3 of 57', '02/7Caption'."""
    return {i for i, p in enumerate(paras) if _short(p, 12) and COUNTER_RE.match(p)}


def rule_duplicate(paras: Sequence[str], title: str | None) -> set[int]:
    """Second and later copies of an identical paragraph (>= 5 words), and self-doubled teasers 'X X'."""
    seen: set[str] = set()
    out: set[int] = set()
    for i, p in enumerate(paras):
        t = " ".join(norm_tokens(p))
        if not t or p.lstrip().startswith("- "):
            continue
        toks = t.split()
        h = len(toks) // 2
        if len(toks) >= 4 and len(toks) % 2 == 0 and toks[:h] == toks[h:]:
            out.add(i)
        if t in seen and len(toks) >= 5:
            out.add(i)
        seen.add(t)
    return out


BIO_RE = re.compile(
    r"^\s*[—–-]?\s*(?:[A-Z][\w.'’-]+\s){1,3}(?:is|was|has been|serves as)\s+(?:a|an|the|our)\b[^.]{0,80}\b"
    r"(?:writer|reporter|editor|correspondent|journalist|columnist|contributor|producer|critic|freelancer|"
    r"intern|fellow)\b", re.U)
CONTRIB_RE = re.compile(r"\b(?:contributed(?: reporting)?(?: to this (?:report|story|article))?|contributing:|"
                        r"reported from|can be reached at|may be reached at|(?:e-?mail|contact) (?:him|her|them|us) at)\b", re.I)


def rule_bio_contact(paras: Sequence[str], title: str | None) -> set[int]:
    """Author bios / contact / contributor lines: 'X is a reporter for ...', 'X contributed to this report',
    lines with an e-mail address or @handle (<= 40 words). Restricted to the last third of the text or first 3."""
    n = len(paras)
    out: set[int] = set()
    for i, p in enumerate(paras):
        if not (i >= n * 2 / 3 or i < 3):
            continue
        w = len(words(p))
        if BIO_RE.match(p) and w <= 120:
            out.add(i)
        elif w <= 40 and HANDLE_RE.search(p) and re.search(r"\bfollow(?:ed)? (?:\w+ )?(?:on|at)\b", p, re.I):
            out.add(i)
    return out


def rule_contributor(paras: Sequence[str], title: str | None) -> set[int]:
    """'X contributed to this report', 'X can be reached at ...', lines with an e-mail (<= 40 words, last third)."""
    n = len(paras)
    return {i for i, p in enumerate(paras) if i >= n * 2 / 3 and len(words(p)) <= 40
            and (CONTRIB_RE.search(p) or EMAIL_RE.search(p))}


BYLINE_RE = re.compile(r"^\s*(?:by|written by|words by|story by|posted by|reporting by)\s+[A-Z]", re.I)
DATE_RE = re.compile(
    r"\b(?:" + MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\s+" + MONTHS + r"\s+\d{4}|\d{1,2}/\d{1,2}/\d{2,4}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?|(?:updated|published|posted)\b)", re.I)


def rule_lead_meta(paras: Sequence[str], title: str | None) -> set[int]:
    """Before the first prose paragraph (>= 25 words): short lines that are bylines / datelines / labels
    (<= 12 words and either 'By X' or containing a date/time)."""
    out: set[int] = set()
    for i, p in enumerate(paras):
        w = len(words(p))
        if w >= 25:
            break
        if w > 12:
            continue
        if BYLINE_RE.match(p) or DATE_RE.search(p):
            out.add(i)
    return out


def rule_tail_short(paras: Sequence[str], title: str | None) -> set[int]:
    """From the end backwards: drop lines that are not prose (<= 15 words and no sentence-final punctuation,
    or list/table fragments), stopping at the first prose line. Never removes more than 40% of paragraphs."""
    out: set[int] = set()
    n = len(paras)
    for i in range(n - 1, -1, -1):
        p = paras[i].strip()
        w = len(words(p))
        if w == 0:
            out.add(i)
            continue
        if w <= 15 and (not SENT_END_RE.search(p) or p.endswith(":")):
            out.add(i)
            continue
        break
    if len(out) > 0.4 * n:
        return set()
    return out


def rule_teaser_run(paras: Sequence[str], title: str | None) -> set[int]:
    """Runs of >= 3 consecutive headline-like lines (4..20 words, no final period, mostly Title Case)
    = related-story lists."""
    def headline_like(p: str) -> bool:
        ws = p.split()
        if not (4 <= len(words(p)) <= 20) or p.rstrip().endswith((".", ":", ";", ",")):
            return False
        caps = sum(1 for x in ws if x[:1].isupper() or x[:1].isdigit())
        return caps / len(ws) >= 0.6
    out: set[int] = set()
    run: list[int] = []
    for i, p in enumerate(list(paras) + [""]):
        if i < len(paras) and headline_like(p):
            run.append(i)
        else:
            if len(run) >= 3:
                out.update(run)
            run = []
    return out


def rule_list_bullets_short(paras: Sequence[str], title: str | None) -> set[int]:
    """Bulleted items ('- x') of <= 3 words (link lists such as '- >> events', ticker chips)."""
    return {i for i, p in enumerate(paras) if p.lstrip().startswith("- ") and len(words(p)) <= 3}


DISCLOSURE_RE = re.compile(
    r"\b(?:our standards|trust principles|editorial (?:standards|polic(?:y|ies)|process|guidelines|independence)|"
    r"independently selected|affiliate (?:commission|links?|partnerships?)|we (?:may )?(?:earn|receive) (?:a |an )?(?:small )?"
    r"(?:commission|compensation)|do not own shares|this content can also be viewed on the site it originates from)\b", re.I)


def rule_disclosure(paras: Sequence[str], title: str | None) -> set[int]:
    """Affiliate / editorial-standards disclosures (<= 40 words)."""
    return {i for i, p in enumerate(paras) if _short(p, 40) and DISCLOSURE_RE.search(p)}


CTA_HERE_RE = re.compile(
    r"^\W*(?:get|read|see|find|check out|click|tap|buy|shop|learn|discover|watch|listen|download|stream|sign up|"
    r"subscribe|follow|visit|explore|browse)\b.{0,120}\b(?:here|now|today)\W*$", re.I)
UI_RE = re.compile(r"\b(?:swipe|scroll) (?:left|right|up|down|through|below)\b|\bfor more features\b|"
                   r"\b(?:waiting for your permission|enable javascript|your browser)\b", re.I)


def rule_cta_here(paras: Sequence[str], title: str | None) -> set[int]:
    """Imperative teaser lines ending in 'here/now/today' ('Get the full recipe here.', 'Buy tickets here'),
    and UI instructions ('Swipe left ...', 'Scroll through the gallery below ...')."""
    return {i for i, p in enumerate(paras) if _short(p, 25) and (CTA_HERE_RE.match(p) or UI_RE.search(p))}


PROVENANCE_RE = re.compile(
    r"^\W*(?:this (?:story|article|piece|post|interview|column|report|content|leader)\b.{0,60}\b(?:originally|first|"
    r"was published|appeared|republished|has been (?:lightly )?edited|condensed|reviewed according)|"
    r"editor'?s note\b|correction\b|clarification\b|(?:story|image|video) source\s*:|cite this page|"
    r"(?:from|in) the \w+ \d{1,2}(?:st|nd|rd|th)? \d{4} (?:edition|issue))", re.I)


def rule_provenance(paras: Sequence[str], title: str | None) -> set[int]:
    """Publication notes: 'This story was originally published ...', "Editor's note", 'Correction:', 'Story Source:'."""
    return {i for i, p in enumerate(paras) if _short(p, 40) and PROVENANCE_RE.match(p)}


def rule_caption_before_credit(paras: Sequence[str], title: str | None) -> set[int]:
    """Caption line (<= 15 words, no final period) immediately followed by a credit line."""
    credits = rule_credit(paras, title)
    out: set[int] = set()
    for i in credits:
        j = i - 1
        if j >= 0 and j not in credits and len(words(paras[j])) <= 15 and not paras[j].rstrip().endswith("."):
            out.add(j)
    return out | credits


def rule_kicker(paras: Sequence[str], title: str | None) -> set[int]:
    """Section label at the very top: paragraph 0/1 with 1-2 words, no punctuation, next paragraph not a list item."""
    out: set[int] = set()
    for i, p in enumerate(paras[:2]):
        if 1 <= len(words(p)) <= 2 and not re.search(r"[.,!?:;]", p) and not p.lstrip().startswith("- "):
            nxt = paras[i + 1] if i + 1 < len(paras) else ""
            if not nxt.lstrip().startswith("- "):
                out.add(i)
    return out


RULES: dict[str, Rule] = {
    "title_repeat": rule_title_repeat,
    "title_fuzzy": rule_title_fuzzy,
    "disclosure": rule_disclosure,
    "cta_here": rule_cta_here,
    "provenance": rule_provenance,
    "caption_before_credit": rule_caption_before_credit,
    "kicker": rule_kicker,
    "table_row": rule_table_row,
    "no_letters": rule_no_letters,
    "credit": rule_credit,
    "embed": rule_embed,
    "cta_subscribe": rule_cta_subscribe,
    "cta_social": rule_cta_social,
    "comments_prompt": rule_comments_prompt,
    "copyright": rule_copyright,
    "ad_label": rule_ad_label,
    "related_prefix": rule_related_prefix,
    "allcaps": rule_allcaps,
    "counter": rule_counter,
    "duplicate": rule_duplicate,
    "bio_contact": rule_bio_contact,
    "contributor": rule_contributor,
    "lead_meta": rule_lead_meta,
    "tail_short": rule_tail_short,
    "teaser_run": rule_teaser_run,
    "list_bullets_short": rule_list_bullets_short,
}

# Recommended set (ablation in eval_rules.py). Not included: cta_social (net 0), kicker (net 0), contributor
# (gold conflict: fundus keeps 'X contributed to this report', naeb drops it), teaser_run / list_bullets_short (recall cost).
DEFAULT_RULES: list[str] = [
    "title_repeat", "title_fuzzy", "table_row", "no_letters", "credit", "caption_before_credit", "embed",
    "cta_subscribe", "cta_here", "comments_prompt", "copyright", "disclosure", "provenance", "ad_label",
    "related_prefix", "allcaps", "counter", "duplicate", "bio_contact", "lead_meta", "tail_short",
]


def _sandwich(paras: Sequence[str], hit: dict[int, str]) -> None:
    """Post-pass: in the last 40% of the text, a paragraph of <= 35 words whose neighbours on both sides were
    removed (or are the end of text) is removed too (teaser blurbs between removed teaser headlines).
    Repeated until stable."""
    n = len(paras)
    changed = True
    while changed:
        changed = False
        for i in range(int(n * 0.6), n):
            if i in hit or len(words(paras[i])) > 35:
                continue
            prev_gone = (i - 1) in hit
            next_gone = (i + 1) in hit or i + 1 >= n
            if prev_gone and next_gone and (i + 1 < n or (i - 1) in hit):
                hit[i] = "sandwich"
                changed = True


def clean_paragraphs(paragraphs: list[str], title: str | None,
                     rules: Iterable[str] | None = None,
                     sandwich: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """Return (kept paragraphs, [(removed_text, rule_name)]). Rules see the original paragraph list
    (independent decisions), first matching rule in order is reported."""
    names = list(DEFAULT_RULES if rules is None else rules)
    paras = [p for p in paragraphs]
    hit: dict[int, str] = {}
    for name in names:
        for i in RULES[name](paras, title):
            hit.setdefault(i, name)
    if sandwich:
        _sandwich(paras, hit)
    kept = [p for i, p in enumerate(paras) if i not in hit]
    removed = [(paras[i], hit[i]) for i in sorted(hit)]
    return kept, removed
