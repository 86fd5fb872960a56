"""The vocabulary of page furniture, in English: calls to action, labels, credits, footers.

Each pattern keys on how a kind of boilerplate is phrased on any site, never on one outlet's
strings; the rules in pipeline/clean/rules.py add the shape conditions (length, position, a
missing full stop) that keep an article's own sentences from matching.
"""

from __future__ import annotations

import re

from pipeline.text.bylines import BYLINE_LEAD
from pipeline.text.dates import MONTH

# Upper-case labels are layout whatever follows; mixed-case words need a separator after them,
# since "Watch" or "Related" can also start a sentence of the article.
NAVIGATION = re.compile(r"^(?:PREV(?:IOUS)?|NEXT)\b")
NAVIGATION_CI = re.compile(
    r"^(?:«|‹|<|←)?\s*(?:previous|next|older|newer)\s+(?:article|story|post|page|item)\b"
    r"|^skip to (?:main )?(?:content|navigation|main)\b|^back to top\b",
    re.I,
)
BREADCRUMB = re.compile(r"^[\w .&'’-]{1,30}(?:\s*[>›»/|]\s*[\w .&'’-]{1,40}){2,}$")

_RELATED = (
    r"(?:related(?: stories| articles| content| coverage| reading| videos?| links?| topics?)?"
    r"|read more(?: on| about| from)?|read also|also read|read next|see also|see more"
    r"|more (?:from|on|in|about|by|stories|news|coverage|must[- ]reads?)"
    r"|recommended(?: for you| stories| reading)?|most (?:read|popular|viewed|shared)"
    r"|popular(?: now| stories)?|trending(?: now| stories)?"
    r"|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|further reading"
    r"|what to read next|top stories|latest(?: news| stories)?|editor['’]?s? picks?|don['’]?t miss"
    r"|watch(?: now| more)?|listen(?: now)?|click here)"
)
RELATED_CAPS = re.compile(r"^(?:READ MORE|ALSO READ|READ ALSO|SEE ALSO|RELATED|MORE)\b")
# The keyword then a delimiter (a teaser follows), or the whole line is the label.
RELATED_PREFIX = re.compile(r"^[\[(]?\s*" + _RELATED + r"\s*(?:[:|\-–—>»]|\.{3}|…)", re.I)
RELATED_LABEL = re.compile(r"^[\[(]?\s*" + _RELATED + r"\b(?:\s+\S+){0,6}\s*[\])]?$", re.I)

SOURCE_LINE = re.compile(r"^(?:sources?|via)\s*:\s*(?P<credit>.{2,120})$", re.I)
CREDIT_SUFFIX = re.compile(r"\s+[/|]\s+(?P<credit>\w[\w.&'’-]*(?:\s[\w.&'’-]+){0,4})$")

_AGENCY = (
    r"getty(?: images)?|reuters|afp|ap photo|associated press|shutterstock|epa|istock|alamy|"
    r"wenn|xinhua|anadolu|pa images|sipa|zuma"
)
CAPTION_CREDIT = re.compile(
    r"\[(?:[A-Z][\w.&'’/ -]{0,40}|photo[^\]]*|file[^\]]*)\]$"
    r"|\((?:[^()]*\b(?:photo|photograph|image|picture|credit|file photo|" + _AGENCY + r")\b"
    r"[^()]*)\)$"
    r"|^[\[(]?\s*(?:photo(?:graph)?s?|images?|pictures?|pic|illustration|video|graphic|credit|"
    r"caption|foto|courtesy|file photo)\s*(?:by\s|credit\s*)?[:/|]"
    r"|^(?:photo|image|picture|photograph)s?\s+by\s",
    re.I,
)
CREDIT_TAIL = re.compile(
    r"(?:\b(?:photo|image|credit)s?\s*:\s*[^.]{2,60}|/\s*(?:" + _AGENCY + r")[^.]{0,30})$", re.I
)

EMBED_SIGNATURE = re.compile(
    r"^[—–-]{1,2}\s*.{1,80}\(@\w+\)\s*" + MONTH + r"\s*\d{1,2},\s*\d{4}$", re.I
)
EMBED_LINK = re.compile(r"\s*(?:pic\.twitter\.com|https?://t\.co)/\w+", re.I)
EMBED_CHROME = re.compile(
    r"^(?:view (?:this|the) (?:post|profile|tweet|video) on \w+|view on (?:twitter|x|instagram|"
    r"facebook|tiktok|threads|youtube)|a post shared by .{1,80}|watch on youtube)\W*$",
    re.I,
)

