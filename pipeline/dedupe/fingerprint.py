"""Word rarity, MinHash signatures (datasketch) and the LSH band keys stored in Postgres.

Two signatures per article, one per dedupe question:
- `words`: word n-gram shingles. Copies of one text (syndicated wire copy, republished pages)
  share long runs of words, so their shingle sets overlap strongly.
- `terms`: the set of rare words (names, places, unusual nouns). Rewrites of one report and
  independent coverage of one event share few word runs but many rare words, so they are found
  here and told apart by the verification in pipeline/dedupe/verify.py.
LSH only proposes candidates; nothing is decided on a signature alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from wordfreq import get_frequency_dict, zipf_frequency

from pipeline.config import FingerprintSettings
from pipeline.text.sentences import content_sentences, is_boilerplate
from pipeline.text.words import tokens

# Press-release distribution services stamp every release they carry ("NEW YORK, Jan. 1, 2020
# /PRNewswire/ --"). Thousands of unrelated releases a day share the tag, and wordfreq rates it
# a rare word, so it made unrelated releases look like one story (and filled one LSH bucket
# with all of them). It says who distributed a text, not what the text reports. News agencies
# (Reuters, AP) are not here: their copies of one report are the duplicates dedupe is for.
DISTRIBUTION_TAGS = frozenset(
    {"prnewswire", "newswire", "globenewswire", "businesswire", "accesswire", "presswire"}
)
# A word unknown to the frequency lists gets the highest weight: it is a name or a rare term.
MAX_WEIGHT = 7.0
# Languages consulted when a word is unknown in English, so that the function words of other
# languages do not count as rare. (zh/ja would need extra tokenizers; they fall back to 7.)
_OTHER_LANGUAGES = ("es", "fr", "de", "it", "pt", "nl", "ru", "ar", "hi", "tr", "pl")


@lru_cache(maxsize=250_000)
def weight(token: str) -> float:
    """Rarity weight clip(7 - zipf, 0, 7): 'the' 0, 'said' ~0.6, 'russia' ~2, 'hmeimim' 7.

    Zipf is log10 of frequency per billion words in wordfreq's general corpora, so the weight is
    a corpus-independent IDF: a newcomer is weighed the same whatever the database holds.
    English first; a word unknown in English takes its highest zipf in the other languages.
    A press-release distribution tag weighs nothing (see DISTRIBUTION_TAGS).
    """
    if token in DISTRIBUTION_TAGS:
        return 0.0
    if _plain(token):  # most words, and every name: two lookups
        english, others = _plain_zipf()
        zipf = english.get(token) or others.get(token, 0.0)
    else:
        zipf = _zipf(token, "en") or max(_zipf(token, lang) for lang in _OTHER_LANGUAGES)
    return max(0.0, min(MAX_WEIGHT, MAX_WEIGHT - zipf))


def _plain(token: str) -> bool:
    return token.isascii() and token.isalpha()


def _list_of(lang: str) -> str:
    """English words are weighed with wordfreq's full list. The other languages are there so
    that their common words do not count as rare, which their "small" lists (zipf >= ~3) tell
    as well, while their full lists would cost every process several hundred MB of memory."""
    return "best" if lang == "en" else "small"


@cache
def _wordlist(lang: str) -> dict[str, float]:
    words: dict[str, float] = get_frequency_dict(lang, _list_of(lang))
    return words


def _zipf(token: str, lang: str) -> float:
    return float(zipf_frequency(token, lang, wordlist=_list_of(lang)))


@cache
def _plain_zipf() -> tuple[dict[str, float], dict[str, float]]:
    """zipf_frequency of plain ASCII words, from the lists themselves: English, and the highest
    of the other languages. zipf_frequency finds a name's 0.0 only after running each language's
    tokenizer (~80 us a name); a plain lower-case word is its own single token in every language
    consulted, so its value is the list's frequency, rounded as wordfreq rounds it (3 significant
    digits, zipf to 2 decimals). tests/dedupe/test_bench_equivalence.py checks it against
    wordfreq."""
    return _plain_table(("en",)), _plain_table(_OTHER_LANGUAGES)


def _plain_table(languages: Sequence[str]) -> dict[str, float]:
    table: dict[str, float] = {}
    for lang in languages:
        for word, frequency in _wordlist(lang).items():
            if _plain(word):
                digits = math.floor(-math.log10(frequency)) + 3
                zipf = round(math.log10(round(frequency, digits)) + 9, 2)
                if zipf > table.get(word, 0.0):
                    table[word] = zipf
    return table


def word_shingles(text: str, size: int) -> set[tuple[str, ...]]:
    """The words scheme's features: word n-grams (one feature of all words if fewer)."""
    words = tokens(text)
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def rare_terms(text: str, min_weight: float) -> set[tuple[str, ...]]:
    """The terms scheme's features: words at least as rare as min_weight, numbers excluded (they
    recur across unrelated news), outside the sentences dedupe ignores
    (pipeline/text/sentences.py)."""
    content = tokens("\n".join(content_sentences(text)))
    return {(w,) for w in _rare(word_weights(content), min_weight)}


