"""Produce all figures: seeds table, same-story dev P/R/F1, synthetic dup P/R. Usage: python evaluate.py"""
from __future__ import annotations
import itertools, json, sys, time
sys.path.insert(0, "/tmp/dedupe-study")
import verify as V

def seeds() -> None:
    T = {i: V.prepare(open(f"/tmp/dedupe-study/seeds_clean/00{i}.txt").read()) for i in range(5)}
    print("SEEDS pair    c3    wc1   wcos  sal   sal_all n_al ratio -> class")
    for i, j in itertools.combinations(range(5), 2):
        s = V.compare(T[i], T[j])
        print(f"  {i:03d}-{j:03d} " + " ".join(f"{s[k]:.3f}" for k in ("c3", "wc1", "wcos", "sal", "sal_all", "n_al", "len_ratio")) + f" -> {V.classify(s)}")

def semeval() -> list[dict]:
    rows = []
    for line in open("/work/shared/datasets/same-story-dev/pairs.jsonl"):
        p = json.loads(line)
        s = V.compare(p["text1"], p["text2"]); s["overall"] = p["overall"]; s["id"] = p["pair_id"]
        s["cls"] = V.classify(s); rows.append(s)
    lab = [r for r in rows if r["overall"] <= 1.5 or r["overall"] >= 2.5]
    pos = lambda r: r["cls"] != "different"
    tp = sum(1 for r in lab if r["overall"] <= 1.5 and pos(r)); fp = sum(1 for r in lab if r["overall"] >= 2.5 and pos(r))
    fn = sum(1 for r in lab if r["overall"] <= 1.5 and not pos(r))
    P, R = tp / (tp + fp), tp / (tp + fn)
    print(f"SEMEVAL same-story: n={len(lab)} tp={tp} fp={fp} fn={fn} P={P:.3f} R={R:.3f} F1={2*P*R/(P+R):.3f}")
    print("  different (>=2.5) called duplicate:", [(r["id"], round(r["overall"], 2)) for r in lab if r["overall"] >= 2.5 and r["cls"] == "duplicate"])
    print("  same (<=1.5) called duplicate:", sum(1 for r in lab if r["overall"] <= 1.5 and r["cls"] == "duplicate"),
          "| ambiguous called duplicate:", sum(1 for r in rows if 1.5 < r["overall"] < 2.5 and r["cls"] == "duplicate"))
    return rows

def synth() -> list[dict]:
    docs = json.load(open("/tmp/dedupe-study/synth_docs.json")); pairs = json.load(open("/tmp/dedupe-study/synth_pairs.json"))
    prep = {k: V.prepare(v) for k, v in docs.items()}
    out = []
    for a, b, l in pairs:
        s = V.compare(prep[a], prep[b]); s["label"] = l; s["a"] = a; s["b"] = b; s["cls"] = V.classify(s); out.append(s)
    tp = sum(1 for r in out if r["label"] == "dup" and r["cls"] == "duplicate")
    fp = sum(1 for r in out if r["label"] == "neg" and r["cls"] == "duplicate")
    fn = sum(1 for r in out if r["label"] == "dup" and r["cls"] != "duplicate")
    print(f"SYNTH dup: pos={tp+fn} neg={len(out)-tp-fn} tp={tp} fp={fp} fn={fn} P={tp/max(1,tp+fp):.4f} R={tp/(tp+fn):.4f}")
    print("  negatives called same_story:", sum(1 for r in out if r["label"] == "neg" and r["cls"] == "same_story"))
    return out

if __name__ == "__main__":
    t = time.time(); seeds(); rows = semeval(); print(f"  ({time.time()-t:.1f}s)")
    if "--nosynth" not in sys.argv:
        t = time.time(); out = synth(); print(f"  ({time.time()-t:.1f}s)")
        json.dump(out, open("/tmp/dedupe-study/synth_scores.json", "w"))
    json.dump(rows, open("/tmp/dedupe-study/semeval_scores.json", "w"))
