"""Generate a synthetic wire-copy set from gold article texts (naeb + fundus).

Output: synth_docs.json = {doc_id: text}, synth_pairs.json = [[id_a, id_b, label]]
label: "dup" (copy of the same source) / "neg" (different source article).
Each copy applies a random subset (each edit with prob ~0.5, at least 2) of:
  headline rewording, dateline, tail trim 20-40%, inserted local paragraph,
  swapped paragraphs, appended outlet boilerplate, light word substitutions,
  one dropped middle paragraph.
"""
from __future__ import annotations
import json, random, re

random.seed(20240611)
NAEB = "/work/shared/datasets/extraction-dev/naeb/ground_truth.json"
FUNDUS = "/work/shared/datasets/extraction-dev/fundus/ground_truth.json"

SYN = {
    "said": "stated", "says": "stated", "told": "informed", "however": "but", "big": "large",
    "large": "big", "show": "indicate", "shows": "indicates", "showed": "indicated",
    "also": "additionally", "but": "yet", "about": "around", "many": "numerous",
    "help": "assist", "start": "begin", "started": "began", "buy": "purchase", "need": "require",
    "important": "key", "people": "individuals", "children": "kids", "get": "obtain",
    "make": "create", "made": "created", "new": "fresh", "use": "utilize", "used": "utilized",
    "because": "since", "before": "prior to", "after": "following", "while": "whereas",
    "think": "believe", "want": "wish", "wants": "wishes", "go": "head", "went": "headed",
    "company": "firm", "percent": "per cent", "near": "close to", "more than": "over",
}
DATELINES = ["LONDON (Reuters) -", "NEW YORK (AP) —", "WASHINGTON, Dec 12 (Reuters) -",
             "PARIS (AFP) -", "SYDNEY, Australia (AP) —", "BERLIN, (dpa) -", "TORONTO (CP) -"]
BOILER = [
    "Copyright 2023 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "Reporting by Jane Doe; Editing by John Smith",
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox.",
    "Follow us on Facebook, Twitter and Instagram for more updates.",
    "Our Standards: The Thomson Reuters Trust Principles.",
    "Have a news tip? Email us at tips@example-news.com.",
    "This story has not been edited by staff and is auto-generated from a syndicated feed.",
    "Related: Read more stories from our world section.",
]
LOCAL = [
    "Local officials in {city} said they were monitoring the situation closely and would provide updates to residents as more information became available.",
    "The story has drawn attention in {city}, where community leaders held a meeting on Tuesday evening to discuss what it could mean for families in the area.",
    "In {city}, reaction was mixed: some residents welcomed the news, while others told this newspaper they were worried about the cost.",
    "A spokesperson for the {city} city council declined to comment when contacted by the Gazette on Wednesday.",
]
CITIES = ["Springfield", "Leeds", "Bendigo", "Halifax", "Fresno", "Dundee", "Tulsa", "Waikato"]
HEAD_PRE = ["UPDATE 1-", "", "", "WATCH: ", "", "Breaking: "]


def load() -> dict[str, tuple[str, str]]:
    docs: dict[str, tuple[str, str]] = {}
    for x in json.load(open(NAEB)):
        if len(x["text"].split()) >= 120:
            docs[f"naeb{x['id']}"] = (x["title"] or "", x["text"])
    for k, v in json.load(open(FUNDUS)).items():
        body = "\n".join(v["body"])
        if len(body.split()) >= 120:
            slug = v["url"].rstrip("/").split("/")[-1].split("?")[0]
            title = re.sub(r"[-_]+", " ", re.sub(r"(-b?\d{5,}|\.html)$", "", slug)).strip().capitalize()
            docs["fundus_" + k.split(".")[0]] = (title, body)
    return docs


def paras(text: str) -> list[str]:
    ps = [p.strip() for p in text.split("\n") if p.strip()]
    return ps


def reword_title(t: str) -> str:
    w = t.split()
    if len(w) > 4:
        i = random.randrange(len(w))
        w = w[:i] + w[i + 1:]
    w = [SYN.get(x.lower(), x) if random.random() < 0.5 else x for x in w]
    return random.choice(HEAD_PRE) + " ".join(w)


def substitute(p: str, rate: float) -> str:
    def rep(m: re.Match) -> str:
        word = m.group(0)
        s = SYN.get(word.lower())
        if s and random.random() < rate:
            return s.capitalize() if word[0].isupper() else s
        return word
    return re.sub(r"[A-Za-z]+", rep, p)


def make_copy(title: str, text: str) -> tuple[str, list[str]]:
    ps = paras(text)
    edits = [e for e in ["head", "dateline", "trim", "local", "swap", "boiler", "subst", "drop"]
             if random.random() < 0.5]
    while len(edits) < 2:
        e = random.choice(["head", "dateline", "trim", "local", "swap", "boiler", "subst", "drop"])
        if e not in edits:
            edits.append(e)
    if "trim" in edits and len(ps) >= 3:
        words = sum(len(p.split()) for p in ps)
        keep = words * (1 - random.uniform(0.2, 0.4))
        out, n = [], 0
        for p in ps:
            if n >= keep:
                break
            out.append(p); n += len(p.split())
        ps = out
    elif "trim" in edits:  # single-paragraph text: trim words
        w = " ".join(ps).split()
        ps = [" ".join(w[: int(len(w) * (1 - random.uniform(0.2, 0.4)))])]
    if "drop" in edits and len(ps) >= 5:
        del ps[random.randrange(1, len(ps) - 1)]
    if "swap" in edits and len(ps) >= 4:
        i = random.randrange(1, len(ps) - 1)
        ps[i], ps[i + 1] = ps[i + 1], ps[i]
    if "subst" in edits:
        ps = [substitute(p, 0.35) for p in ps]
    if "local" in edits:
        ps.insert(random.randrange(1, max(2, len(ps))), random.choice(LOCAL).format(city=random.choice(CITIES)))
    if "dateline" in edits and ps:
        ps[0] = random.choice(DATELINES) + " " + ps[0]
    if "boiler" in edits:
        ps += random.sample(BOILER, random.randint(1, 3))
    t = reword_title(title) if "head" in edits else title
    return t + "\n" + "\n".join(ps), edits


def main() -> None:
    src = load()
    ids = sorted(src)
    docs: dict[str, str] = {}
    pairs: list[list[str]] = []
    for i in ids:
        t, b = src[i]
        docs[i] = t + "\n" + b
    # copies for every source article: 3 copies each
    copies: dict[str, list[str]] = {}
    for i in ids:
        t, b = src[i]
        copies[i] = []
        for k in range(3):
            txt, edits = make_copy(t, b)
            cid = f"{i}#c{k}:{'+'.join(edits)}"
            docs[cid] = txt
            copies[i].append(cid)
            pairs.append([i, cid, "dup"])
        pairs.append([copies[i][0], copies[i][1], "dup"])
        pairs.append([copies[i][1], copies[i][2], "dup"])
    # negatives: all pairs of originals + copy-vs-original of every other article is too many;
    # take all original pairs, plus copy0 of each article vs all originals of other articles
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            pairs.append([ids[a], ids[b], "neg"])
            pairs.append([copies[ids[a]][0], copies[ids[b]][1], "neg"])
    json.dump(docs, open("/tmp/dedupe-study/synth_docs.json", "w"))
    json.dump(pairs, open("/tmp/dedupe-study/synth_pairs.json", "w"))
    print(len(docs), "docs", sum(p[2] == "dup" for p in pairs), "dup pairs", sum(p[2] == "neg" for p in pairs), "neg pairs")


if __name__ == "__main__":
    main()
