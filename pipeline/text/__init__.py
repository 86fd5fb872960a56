"""The small text toolkit every stage shares: line normalisation and words (lines.py),
sentences (sentences.py), written dates (dates.py), bylines (bylines.py), language."""
