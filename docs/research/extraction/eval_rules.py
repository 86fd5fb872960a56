"""Measure each cleaner rule alone and leave-one-out, per data set and fold. Usage: eval_rules.py [rule,...]"""
from __future__ import annotations
import json, sys, importlib
import data, metric, lineinfo, cleaner

import os
SANDWICH = os.environ.get("SANDWICH", "0") == "1"
SETS = ['naeb', 'fundus']


def load_all():
    out = {}
    for n in SETS:
        docs = data.load(n); c = json.load(open(f'/tmp/extract-study/cache/{n}.json'))
        for d in docs:
            d['paras'] = (c[d['id']]['txt_default'] or '').split('\n')
            d['xtitle'] = (c[d['id']]['meta'] or {}).get('title')
            d['gi'] = lineinfo.gold_index(d['gold'])
        out[n] = docs
    return out


def run(docs, rules, fold=None):
    pairs = []; rem = ok = 0
    for d in docs:
        if fold is not None and d['fold'] != fold:
            continue
        kept, removed = cleaner.clean_paragraphs(d["paras"], d["xtitle"], rules=rules, sandwich=SANDWICH)
        pairs.append((d['gold'], '\n'.join(kept)))
        for t, _ in removed:
            rem += 1; ok += lineinfo.in_gold(t, d['gi']) < 0.5
    s = metric.score(pairs); s['removed'] = rem; s['removed_fp'] = ok
    return s


def fmt(s, b):
    return f"dP {100*(s['P']-b['P']):+5.2f} dR {100*(s['R']-b['R']):+5.2f} dF1 {100*(s['F1']-b['F1']):+5.2f}"


if __name__ == '__main__':
    allsets = load_all()
    combo = sys.argv[1].split(',') if len(sys.argv) > 1 else list(cleaner.RULES)
    names = list(cleaner.RULES)
    res = {}
    for n in SETS:
        docs = allsets[n]
        for fold in [None, 0, 1]:
            b = run(docs, [], fold)
            res[(n, fold, 'BASE')] = b
            for r in names:
                res[(n, fold, r)] = run(docs, [r], fold)
            res[(n, fold, 'ALL')] = run(docs, combo, fold)
            for r in combo:
                res[(n, fold, '-' + r)] = run(docs, [x for x in combo if x != r], fold)
    print('Single-rule effect (points, x100). removed = lines removed (FP = not in gold)')
    for r in names:
        row = [f'{r:18s}']
        for n in SETS:
            b = res[(n, None, 'BASE')]; s = res[(n, None, r)]
            f0 = res[(n, 0, r)]['F1'] - res[(n, 0, 'BASE')]['F1']; f1 = res[(n, 1, r)]['F1'] - res[(n, 1, 'BASE')]['F1']
            row.append(f"| {n[:5]} {fmt(s,b)} rm {s['removed']:3d}/{s['removed_fp']:3d}fp f0 {100*f0:+5.2f} f1 {100*f1:+5.2f}")
        print(' '.join(row))
    print('\nCombination:', ','.join(combo))
    for n in SETS:
        for fold in [None, 0, 1]:
            b = res[(n, fold, 'BASE')]; s = res[(n, fold, 'ALL')]
            print(f"  {n:6s} fold={fold}  base P {b['P']:.4f} R {b['R']:.4f} F1 {b['F1']:.4f} -> P {s['P']:.4f} R {s['R']:.4f} F1 {s['F1']:.4f} ({fmt(s,b)}) docs={b['n']}")
    print('\nLeave-one-out from combination (dF1 when the rule is REMOVED; negative = rule helps)')
    for r in combo:
        row = [f'{r:18s}']
        for n in SETS:
            a = res[(n, None, 'ALL')]; s = res[(n, None, '-' + r)]
            row.append(f"| {n[:5]} {fmt(s,a)}")
        print(' '.join(row))
