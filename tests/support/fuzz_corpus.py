"""A seeded fuzz corpus of inbox files: good articles in several languages and encodings, and
every kind of bad input the issue names. Deterministic for a seed; fast (no network, no model).

    python -m tests.support.fuzz_corpus OUT_DIR --count 10000 --seed 1

Each file's class is in its name (`<class>-<n>.<ext>`) and in OUT_DIR/manifest.json with what
must become of it: `load` (a good article: it must be stored, with `language` and a `marker`
string that must survive decoding unmangled), `reject` (it must end in rejected_inputs) or
`either` (hostile but possibly an article: stored or rejected, never lost or crashed).
English articles carry no expected language: half their words are made-up names (so that no
two are near-duplicates), which language identification fairly calls something else.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.support.http_server import article_text

OVERSIZE_LIMIT = 256 * 1024  # the input limit the fuzz run configures, so oversize files stay cheap

_LANGUAGES: dict[str, tuple[str, str]] = {
    # language: (common words, a marker word with the letters legacy encodings get wrong)
    "de": ("der die und nicht ist wir haben heute Regierung Stadt Bürger Woche über Straße "
           "Bericht sagte Minister Schule Wasser Zukunft Menschen zwischen während Jahr",
           "Größenverhältnisse"),
    "fr": ("le la les et des une dans pour avec être été gouvernement ville après où déjà "
           "très rapport ministre école année français élève santé travail",
           "élèves-là"),
    "es": ("el la los las y que en para con está gobierno ciudad año según también "
           "informe ministro escuela niños señor pequeño mañana política",
           "añadió"),
    "ru": ("и в не что он на я с как это по но они мы правительство город год "
           "сказал министр школа работа жизнь люди время вопрос",
           "объявил"),
}  # fmt: skip
_LEGACY = {"de": ["cp1252", "iso-8859-1"], "fr": ["cp1252", "iso-8859-1"],
           "es": ["cp1252", "iso-8859-1"], "ru": ["cp1251", "koi8-r"]}  # fmt: skip
HOSTILE = [
    "'); DROP TABLE articles; --", "\u202eevil\u202c", "\ufeff\u200b\u2060", "%s%s%n",
    "{{7*7}}", "<script>alert(1)</script>", "../../../../etc/passwd", "\\x00\\u0000",
]  # fmt: skip


@dataclass
class Expect:
    cls: str
    outcome: str  # load, reject or either
    language: str | None = None
    marker: str | None = None


def _words(rng: random.Random, language: str, n: int) -> str:
    vocabulary, marker = _LANGUAGES[language]
    words = vocabulary.split()
    # Made-up names keep two generated articles from being near-duplicates of each other.
    names = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
             for _ in range(12)] if language != "ru" else []  # fmt: skip
    pool = words * 3 + names
    return " ".join(rng.choice(pool) for _ in range(n)) + f" {marker}"


def _foreign(rng: random.Random, language: str) -> str:
    paragraphs = [_words(rng, language, rng.randint(30, 45)) + "." for _ in range(5)]
    paragraphs = [p[0].upper() + p[1:] for p in paragraphs]
    return "\n\n".join(paragraphs)


def _english(rng: random.Random) -> str:
    return "\n\n".join(article_text(rng.randrange(10**9)))


def _html(body: str, title: str = "A page", charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (f'<!doctype html><html><head><meta charset="{charset}"><title>{title}</title></head>'
            f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paragraphs}"
            "</article><footer>Contact us</footer></body></html>")  # fmt: skip


_Generator = Callable[[random.Random], tuple[bytes, str, Expect]]


def good_english(rng: random.Random) -> tuple[bytes, str, Expect]:
    text = _english(rng)
    if rng.random() < 0.5:
        return text.encode(), "txt", Expect("good_english", "load")
    return _html(text).encode(), "html", Expect("good_english", "load")


def non_english(rng: random.Random) -> tuple[bytes, str, Expect]:
    language = rng.choice(sorted(_LANGUAGES))
    text = _foreign(rng, language)
    marker = _LANGUAGES[language][1]
    data, ext = (text.encode(), "txt") if rng.random() < 0.5 else (_html(text).encode(), "html")
    return data, ext, Expect("non_english", "load", language, marker)


def legacy_encoding(rng: random.Random) -> tuple[bytes, str, Expect]:
    language = rng.choice(sorted(_LEGACY))
    encoding = rng.choice(_LEGACY[language])
    text = _foreign(rng, language)
    marker = _LANGUAGES[language][1]
    if rng.random() < 0.5:
        return text.encode(encoding), "txt", Expect("legacy_encoding", "load", language, marker)
    page = _html(text, charset=encoding).encode(encoding)
    return page, "html", Expect("legacy_encoding", "load", language, marker)


def invalid_utf8(rng: random.Random) -> tuple[bytes, str, Expect]:
    data = bytearray(_english(rng).encode())
    for _ in range(rng.randint(1, 6)):  # stray continuation bytes, overlongs, surrogates
        pos = rng.randrange(len(data))
        data[pos:pos] = rng.choice([b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xff", b"\xe2\x82"])
    return bytes(data), "txt", Expect("invalid_utf8", "either")


def empty(rng: random.Random) -> tuple[bytes, str, Expect]:
    data = rng.choice([b"", b" ", b"\n\n\n", b"\xef\xbb\xbf", b"\t \r\n"])
    return data, rng.choice(["txt", "html"]), Expect("empty", "reject")


def binary_junk(rng: random.Random) -> tuple[bytes, str, Expect]:
    size = rng.choice([1, 16, 512, 4096, 65536])
    return rng.randbytes(size), rng.choice(["txt", "html"]), Expect("binary_junk", "either")


def truncated_gzip(rng: random.Random) -> tuple[bytes, str, Expect]:
    full = gzip.compress(_english(rng).encode())
    cut = rng.randrange(1, len(full) - 8)  # the trailer (CRC, size) is always cut at least
    return full[:cut], "txt.gz", Expect("truncated_gzip", "reject")


def invalid_gzip(rng: random.Random) -> tuple[bytes, str, Expect]:
    full = bytearray(gzip.compress(_english(rng).encode()))
    choice = rng.random()
    if choice < 0.4:  # a flipped byte in the deflate stream or the CRC
        pos = rng.randrange(10, len(full))
        full[pos] ^= 0xFF
    elif choice < 0.7:
        full = bytearray(b"\x1f\x8b" + rng.randbytes(rng.randint(0, 200)))
    else:
        full = bytearray(b"this is not gzip at all " * 5)
    return bytes(full), "txt.gz", Expect("invalid_gzip", "either")


_BOMB: bytes | None = None


def gzip_bomb(rng: random.Random) -> tuple[bytes, str, Expect]:
    global _BOMB
    if _BOMB is None:  # 64 MB of zeros in ~64 KB; built once, the cost is the compression
        deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        chunk = b"\0" * (1 << 20)
        _BOMB = b"".join(deflate.compress(chunk) for _ in range(64)) + deflate.flush()
    return _BOMB, rng.choice(["txt.gz", "html.gz"]), Expect("gzip_bomb", "reject")


def oversize(rng: random.Random) -> tuple[bytes, str, Expect]:
    text = _english(rng).encode()
    data = (text * (OVERSIZE_LIMIT // len(text) + 2))[: OVERSIZE_LIMIT + rng.randint(1, 5000)]
    return data, "txt", Expect("oversize", "reject")


def deep_html(rng: random.Random) -> tuple[bytes, str, Expect]:
    depth = rng.choice([300, 3000, 30000, 100000])
    tag = rng.choice(["div", "span", "b", "table", "ul"])
    text = "".join(f"<p>{p}</p>" for p in article_text(rng.randrange(10**9)))
    page = f"<html><body>{f'<{tag}>' * depth}{text}{f'</{tag}>' * (depth // 2)}</body></html>"
    return page.encode(), "html", Expect("deep_html", "either")


def malformed_html(rng: random.Random) -> tuple[bytes, str, Expect]:
    text = _english(rng)
    pieces = [
        "<html><head><title>Broken", "<body <p class='x>", "<p>" + text[:600],
        "<script>var x = '</p>", "</div></div></div>", "<!-- never closed",
        "<p>" + text[600:], "<table><tr><td>", "&#xFFFFFFFF; &bogus; &#0;", "<![CDATA[",
        "<svg><foreignObject><p>", "</html></html>", "<<<>>>", "<p\x00>",
    ]  # fmt: skip
    rng.shuffle(pieces)
    return "".join(pieces).encode(), "html", Expect("malformed_html", "either")


def no_article(rng: random.Random) -> tuple[bytes, str, Expect]:
    choice = rng.random()
    if choice < 0.4:
        page = ("<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
                "<footer>© 2024 Example. All rights reserved.</footer></body></html>")  # fmt: skip
        return page.encode(), "html", Expect("no_article", "reject")
    if choice < 0.7:
        return b"Subscribe to read this article.\n", "txt", Expect("no_article", "reject")
    page = "<html><body>" + "<img src='x.png'>" * rng.randint(1, 50) + "</body></html>"
    return page.encode(), "html", Expect("no_article", "reject")


def control_chars(rng: random.Random) -> tuple[bytes, str, Expect]:
    text = list(_english(rng))
    share = rng.choice([0.01, 0.05, 0.3])  # light: an article with junk in it; heavy: junk
    for _ in range(int(len(text) * share)):
        text.insert(rng.randrange(len(text)), chr(rng.choice([*range(0, 9), *range(11, 32), 127])))
    outcome = "either" if share > 0.01 else "load"
    if rng.random() < 0.5:
        return "".join(text).encode(), "txt", Expect("control_chars", outcome)
    return _html("".join(text)).encode(), "html", Expect("control_chars", outcome)


def hostile_strings(rng: random.Random) -> tuple[bytes, str, Expect]:
    paragraphs = article_text(rng.randrange(10**9))
    paragraphs = [f"{p} {rng.choice(HOSTILE)}" for p in paragraphs]
    title = rng.choice(HOSTILE)
    page = _html("\n\n".join(paragraphs), title=title.replace("<", "&lt;"))
    return page.encode(), "html", Expect("hostile_strings", "load")


def huge_text(rng: random.Random) -> tuple[bytes, str, Expect]:
    if rng.random() < 0.5:  # one line, no spaces
        return b"x" * (OVERSIZE_LIMIT - 10), "txt", Expect("huge_text", "either")
    text = "\n".join(" ".join(article_text(rng.randrange(10**9), 60)) for _ in range(3))
    return text.encode()[: OVERSIZE_LIMIT - 10], "txt", Expect("huge_text", "either")


# What a JSON-LD value may hold that a database cannot (JSON escapes: the page bytes are
# valid UTF-8), and the shapes malformed metadata takes where a string is expected.
_POISON_ESCAPES = ["\\u0000", "\\ud800", "\\udfff", "\\ud83d", "\\uffff", "\\ufdd0",
                   "\\u0007", "\\u001b", "\\ud83d\\ude00"]  # fmt: skip
_ODD_VALUES = [
    "null", "42", "-1e309", "true", "[]", "{}", '[null, 7, {"name": []}]', '{"@type": "Person"}',
    '"' + "x" * 5000 + '"', '{"name": {"name": {"name": 1}}}', '"2024-02-30T25:61:00Z"',
    '"yesterday"', '"0000-00-00"',
]  # fmt: skip
_JSON_LD_FIELDS = [
    "headline", "name", "author", "publisher", "datePublished", "dateModified", "inLanguage",
    "url", "mainEntityOfPage", "articleBody", "description",
]  # fmt: skip


def poisoned_json_ld(rng: random.Random) -> tuple[bytes, str, Expect]:
    """A good article whose JSON-LD strings carry NUL, lone surrogates, noncharacters or
    controls (as escapes): it must load, those characters replaced."""

    def poisoned(text: str) -> str:
        cut = rng.randrange(len(text) + 1)
        return text[:cut] + rng.choice(_POISON_ESCAPES) + text[cut:]

    fields = rng.sample(_JSON_LD_FIELDS, rng.randint(1, 4))
    values = {f: '"' + poisoned(rng.choice(["Ann Lee", "Bridge opens", "2024-03-01"])) + '"'
              for f in fields}  # fmt: skip
    if "author" in values and rng.random() < 0.5:
        values["author"] = '[{"@type": "Person", "name": ' + values["author"] + "}]"
    return _json_ld_page(rng, values), "html", Expect("poisoned_json_ld", "load")


def malformed_metadata(rng: random.Random) -> tuple[bytes, str, Expect]:
    """A good article whose metadata has the wrong types, impossible dates or broken JSON."""
    fields = rng.sample(_JSON_LD_FIELDS, rng.randint(1, 5))
    values = {f: rng.choice(_ODD_VALUES) for f in fields}
    page = _json_ld_page(rng, values)
    if rng.random() < 0.2:  # JSON-LD that is not JSON at all
        page = page.replace(b'"@type"', b"'@type", 1)
    return page, "html", Expect("malformed_metadata", "load")


def _json_ld_page(rng: random.Random, values: dict[str, str]) -> bytes:
    body = ", ".join(f'"{k}": {v}' for k, v in values.items())
    script = ('<script type="application/ld+json">{"@context": "https://schema.org", '
              f'"@type": "NewsArticle", {body}}}</script>')  # fmt: skip
    meta = "".join(
        f'<meta property="{p}" content="{rng.choice(["", "&#0;", "x" * 300, "2024-13-45"])}">'
        for p in rng.sample(["og:title", "article:published_time", "og:site_name", "author"], 2)
    )
    page = _html(_english(rng)).replace("</head>", meta + script + "</head>")
    return page.encode()


# Share of the corpus per class: good articles a third, junk the rest.
CLASSES: dict[str, tuple[float, _Generator]] = {
    "good_english": (0.16, good_english),
    "non_english": (0.08, non_english),
    "legacy_encoding": (0.08, legacy_encoding),
    "hostile_strings": (0.03, hostile_strings),
    "invalid_utf8": (0.05, invalid_utf8),
    "control_chars": (0.05, control_chars),
    "empty": (0.06, empty),
    "binary_junk": (0.1, binary_junk),
    "truncated_gzip": (0.06, truncated_gzip),
    "invalid_gzip": (0.06, invalid_gzip),
    "gzip_bomb": (0.03, gzip_bomb),
    "oversize": (0.04, oversize),
    "deep_html": (0.04, deep_html),
    "malformed_html": (0.07, malformed_html),
    "no_article": (0.06, no_article),
    "huge_text": (0.03, huge_text),
    "poisoned_json_ld": (0.04, poisoned_json_ld),
    "malformed_metadata": (0.04, malformed_metadata),
}


def generate(out: Path, count: int, seed: int = 1) -> dict[str, Expect]:
    """Write `count` files (at least one per class) into `out`; return name -> expectation."""
    out.mkdir(parents=True, exist_ok=True)
    weights = [share for share, _ in CLASSES.values()]
    names = list(CLASSES)
    rng = random.Random(seed)
    plan = names + rng.choices(names, weights, k=max(count - len(names), 0))
    manifest: dict[str, Expect] = {}
    for n, cls in enumerate(plan[:count]):
        data, ext, expect = CLASSES[cls][1](random.Random(f"{seed}-{n}"))
        name = f"{cls}-{n:05d}.{ext}"
        (out / name).write_bytes(data)
        manifest[name] = expect
    (out / "manifest.json").write_text(
        json.dumps({k: asdict(v) for k, v in manifest.items()}, indent=0), encoding="utf-8"
    )
    return manifest


def load_manifest(folder: Path) -> dict[str, Expect]:
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {name: Expect(**value) for name, value in raw.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    manifest = generate(args.out, args.count, args.seed)
    size = sum(os.path.getsize(args.out / name) for name in manifest)
    print(f"{len(manifest)} files, {size / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
