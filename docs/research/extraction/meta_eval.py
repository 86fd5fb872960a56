"""Measure pipeline.extract.metadata on naeb. usage: python /tmp/meta/eval.py [--live] [--misses]"""
import gzip, json, sys
from pathlib import Path
sys.path.insert(0, '/work/wt-meta')
from pipeline.extract.decode import decode
from pipeline.extract.metadata import metadata_from_html
from pipeline.evaluation.metadata import score_metadata
B = Path('/work/shared/datasets/extraction-dev/naeb')
gt = json.load(open(B / 'ground_truth.json'))
if '--live' in sys.argv:
    import trafilatura
    def doc_for(html, f):
        ex = trafilatura.bare_extraction(html, url=None, with_metadata=True, include_comments=False,
                                         include_tables=True, output_format='python')
        return ex.as_dict() if ex is not None else {}
else:
    cache = json.load(open('/tmp/meta/traf.json'  ))
    def doc_for(html, f):
        return cache['naeb/' + f]
pairs = []
for r in gt:
    html = decode(gzip.open(B / 'html' / r['html_file']).read())
    pairs.append((metadata_from_html(html, None, doc_for(html, r['html_file'])), r))
s = score_metadata(pairs)
print(f'docs {s.docs}  title {s.title_hits}/{s.title_gold} = {s.title_rate:.3f}  '
      f'date {s.date_hits}/{s.date_gold} = {s.date_rate:.3f}  '
      f'authors {s.authors_hits}/{s.authors_gold} = {s.authors_rate:.3f}')
if '--misses' in sys.argv:
    site = {str(r['id']): r['site'] for r in gt}
    for fld, i, p, g in s.misses:
        print(f'{fld:8s} {i:>4s} {site[i][:35]:35s} pred={p!r}  gold={g!r}')
