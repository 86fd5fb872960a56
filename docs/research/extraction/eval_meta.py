"""Metadata exact-match rates on naeb: title, date, authors (trafilatura bare_extraction + htmldate)."""
from __future__ import annotations
import json, re, unicodedata
import data

def norm_title(t: str | None) -> str:
    t = unicodedata.normalize('NFKC', t or '')
    t = t.replace('’', "'").replace('‘', "'").replace('“', '"').replace('”', '"').replace('–', '-').replace('—', '-')
    return re.sub(r'\s+', ' ', t).strip().lower()

SEP = re.compile(r'\s+[|–—-]\s+|\s+::\s+')
def title_strip_site(t: str | None, site: str | None = None) -> str | None:
    """Drop ' | Site' / ' - Site' suffixes (general: keep the longest segment)."""
    if not t:
        return t
    segs = [x for x in SEP.split(t) if x.strip()]
    # drop trailing site-name segments (<= 4 words) and a leading section label (<= 2 words)
    while len(segs) > 1 and len(segs[-1].split()) <= 4:
        segs.pop()
    if len(segs) > 1 and len(segs[0].split()) <= 2:
        segs.pop(0)
    return ' - '.join(segs)

def split_authors(a: str | None) -> list[str]:
    if not a:
        return []
    a = unicodedata.normalize('NFKC', a)
    parts = re.split(r'\s*(?:;|,|\band\b|&|\|)\s*', a)
    out = []
    for p in parts:
        p = re.sub(r'^(?:by|written by)\s+', '', p.strip(), flags=re.I)
        p = re.sub(r'\s+', ' ', p).strip().lower()
        if p:
            out.append(p)
    return sorted(set(out))

if __name__ == '__main__':
    docs = data.load('naeb'); c = json.load(open('/tmp/extract-study/cache/naeb.json'))
    n = len(docs)
    res = {k: 0 for k in ['title_exact', 'title_norm', 'title_strip', 'date_traf', 'date_htmldate', 'date_htmldate_orig', 'date_htmldate_ext',
                          'auth_raw', 'auth_norm', 'auth_norm_emptyok']}
    fails = {'title': [], 'date': [], 'auth': []}
    n_auth_gold = sum(1 for d in docs if d['authors'])
    for d in docs:
        m = c[d['id']]['meta']; x = c[d['id']]
        gt = d['title']
        res['title_exact'] += (m.get('title') or '') == gt
        res['title_norm'] += norm_title(m.get('title')) == norm_title(gt)
        ok = norm_title(title_strip_site(m.get('title'))) == norm_title(gt)
        res['title_strip'] += ok
        if not ok: fails['title'].append((gt, m.get('title')))
        res['date_traf'] += (m.get('date') or '')[:10] == d['date']
        res['date_htmldate'] += (x.get('htmldate') or '') == d['date']
        ok = (x.get('htmldate_orig') or '') == d['date']
        res['date_htmldate_orig'] += ok
        res['date_htmldate_ext'] += (x.get('htmldate_ext') or '') == d['date']
        if not ok: fails['date'].append((d['date'], m.get('date'), x.get('htmldate'), x.get('htmldate_orig'), d['site']))
        res['auth_raw'] += (m.get('author') or '') == (d['authors'] or '')
        ok = split_authors(m.get('author')) == split_authors(d['authors'])
        res['auth_norm'] += ok
        if not ok: fails['auth'].append((d['authors'], m.get('author')))
    for k, v in res.items():
        print(f'{k:22s} {v}/{n} = {v/n:.3f}')
    print('gold docs with authors:', n_auth_gold, 'empty:', n - n_auth_gold)
    for k, v in fails.items():
        print(f'\n--- {k} failures ({len(v)})')
        for row in v[:60]:
            print('  ', row)


# ---------------------------------------------------------------- improved variants
import gzip
from lxml import html as lhtml

ORG_RE = re.compile(r'\b(?:staff|news|press|media|company|nast|times|journal|gazette|telegram|report(?:s|er)?|correspondent|'
                    r'redazione|editors?|team|desk|agency|associated|https?|www|com)\b', re.I)
