"""A wall-clock limit on one item's text work (extract, clean, fingerprint), so that one
pathological input (deeply nested HTML, megabytes of one line) is rejected as `timeout` and the
batch goes on.

Why a signal (SIGALRM via setitimer) and not a process per item: the text work needs the heavy
models and caches already loaded in this process (trafilatura, charset tables, word
frequencies, the dedupe doc cache). A forked or spawned worker per item would pay for them again
or copy-on-write them page by page, and every result (paragraphs, signatures, prepared docs)
would have to be pickled back; on the fuzz corpus that costs more than the work itself. The
signal interrupts Python code and the regex engine (which checks for signals) at no cost. What
it cannot interrupt is one long call into C that never returns to the interpreter; the inputs
are capped in size (NEWSDEDUP_MAX_INPUT_BYTES, gzip included) and lxml caps tree depth, so such
a call is bounded anyway.

Signals only reach the main thread. Elsewhere (a request in the api-server's thread pool, which
runs `explain`) a timer thread raises ItemTimeout in the working thread asynchronously instead;
that interrupts Python code only, not the regex engine or any other call into C. An outer
timer that is already armed (Airflow's execution_timeout uses SIGALRM too) is respected: when
it is due first it is left alone, otherwise it is re-armed with its remaining time afterwards
and its handler restored.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class ItemTimeout(BaseException):
    """The item's time is up. A BaseException, so that library code catching Exception (as
    trafilatura does around its fallbacks) cannot swallow it and carry on."""


def _can_use_signals() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ItemTimeout in the body after `seconds` of wall-clock time (0 or less: no limit)."""
    if seconds <= 0:
        yield
        return
    if not _can_use_signals():
        with _thread_time_limit(seconds):
            yield
        return
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_delay <= seconds:
        yield  # the outer timer ends this sooner than ours would: leave it in charge
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise ItemTimeout(f"no result within {seconds:g}s")

    started = time.monotonic()
    previous: Any = signal.signal(signal.SIGALRM, expired)
    # Fire again every second after the first time: should some code swallow even a
    # BaseException, the next one still ends the item.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        while True:  # the alarm may fire while we disarm it: disarm again, keep the result
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                break
            except ItemTimeout:
                continue
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:
            remaining = max(outer_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, remaining, outer_interval)


@contextmanager
def _thread_time_limit(seconds: float) -> Iterator[None]:
    """time_limit outside the main thread: a timer thread raises ItemTimeout in this one."""
    target = threading.get_ident()
    lock = threading.Lock()
    armed = [True]

    def expire() -> None:
        with lock:
            if armed[0]:
                _raise_in(target, ItemTimeout)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        while True:  # it may fire while we disarm it: disarm again, keep the result
            try:
                with lock:
                    armed[0] = False
                    _raise_in(target, None)  # one raised but not yet delivered: withdrawn
                break
            except ItemTimeout:
                continue


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in the thread at its next bytecode (None: withdraw a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None
    )
