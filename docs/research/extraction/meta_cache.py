"""Cache trafilatura bare_extraction(...).as_dict() for naeb and fundus pages."""
import gzip, json, sys
from pathlib import Path
sys.path.insert(0, '/work/wt-meta')
import trafilatura
from pipeline.extract.decode import decode
BASE = Path('/work/shared/datasets/extraction-dev')
out = {}
for name in ['naeb', 'fundus']:
    files = sorted((BASE/name/'html').glob('*.html.gz'))
    for f in files:
        html = decode(gzip.open(f).read())
        ex = trafilatura.bare_extraction(html, url=None, with_metadata=True, include_comments=False,
                                         include_tables=True, output_format='python')
        d = ex.as_dict() if ex is not None and not isinstance(ex, dict) else (ex or {})
        d = {k: v for k, v in d.items() if k not in ('body', 'commentsbody', 'text', 'raw_text', 'comments')}
        d = {k: (v if isinstance(v, (str, int, float, list, type(None))) else str(v)) for k, v in d.items()}
        out[f'{name}/{f.name}'] = d
json.dump(out, open('/tmp/meta/traf.json', 'w'))
print(len(out))
