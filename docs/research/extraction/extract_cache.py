"""Run trafilatura variants on every page and cache outputs as JSON."""
from __future__ import annotations
import json, sys
from concurrent.futures import ProcessPoolExecutor
import trafilatura
import data

VARIANTS = {
    'txt_default': dict(),
    'txt_precision': dict(favor_precision=True),
    'txt_recall': dict(favor_recall=True),
    'txt_nocomments': dict(include_comments=False),
    'txt_notables': dict(include_tables=False),
    'txt_nocomments_notables': dict(include_comments=False, include_tables=False),
    'xml_default': dict(output_format='xml'),
    'xml_precision': dict(output_format='xml', favor_precision=True),
    'md_default': dict(output_format='markdown'),
    'txt_meta': dict(with_metadata=True),
}

def run(doc):
    h = data.html(doc)
    out = {}
    for k, kw in VARIANTS.items():
        try:
            out[k] = trafilatura.extract(h, url=doc['url'], **kw)
        except Exception as e:
            out[k] = None
    # no-url default (README says extract on raw HTML)
    out['txt_default_nourl'] = trafilatura.extract(h)
    out['txt_precision_nourl'] = trafilatura.extract(h, favor_precision=True)
    try:
        bd = trafilatura.bare_extraction(h, url=doc['url'], with_metadata=True)
        bd = bd.as_dict() if hasattr(bd, 'as_dict') else bd
        out['meta'] = {k: bd.get(k) for k in ('title', 'author', 'date', 'sitename', 'hostname', 'description')}
    except Exception as e:
        out['meta'] = {'error': repr(e)}
    try:
        from htmldate import find_date
        out['htmldate'] = find_date(h, url=doc['url'])
        out['htmldate_orig'] = find_date(h, url=doc['url'], original_date=True)
        out['htmldate_ext'] = find_date(h, url=doc['url'], original_date=True, extensive_search=True)
    except Exception as e:
        out['htmldate'] = None
    return doc['id'], out

if __name__ == '__main__':
    for name in ['naeb', 'fundus']:
        docs = data.load(name)
        with ProcessPoolExecutor(8) as ex:
            res = dict(ex.map(run, docs))
        json.dump(res, open(f'/tmp/extract-study/cache/{name}.json', 'w'))
        print(name, len(res))
