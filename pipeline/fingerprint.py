"""Tokens, word rarity, MinHash signatures (datasketch) and the LSH band keys stored in Postgres.

Two signatures per article, one per dedupe question:
- `words`: word n-gram shingles. Copies of one text (syndicated wire copy, republished pages)
  share long runs of words, so their shingle sets overlap strongly.
- `terms`: the set of rare words (names, places, unusual nouns). Rewrites of one report and
  independent coverage of one event share few word runs but many rare words, so they are found
  here and told apart by the verification in pipeline/dedupe.py.
LSH only proposes candidates; nothing is decided on a signature alone.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from datasketch import MinHash
from wordfreq import get_frequency_dict, zipf_frequency

from pipeline.config import FingerprintSettings

# Words with inner apostrophes stay one token ("don't"); "_" and punctuation split.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

# A word unknown to the frequency lists gets the highest weight: it is a name or a rare term.
MAX_WEIGHT = 7.0
# Languages consulted when a word is unknown in English, so that the function words of other
# languages do not count as rare. (zh/ja would need extra tokenizers; they fall back to 7.)
_OTHER_LANGUAGES = ("es", "fr", "de", "it", "pt", "nl", "ru", "ar", "hi", "tr", "pl")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_QUOTES)


def tokens(text: str) -> list[str]:
    """Lower-cased words; a possessive 's is dropped. Other inner apostrophes stay: wordfreq
    knows "don't" (zipf 6.2) but not "dont" (4.7), and a contraction weighed as a rare word
    would put most English articles into the same rare-word LSH buckets."""
    return [t[:-2] if t.endswith("'s") else t for t in _TOKEN.findall(normalise(text).casefold())]


@lru_cache(maxsize=500_000)
def weight(token: str) -> float:
    """Rarity weight clip(7 - zipf, 0, 7): 'the' 0, 'said' ~0.6, 'russia' ~2, 'hmeimim' 7.

    Zipf is log10 of frequency per billion words in wordfreq's general corpora, so the weight is
    a corpus-independent IDF: a newcomer is weighed the same whatever the database holds.
    """
    zipf = _zipf(token, "en")
    if zipf == 0.0:
        zipf = max(_zipf(token, lang) for lang in _OTHER_LANGUAGES)
    return max(0.0, min(MAX_WEIGHT, MAX_WEIGHT - zipf))


def _plain(token: str) -> bool:
    return token.isascii() and token.isalpha()


def _list_of(lang: str) -> str:
    """English words are weighed with wordfreq's full list. The other languages are there so
    that their common words do not count as rare, which their "small" lists (zipf >= ~3) tell
    as well: the full lists of eleven languages hold 4 M words and cost every process ~470 MB."""
    return "best" if lang == "en" else "small"


@cache
def _wordlist(lang: str) -> dict[str, float]:
    words: dict[str, float] = get_frequency_dict(lang, _list_of(lang))
    return words


def _zipf(token: str, lang: str) -> float:
    """zipf_frequency(token, lang), with a shortcut for the common expensive case: a plain ASCII
    word missing from the language's list (a name) is 0.0, which zipf_frequency finds only after
    running the language's tokenizer; names cost 12 such calls each. A plain lower-case ASCII
    word is its own single token in every language consulted (tests/test_bench_equivalence.py
    checks the shortcut against zipf_frequency)."""
    if _plain(token) and token not in _wordlist(lang):
        return 0.0
    return zipf_frequency(token, lang, wordlist=_list_of(lang))


def word_shingles(text: str, size: int) -> set[bytes]:
    return _shingles(tokens(text), size)


def _shingles(words: list[str], size: int) -> set[bytes]:
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def rare_terms(text: str, min_weight: float) -> set[bytes]:
    """Words at least as rare as min_weight, numbers excluded (they recur across unrelated news)."""
    return _rare(tokens(text), min_weight)


def _rare(words: list[str], min_weight: float) -> set[bytes]:
    return {w.encode() for w in set(words) if not w.isdigit() and weight(w) >= min_weight}


@dataclass(frozen=True)
class Scheme:
    """One kind of signature and how its LSH bands are cut."""

    name: str
    num_perm: int
    bands: int
    rows: int

    def key(self, settings: FingerprintSettings) -> str:
        detail = f"{settings.shingle_size}" if self.name == "words" else f"{settings.rare_weight}"
        return f"{self.name}{detail}:{self.num_perm}:{settings.seed}:{self.bands}x{self.rows}"


def schemes(settings: FingerprintSettings) -> tuple[Scheme, Scheme]:
    """Bands x rows set where each scheme's S-curve rises: copies have 3-gram Jaccard >= ~0.3,
    same-story pairs rare-word Jaccard down to ~0.05 (see README, Deduplication)."""
    return (
        Scheme("words", settings.num_perm, settings.words_bands, settings.words_rows),
        Scheme("terms", settings.terms_num_perm, settings.terms_bands, settings.terms_rows),
    )


@dataclass(frozen=True)
class Fingerprint:
    scheme: str
    hashvalues: np.ndarray  # uint64 values below 2**32, as datasketch makes them
    band_keys: tuple[int, ...]

    def signature_bytes(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()


def minhash_datasketch(features: set[bytes], num_perm: int, seed: int) -> np.ndarray:
    """The reference: datasketch's MinHash (default scheme, SHA-1 32-bit hash) of a set."""
    sketch = MinHash(num_perm=num_perm, seed=seed)
    if features:
        sketch.update_batch(sorted(features))
    values: np.ndarray = sketch.hashvalues
    return values


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters for (num_perm, seed), taken from a MinHash so that
    they follow whatever scheme the installed datasketch defaults to."""
    sketch = MinHash(num_perm=num_perm, seed=seed)
    if sketch.scheme != "affine32":  # the arithmetic in minhash() is that scheme's
        raise RuntimeError(f"datasketch default MinHash scheme {sketch.scheme!r} is not affine32")
    a, b = sketch.permutations
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


_EMPTY = np.uint32(0xFFFFFFFF)


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before its affine permutations."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    result: np.ndarray = hv ^ (hv >> np.uint32(16))
    return result


def minhash(features: set[bytes], num_perm: int, seed: int) -> np.ndarray:
    """The same hash values as minhash_datasketch (tests/test_bench_equivalence.py), ~2x faster.

    datasketch spends most of an update in Python per feature (hashfunc call, list, array
    conversion) and sorting; here SHA-1 digests are joined into one buffer and every
    permutation is applied to every feature in one uint32 numpy expression (wrapping
    multiply-add, exactly datasketch's affine32 arithmetic).
    """
    if not features:
        return np.full(num_perm, _EMPTY, dtype=np.uint32)
    sha1 = hashlib.sha1
    hv = np.frombuffer(b"".join([sha1(f).digest()[:4] for f in features]), dtype="<u4")
    a, b = _permutations(num_perm, seed)
    permuted = np.multiply.outer(_fmix32(hv.astype(np.uint32)), a)
    permuted += b
    values: np.ndarray = permuted.min(axis=0)
    return values


def band_keys(hashvalues: np.ndarray, bands: int, rows: int) -> tuple[int, ...]:
    """One signed 64-bit bucket key per band (fits Postgres bigint)."""
    data = hashvalues[: bands * rows].astype("<u4").tobytes()  # one conversion, then slices
    width = 4 * rows
    blake2b = hashlib.blake2b
    return tuple(
        int.from_bytes(blake2b(data[i : i + width], digest_size=8).digest(), "little", signed=True)
        for i in range(0, bands * width, width)
    )


def fingerprint(text: str, settings: FingerprintSettings) -> list[Fingerprint]:
    """The signatures of a text. A text without features (no rare word) gets no band keys for
    that scheme: an empty set would share its bucket with every other empty set."""
    words_scheme, terms_scheme = schemes(settings)
    words = tokens(text)  # once for both schemes
    result = []
    for scheme, features in (
        (words_scheme, _shingles(words, settings.shingle_size)),
        (terms_scheme, _rare(words, settings.rare_weight)),
    ):
        values = minhash(features, scheme.num_perm, settings.seed)
        keys = band_keys(values, scheme.bands, scheme.rows) if features else ()
        result.append(Fingerprint(scheme.key(settings), values, keys))
    return result


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint64)