def word_weights(words: Iterable[str]) -> dict[str, float]:
    """The weight of each distinct word, in the order of first appearance."""
    return {w: weight(w) for w in words}


def _rare(weighed: Mapping[str, float], min_weight: float) -> list[str]:
    return [w for w, x in weighed.items() if x >= min_weight and not w.isdigit()]


# Feature hashing. Every feature is a tuple of words; its 32-bit hash is built from 64-bit hashes
# of its words, so that each distinct word is hashed once per process and the n-grams of a text
# are hashed in one numpy expression. datasketch's default hashes every n-gram's bytes with
# SHA-1, one Python call each, which is most of its time; feature_hash is the same function for
# datasketch (its `hashfunc`), so MinHash(hashfunc=feature_hash) is the reference these
# signatures are tested against (tests/dedupe/test_bench_equivalence.py).
FEATURE_HASHING = "fh3"  # names this tokenization and these hash functions in scheme keys
_MASK64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # odd: multiplying by it permutes the 64-bit integers
_WORD_HASHES: dict[str, int] = {}
# Distinct words remembered per process (names keep coming): ~140 B each, like weight()'s cache.
_WORD_HASHES_MAX = 250_000


def word_hash(word: str) -> int:
    found = _WORD_HASHES.get(word)
    if found is None:
        found = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        _WORD_HASHES[word] = found
    return found


def word_hashes(words: list[str]) -> list[int]:
    if len(_WORD_HASHES) >= _WORD_HASHES_MAX:  # forget before filling, never in between
        _WORD_HASHES.clear()
    found = list(map(_WORD_HASHES.get, words))  # map over dict.get: no Python call per word
    if None in found:
        for word in {w for w, h in zip(words, found, strict=True) if h is None}:
            word_hash(word)
        found = list(map(_WORD_HASHES.get, words))
    return found  # type: ignore[return-value]


def _fold(values: Iterable[int]) -> int:
    """Several 64-bit values folded into one: xor in, multiply, mix the high bits down. Feature
    hashes (of word hashes) and band keys (of a band's rows) are both made this way."""
    value = 0
    for part in values:
        value = ((value ^ part) * _MIX) & _MASK64
        value ^= value >> 29
    return value


def fold_columns(columns: Iterable[np.ndarray]) -> np.ndarray:
    """_fold of each row of the given uint64 columns, all rows at once."""
    value: np.ndarray | None = None
    for column in columns:
        value = column.copy() if value is None else value ^ column
        value *= np.uint64(_MIX)
        value ^= value >> np.uint64(29)
    assert value is not None, "nothing to fold"
    return value


def run_firsts(ordered: np.ndarray) -> np.ndarray:
    """True at the first of each run of equal values in a sorted array (np.unique is ~20x
    slower on these small arrays in numpy 2.x)."""
    return np.concatenate(([True], ordered[1:] != ordered[:-1])) if len(ordered) else ordered


def feature_hash(feature: tuple[str, ...]) -> int:
    """The 32-bit hash of one feature, one word at a time (what _feature_hashes vectorises)."""
    return _fold(word_hash(word) for word in feature) >> 32


def _feature_hashes(words: list[str], size: int) -> np.ndarray:
    """feature_hash of every n-gram of words (duplicates included: MinHash takes minima)."""
    if not words:
        return np.empty(0, dtype=np.uint32)
    return ngram_hashes(np.array(word_hashes(words), dtype=np.uint64), size)


def ngram_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """feature_hash of every n-gram, from the words' hashes (word_hashes) in text order; fewer
    words than size make one feature of them all."""
    width = min(size, len(hashes))
    count = len(hashes) - width + 1
    value = fold_columns(hashes[offset : offset + count] for offset in range(width))
    result: np.ndarray = (value >> np.uint64(32)).astype(np.uint32)
    return result


