"""MinHash signatures (datasketch) and the LSH band keys stored next to them in Postgres.

Two signatures per article, for the two questions dedupe asks:
- `words`: word n-gram shingles. Copies of one text (syndicated wire copy, republished pages)
  share long runs of words, so their shingle sets overlap strongly.
- `terms`: the set of content words (no stop words, no short words). Rewrites of one report and
  independent coverage of one event share few word runs but many names, places and numbers,
  so they are found here and told apart by the verification in pipeline/dedupe.py.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from pipeline.config import FingerprintSettings

_TOKEN = re.compile(r"\w+", re.UNICODE)

# A short, general English stop list: the words that carry no topic. Other languages fall back
# to the length filter in content_terms().
_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own said same says she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves one two three new year years told since according
    last first like may many much must per percent week weeks month months day days time
    however still well even back made make including
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def word_shingles(text: str, size: int) -> set[bytes]:
    words = tokens(text)
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def content_terms(text: str) -> set[bytes]:
    return {w.encode() for w in tokens(text) if len(w) > 2 and w not in STOP_WORDS}


@dataclass(frozen=True)
class Scheme:
    """One kind of signature and how its LSH bands are cut."""

    name: str
    bands: int
    rows: int

    def key(self, settings: FingerprintSettings) -> str:
        return f"{self.name}:{settings.num_perm}:{settings.seed}:{self.bands}x{self.rows}"


def schemes(settings: FingerprintSettings) -> tuple[Scheme, Scheme]:
    """The words scheme finds copies (Jaccard of shingles around 0.5 and up); the terms scheme
    must also find rewrites whose content-word Jaccard is about 0.2, hence short bands."""
    words_rows = 4
    terms_rows = 2
    return (
        Scheme("words", settings.num_perm // words_rows, words_rows),
        Scheme("terms", settings.num_perm // terms_rows, terms_rows),
    )


@dataclass(frozen=True)
class Fingerprint:
    scheme: str
    hashvalues: np.ndarray  # uint64 values below 2**32, as datasketch makes them
    band_keys: tuple[int, ...]

    def signature_bytes(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()


def minhash(features: set[bytes], settings: FingerprintSettings) -> np.ndarray:
    sketch = MinHash(num_perm=settings.num_perm, seed=settings.seed)
    if features:
        sketch.update_batch(list(features))
    values: np.ndarray = sketch.hashvalues
    return values


def band_keys(hashvalues: np.ndarray, bands: int, rows: int) -> tuple[int, ...]:
    """One signed 64-bit bucket key per band (fits Postgres bigint)."""
    keys = []
    for band in range(bands):
        chunk = hashvalues[band * rows : (band + 1) * rows].astype("<u4").tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)


def fingerprint(text: str, settings: FingerprintSettings) -> list[Fingerprint]:
    words_scheme, terms_scheme = schemes(settings)
    result = []
    for scheme, features in (
        (words_scheme, word_shingles(text, settings.shingle_size)),
        (terms_scheme, content_terms(text)),
    ):
        values = minhash(features, settings)
        result.append(
            Fingerprint(scheme.key(settings), values, band_keys(values, scheme.bands, scheme.rows))
        )
    return result


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint64)