INTERFACE = re.compile(
    r"^(?:dismiss|accept(?: all)?(?: cookies)?|reject(?: all)?|close|ok|got it|share|tweet|email|"
    r"print|comments?|advertisement|advertising|sponsored(?: content)?|ad|promoted|skip|menu|"
    r"search|log ?in|sign ?in|sign up|subscribe|continue reading(?: below)?|show more|load more|"
    r"see more|view comments|copy link|follow|listen|loading(?: comments)?|"
    r"story continues below(?: advertisement)?|"
    r"article continues (?:below|after)(?: this)?(?: ad(?:vertisement)?)?|"
    r"share this(?: article| story)?|share on \w+)\W*$",
    re.I,
)
INTERFACE_HINT = re.compile(
    r"\b(?:swipe|scroll) (?:left|right|up|down|through|below)\b|\bfor more features\b"
    r"|\b(?:waiting for your permission|enable javascript)\b"
    r"|\byour browser (?:does ?n[o']t|is not|isn['’]t) support",
    re.I,
)
CALL_TO_ACTION = re.compile(
    r"^\W*(?:get|read|see|find|check out|click|tap|buy|shop|learn|discover|watch|listen|"
    r"download|stream|sign up|subscribe|follow|visit|explore|browse)\b.{0,120}"
    r"\b(?:here|now|today)\W*$",
    re.I,
)
# Words only the publisher's own furniture uses: its newsletter, its cookie banner, its comments.
PROMPT = re.compile(
    r"\b(?:newsletters?|privacy policy|terms of (?:use|service)|share (?:this|on)|follow us|"
    r"download our app|join the conversation|leave a comment|"
    r"comments? (?:are|is) (?:closed|moderated)|unsubscribe|disable (?:your )?ad ?block|"
    r"support (?:our|independent|local) journalism|inbox|"
    r"register (?:now|for free|here)|privacy notice|accept (?:all )?cookies|"
    r"cookie (?:policy|settings)|"
    r"password (?:must|should|needs to)|"
    r"follow (?:the |our )?[\w ]{1,40} on (?:facebook|twitter|x|instagram|snapchat|youtube|"
    r"threads|tiktok|linkedin|whatsapp))\b",
    re.I,
)
# Words an article about a product uses too ("Sign up for a Hulu ad-free account for $11.99"):
# furniture only when the publisher speaks (PUBLISHER_VOICE) or the line is a bare label.
PRODUCT_PROMPT = re.compile(
    r"\b(?:subscribe|subscription|subscriber|sign(?:ing)?[ -]?up|sign[ -]?in|log[ -]?in|cookies?|"
    r"download (?:the|our) app|get the [\w ]{1,30} app|create (?:an|your|a free) account|"
    r"become a (?:member|subscriber|patron)|membership|donate|unlock|premium|e-?mail address|"
    r"(?:forgot|reset|enter|confirm|create|choose) (?:your |a (?:new )?)?password)\b",
    re.I,
)
PUBLISHER_VOICE = re.compile(
    r"\b(?:our|us|we|we['’](?:re|ve|ll))\b|\bthis (?:site|website|page|article|story)\b", re.I
)
# Sign-up forms: the consent to terms under an e-mail field, and the field's question. An
# article quoting such terms paraphrases them ("users must accept ...") rather than addressing
# the reader in the second person.
CONSENT = re.compile(
    r"\bby (?:submitting|signing up|clicking|subscribing|registering|creating an account|"
    r"continuing)\b.{0,80}\byou (?:agree|consent|acknowledge)"
    r"|\byou (?:agree|consent) to (?:our|the|receive)\b|^what is your e-?mail\b"
    r"|\byou(?:['’]ll| will) (?:also )?receive (?:occasional |regular )?(?:updates|offers|e-?mails)"
    r"|\bprotected by recaptcha\b",
    re.I,
)
# A password field's checklist ("Upper case letters (A-Z)", "Numbers (0-9)").
PASSWORD_RULE = re.compile(
    r"^(?:(?:lower|upper)[ -]?case (?:letters?|characters?)|numbers?|digits?|"
    r"special characters?|symbols?)\s*\(.{1,12}\)$|^(?:at least|minimum(?: of)?) \d+ characters\b",
    re.I,
)
# A pitch opens with a rhetorical question or a promise, then names what it sells. (An opening
# imperative, "Sign up for ...", is no sign: an article about a product gives the same advice.)
PITCH_OPENING = re.compile(
    r"^(?:want (?:more|to)|like (?:this|what)|don['’]?t miss|get more|"
    r"to (?:learn|read|see|find out) more|for more\b|never miss|"
    r"stay (?:up to date|informed|in the know)|love (?:this|our))",
    re.I,
)
COMMENTS = re.compile(r"\b(?:comments?|commenting|discussion)\b", re.I)
# Reporting phrases ("declined to comment") mention comments without being a comment prompt.
NEWS_COMMENT = re.compile(
    r"\b(?:for|to|declined|decline|no|additional|immediate(?:ly)?|without|further)\s+"
    r"(?:\w+\s+){0,2}comments?\b",
    re.I,
)
COPYRIGHT = re.compile(
    r"©|\(c\)\s*\d{4}|^copyright\b|\ball rights reserved\b|\bmay not be (?:published|reproduced)",
    re.I,
)
# "More information:" sits outside the \b group: no word boundary follows a colon and a space.
CONTACT = re.compile(
    r"^(?:(?:to contact|contact us|for (?:more information|inquiries|enquiries)|follow us on|"
    r"send (?:us )?(?:your )?(?:tips|news tips|a tip)|have a (?:news )?tip)\b"
    r"|more information\s*:)",
    re.I,
)
# Job titles are often capitalised ("Senior Editor"), the name never is lower case.
AUTHOR_BIO = re.compile(
    r"^[—–-]?\s*(?:[A-Z][\w.'’-]+\s){1,3}(?:(?:is|was|has been|serves as)\s+(?:a|an|the|our)\b"
    r"[^.]{0,80}\b(?i:writer|reporter|editor|correspondent|journalist|columnist|contributor|"
    r"producer|critic|freelancer|intern|fellow)s?\b|writes (?:about|on|for)\b)"
)
HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
FOLLOW = re.compile(r"\bfollow(?:ed)? (?:\w+ )?(?:on|at)\b", re.I)
DISCLOSURE = re.compile(
    r"\b(?:our standards|trust principles|editorial (?:standards|polic(?:y|ies)|process|"
    r"guidelines|independence)|independently selected|affiliate (?:commission|links?|"
    r"partnerships?)|we (?:may )?(?:earn|receive) (?:a |an )?(?:small )?(?:commission|"
    r"compensation)|do not own shares|this content can also be viewed on the site it "
    r"originates from)\b",
    re.I,
)
PROVENANCE = re.compile(
    r"^\W*(?:this (?:story|article|piece|post|interview|column|report|content)\b.{0,60}"
    r"\b(?:originally|first|was published|appeared|republished|has been (?:lightly )?edited|"
    r"condensed|reviewed according)|editor['’]?s['’]? note\b|(?:story|image|video) source\s*:|"
    r"materials? (?:provided|supplied) by\b|"
    r"cite this page|(?:from|in) the \w+ \d{1,2}(?:st|nd|rd|th)? \d{4} (?:edition|issue))",
    re.I,
)
# Photo captions point at the picture: "(left)", "(pictured, right)", "(second from left)".
CAPTION_POINTER = re.compile(
    r"\((?:[\w ]+,\s*)?(?:(?:second |third )?from )?(?:left|right|centre|center|above|below|"
    r"top|bottom|inset)(?:\s*,\s*[\w ]+)?\)",
    re.I,
)
# The heading of a list of sources or references that closes an article.
END_MATTER = re.compile(
    r"^(?:our |the |article )?(?:sources?(?: and (?:references|notes))?|references|bibliography|"
    r"footnotes|works cited|citations)\s*:?$",
    re.I,
)
# A web address on its own: with a scheme, a "www." or a path. A bare "name.tld" line is as
# often a name the article lists (Booking.com, Node.js).
LINK_ONLY = re.compile(
    r"^(?:https?://\S+|www\.(?:[\w-]+\.)+[a-z]{2,}\S*|(?:[\w-]+\.)+[a-z]{2,}/\S*)$", re.I
)
GALLERY_COUNTER = re.compile(
    r"^(?:\d{1,3}\s*(?:of|/)\s*\d{1,3}|\d{1,3}/\d{1,3}\S.*|image \d+ of \d+|slide \d+.*)$", re.I
)
LEAD_BYLINE = re.compile(rf"^{BYLINE_LEAD}\s+[A-Z]", re.I)
LEAD_DATE = re.compile(
    r"\b(?:" + MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\s+" + MONTH + r"\s+\d{4}"
    r"|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?"
    r"|(?:updated|published|posted)\b)",
    re.I,
)

# Page code by its shape (rules.page_code): markup tags, the opening of a JSON object, a script
# statement, a CSS rule. Each needs the punctuation only code uses ({ } ; = < >) as well, so a
# sentence that names a tag or a "document" stays.
MARKUP_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
JSON_OPENING = re.compile(r"""^\s*(?:\[\s*)?\{\s*["'][^"']{1,100}["']\s*:""")
SCRIPT_STATEMENT = re.compile(
    r"\b(?:var|let|const|function|window|document)\b[\w.$\[\]'\"]*\s*(?:=[^=]|\()"
    r"|\bfor\s*\(\s*(?:var|let|const)\b|=>\s*\{|\}\s*\)\s*;"
)
CSS_RULE = re.compile(r"[\w#.\]\)-]\s*\{[^{}]*:[^{}]*\}")
CODE_PUNCTUATION = "{};=<>"
