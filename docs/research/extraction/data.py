"""Dataset loading helpers."""
from __future__ import annotations
import gzip, json, hashlib
from pathlib import Path
BASE = Path('/work/shared/datasets/extraction-dev')

def load(name: str) -> list[dict]:
    """Return list of docs {id, html_path, gold_text, title, authors, date, site, fold}."""
    docs = []
    if name == 'naeb':
        for d in json.load(open(BASE/'naeb/ground_truth.json')):
            site = d['site']
            fold = int(hashlib.md5(site.encode()).hexdigest(), 16) % 2
            docs.append(dict(id=d['html_file'], html_path=BASE/'naeb/html'/d['html_file'], gold=d['text'],
                             title=d['title'], authors=d['authors'], date=d['date'], site=site, url=d['link'], fold=fold))
    else:
        gt = json.load(open(BASE/'fundus/ground_truth.json'))
        for fn, d in sorted(gt.items()):
            site = fn.rsplit('_', 1)[0]
            sites = sorted({k.rsplit('_', 1)[0] for k in gt})
            fold = sites.index(site) % 2  # alternate publishers: 8 sites per fold
            docs.append(dict(id=fn, html_path=BASE/'fundus/html'/fn, gold='\n\n'.join(d['body']), gold_paras=d['body'],
                             title=None, url=d['url'], site=site, fold=fold))
    return docs

def html(doc: dict) -> str:
    raw = gzip.open(doc['html_path']).read()
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes
        return str(from_bytes(raw).best())