@dataclass(frozen=True)
class Scheme:
    """One kind of signature and how its LSH bands are cut."""

    name: str
    num_perm: int
    bands: int
    rows: int

    def key(self, settings: FingerprintSettings) -> str:
        """Everything the stored signatures and buckets depend on: articles stored under another
        key are fingerprinted again by `newsdedup db reindex`."""
        detail = f"{settings.shingle_size}" if self.name == "words" else f"{settings.rare_weight}"
        return (
            f"{self.name}{detail}:{FEATURE_HASHING}:{self.num_perm}:{settings.seed}:"
            f"{self.bands}x{self.rows}"
        )


def schemes(settings: FingerprintSettings) -> tuple[Scheme, Scheme]:
    """Bands x rows set where each scheme's S-curve rises: copies have 3-gram Jaccard >= ~0.3,
    same-story pairs rare-word Jaccard down to ~0.05 (see README, Deduplication)."""
    return (
        Scheme("words", settings.num_perm, settings.words_bands, settings.words_rows),
        Scheme("terms", settings.terms_num_perm, settings.terms_bands, settings.terms_rows),
    )


def scheme_keys(settings: FingerprintSettings) -> list[str]:
    return [scheme.key(settings) for scheme in schemes(settings)]


@dataclass(frozen=True)
class Fingerprint:
    scheme: str
    hashvalues: np.ndarray  # uint64 values below 2**32, as datasketch makes them
    band_keys: tuple[int, ...]

    def signature_bytes(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters for (num_perm, seed), taken from a MinHash so that
    they follow whatever scheme the installed datasketch defaults to.

    Imported here, once per process: the package's import also loads its LSH and storage
    modules (scipy, redis, asyncio storage), ~80 MB and ~2 s, and a placing process that
    fingerprints nothing itself (its pool does) need not hold them."""
    from datasketch import MinHash

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


def minhash(hashed: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """datasketch's hash values from feature hashes: every permutation
    applied to every feature in one uint32 numpy expression (wrapping multiply-add, exactly
    datasketch's affine32 arithmetic)."""
    if not len(hashed):
        return np.full(num_perm, _EMPTY, dtype=np.uint32)
    a, b = _permutations(num_perm, seed)
    permuted = np.multiply.outer(_fmix32(hashed.astype(np.uint32)), a)
    permuted += b
    values: np.ndarray = permuted.min(axis=0)
    return values


def band_keys(hashvalues: np.ndarray, bands: int, rows: int) -> tuple[int, ...]:
    """One signed 64-bit bucket key per band: the band's rows folded like the words of a
    feature, for all bands at once."""
    return tuple(band_key_matrix(hashvalues[np.newaxis, :], bands, rows)[0].tolist())


def band_key_matrix(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """band_keys of each row of a (signatures x num_perm) matrix, as int64: how the stored
    candidate index is rebuilt from stored signatures without a Python call per article."""
    count = len(signatures)
    table = signatures[:, : bands * rows].astype(np.uint64).reshape(count, bands, rows)
    value = fold_columns(table[:, :, row] for row in range(rows))
    keys: np.ndarray = value.view(np.int64)
    return keys


def fingerprint(
    text: str, settings: FingerprintSettings, content_weights: Mapping[str, float] | None = None
) -> list[Fingerprint]:
    """The signatures of a text. A text without features (no rare word) gets no band keys for
    that scheme: an empty set would share its bucket with every other empty set.

    `content_weights`, the weight of each word of the text's content sentences, is what
    verify.prepare computes (Doc.weights): ingest passes it rather than have it found twice."""
    words_scheme, terms_scheme = schemes(settings)
    words = tokens(text)
    if content_weights is None:
        # Most texts hold no boilerplate sentence, and then their content is all their words.
        content = tokens("\n".join(content_sentences(text))) if is_boilerplate(text) else words
        content_weights = word_weights(content)
    rare = _rare(content_weights, settings.rare_weight)
    result = []
    for scheme, hashed in (
        (words_scheme, _feature_hashes(words, settings.shingle_size)),
        (terms_scheme, _feature_hashes(sorted(rare), 1)),  # each word its own feature
    ):
        values = minhash(hashed, scheme.num_perm, settings.seed)
        keys = band_keys(values, scheme.bands, scheme.rows) if len(hashed) else ()
        result.append(Fingerprint(scheme.key(settings), values, keys))
    return result
