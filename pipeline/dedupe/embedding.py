"""A text's meaning as one small vector: the same-story model's semantic signal, and the key
that finds same-story candidates the LSH schemes cannot (a text in another language, or the
same event told in other words).

The model is wordllama's 256-dimension static embedding (token embeddings averaged), whose
weights ship inside its PyPI wheel: nothing is downloaded at run time (../shared/notes, models.md).
A static model is weaker than a transformer but embeds ~1,200 news texts a second on one core,
which a pipeline that embeds every article can afford; a transformer would cost more than the
rest of dedupe together.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

# Names the model and its dimensions: stored with every vector, so that vectors of another
# model are never compared with these (like the MinHash scheme keys).
EMBEDDING_MODEL = "wordllama-l2_supercat-256"
DIMENSIONS = 256


@cache
def _model() -> Any:
    # One text at a time, in processes of their own: the tokenizer's thread pool would only
    # compete with the ingest workers (and it warns after a fork).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import wordllama

    # The default load() looks for a tokenizer folder that the wheel does not have and then
    # tries to download it; the wheel's own folder has the layout load() expects of its cache.
    return wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, one row per text): the cosine of two is their dot product. An
    empty text gets the zero vector, which is close to nothing."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_model().embed(texts, norm=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return unit


def embed_one(text: str) -> np.ndarray:
    vector: np.ndarray = embed([text])[0]
    return vector


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two unit vectors; 0 when either is missing (a Doc prepared without one)."""
    if not len(a) or not len(b):
        return 0.0
    return float(np.dot(a.astype(np.float32), b.astype(np.float32)))
