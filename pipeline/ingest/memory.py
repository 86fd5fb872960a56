"""Handing freed memory back to the system between batches.

A long ingest frees as much as it allocates (batches, their pickled results, transient arrays
of the candidate index's merges), yet glibc's malloc keeps freed heap pages, and its
adaptive mmap threshold moves large buffers into that heap once one has been freed: the
processes' resident memory then grew with the corpus while the live Python objects did not
(tracemalloc flat over 1,000 -> 5,000 articles, RSS +300 MB; BENCHMARKS.md, issue 21).
malloc_trim returns the free pages; elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") else None


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim; about a millisecond)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
