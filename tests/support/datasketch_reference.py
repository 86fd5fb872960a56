"""The straightforward fingerprints the product's vectorised ones must equal: feature sets,
datasketch's own MinHash with feature_hash, one band at a time
(tests/dedupe/test_bench_equivalence.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from datasketch import MinHash

from pipeline.config import FingerprintSettings
from pipeline.dedupe.fingerprint import (
    Fingerprint,
    _fold,
    feature_hash,
    rare_terms,
    schemes,
    word_shingles,
)


def minhash_datasketch(features: set[tuple[str, ...]], num_perm: int, seed: int) -> np.ndarray:
    """The reference: datasketch's MinHash (its default affine32 scheme) over feature_hash."""
    sketch = MinHash(num_perm=num_perm, seed=seed, hashfunc=feature_hash)
    if features:
        sketch.update_batch(sorted(features))
    values: np.ndarray = sketch.hashvalues
    return values


def band_key(values: Sequence[int]) -> int:
    value = _fold(int(row) for row in values)
    return value - (1 << 64) if value >= 1 << 63 else value


def fingerprint_datasketch(text: str, settings: FingerprintSettings) -> list[Fingerprint]:
    """The straightforward path fingerprint() must equal: feature sets, datasketch's MinHash
    with feature_hash, one band at a time."""
    result = []
    for scheme, features in zip(
        schemes(settings),
        (word_shingles(text, settings.shingle_size), rare_terms(text, settings.rare_weight)),
        strict=True,
    ):
        values = minhash_datasketch(features, scheme.num_perm, settings.seed)
        rows = scheme.rows
        keys = tuple(
            band_key(values[band * rows : (band + 1) * rows].tolist())
            for band in range(scheme.bands)
        )
        result.append(Fingerprint(scheme.key(settings), values, keys if features else ()))
    return result
