"""Near-duplicate and same-story detection: MinHash fingerprints and LSH keys (fingerprint.py),
which candidates to verify (candidates.py), the cheap screen (screen.py), verification and the
decision (verify.py), placing a batch (place.py), and the tools around it (explain, reindex)."""
