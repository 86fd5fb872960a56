"""Cleaner (recommended rules) applied on different trafilatura output variants."""
import json, data, metric, cleaner, sys
C = sys.argv[1].split(',')
for n in ['naeb', 'fundus']:
    docs = data.load(n); c = json.load(open(f'/tmp/extract-study/cache/{n}.json'))
    for v in ['txt_default', 'txt_nocomments', 'txt_nocomments_notables', 'txt_recall', 'txt_precision']:
        raw, cl = [], []
        for d in docs:
            t = c[d['id']][v] or ''
            kept, _ = cleaner.clean_paragraphs(t.split('\n'), (c[d['id']]['meta'] or {}).get('title'), rules=C)
            raw.append((d['gold'], t)); cl.append((d['gold'], '\n'.join(kept)))
        a, b = metric.score(raw), metric.score(cl)
        print(f"{n:6s} {v:24s} raw P {a['P']:.4f} R {a['R']:.4f} F1 {a['F1']:.4f} | cleaned P {b['P']:.4f} R {b['R']:.4f} F1 {b['F1']:.4f}")
