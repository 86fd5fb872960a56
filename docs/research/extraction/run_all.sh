#!/bin/sh
# Reproduce all figures. ~1 min. Outputs: cache/*.json, results_rules.txt, results_variants.txt, results_meta.txt
set -e
cd /tmp/extract-study
venv/bin/python extract_cache.py
venv/bin/python -c "import cleaner; print(','.join(cleaner.DEFAULT_RULES))" > final_rules.txt
venv/bin/python eval_rules.py "$(cat final_rules.txt)" > results_rules.txt
venv/bin/python eval_variants.py "$(cat final_rules.txt)" > results_variants.txt
venv/bin/python eval_meta.py > results_meta.txt
