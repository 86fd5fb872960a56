"""Leave-one-out ablation of the product cleaner's rules on extraction-dev (not product code).

Usage (from the repo root): .venv/bin/python docs/research/extraction/ablate.py [RULE ...]
Extraction runs once per page through pipeline.evaluation.extraction; each ablation re-cleans
with one rule of pipeline.clean.rules.RULES left out and prints the pipeline's P/R/F1.
"""
import sys
from pathlib import Path

from pipeline.clean import rules
from pipeline.evaluation import extraction
from pipeline.evaluation.metric import score

DATA = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "extraction-dev"


def main(names):
    runs = {}
    for name in ("naeb", "fundus"):
        pages = extraction.load_pages(DATA / name)
        runs[name] = [extraction._run_page(page) for page in pages]
    everything = dict(rules.RULES)
    for left_out in [None, *(names or everything)]:
        rules.RULES.clear()
        rules.RULES.update({k: v for k, v in everything.items() if k != left_out})
        line = []
        for name, page_runs in runs.items():
            bodies, _ = extraction._clean_all(page_runs, learn_sites=True)
            s = score(zip((r.page.text for r in page_runs), bodies))
            line.append(f"{name} P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}")
        print(f"{'all rules' if left_out is None else 'without ' + left_out:28}", " | ".join(line))


if __name__ == "__main__":
    main(sys.argv[1:])