DATEISH_RE = re.compile(r'\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\d{4}', re.I)

def strip_accents(s: str) -> str:
    return ''.join(ch for ch in unicodedata.normalize('NFKD', s) if not unicodedata.combining(ch))

def author_key(a: str) -> str:
    return ' '.join(re.findall(r'\w+', strip_accents(a).lower()))

def fair_authors(a: str | None) -> list[str]:
    """Fair comparison: split on ; , & 'and' |, strip 'By', accents, punctuation, case."""
    return sorted({author_key(x) for x in split_authors(a)} - {''})

def clean_pred_authors(a: str | None, sitename: str | None) -> list[str]:
    out = []
    site = author_key(sitename or '')
    for x in split_authors(a):
        x = re.sub(r'^(?:view all posts by|posts by|more by|by)\s+', '', x, flags=re.I)
        x = re.sub(r'\s+link copied$', '', x, flags=re.I)
        k = author_key(x)
        if not k or ORG_RE.search(k) or DATEISH_RE.search(x) or (site and (k == site or k in site or site in k)):
            continue
        if len(k.split()) > 4:
            continue
        out.append(k)
    return sorted(set(out))

def first_h1(doc: dict) -> str | None:
    try:
        tree = lhtml.fromstring(data.html(doc))  # decoded text: avoids mojibake when <meta charset> is missing
    except Exception:
        return None
    for h in tree.iter('h1'):
        t = ' '.join(h.text_content().split())
        if len(t.split()) >= 2:
            if ' | ' in t:  # 'Section | Headline' -> drop short section label
                segs = [x for x in t.split(' | ') if x.strip()]
                if len(segs) > 1 and len(segs[0].split()) <= 2:
                    segs.pop(0)
                t = ' | '.join(segs)
            return t
    return None

def title_key(t: str | None) -> str:
    return ' '.join(re.findall(r'\w+', strip_accents(t or '').lower()))

def run_improved() -> None:
    docs = data.load('naeb'); c = json.load(open('/tmp/extract-study/cache/naeb.json'))
    n = len(docs); r = {k: 0 for k in ['title_tok_meta', 'title_tok_strip', 'title_tok_h1', 'title_tok_h1_else_strip', 'title_h1_if_overlap',
                                       'auth_fair', 'auth_fair_clean', 'auth_fair_clean_nonempty_gold']}
    tf = []; af = []
    n_ne = 0
    for d in docs:
        m = c[d['id']]['meta']; g = title_key(d['title'])
        h1 = first_h1(d); ms = title_strip_site(m.get('title'))
        r['title_tok_meta'] += title_key(m.get('title')) == g
        r['title_tok_strip'] += title_key(ms) == g
        r['title_tok_h1'] += title_key(h1) == g
        r['title_tok_h1_else_strip'] += title_key(h1 or ms) == g
        # prefer h1 when it shares >= 1/3 of content words with the meta title (guards against logo/site h1)
        tw = set(title_key(ms).split()); hw = set(title_key(h1).split())
        pick = h1 if h1 and tw and len(tw & hw) / max(1, min(len(tw), len(hw))) >= 0.34 else ms
        ok = title_key(pick) == g; r['title_h1_if_overlap'] += ok
        if not ok: tf.append((d['title'], pick, m.get('title')))
        r['auth_fair'] += fair_authors(m.get('author')) == fair_authors(d['authors'])
        ok = clean_pred_authors(m.get('author'), m.get('sitename')) == fair_authors(d['authors'])
        r['auth_fair_clean'] += ok
        if d['authors']:
            n_ne += 1; r['auth_fair_clean_nonempty_gold'] += ok
        if not ok: af.append((d['authors'], m.get('author'), clean_pred_authors(m.get('author'), m.get('sitename'))))
    for k, v in r.items():
        den = n_ne if k.endswith('nonempty_gold') else n
        print(f'{k:30s} {v}/{den} = {v/den:.3f}')
    print('\n-- remaining title failures'); [print('  ', x) for x in tf]
    print('\n-- remaining author failures'); [print('  ', x) for x in af]

if __name__ == '__main__':
    print('\n==== improved'); run_improved()
