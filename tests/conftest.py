"""Shared fixtures: deterministic RNGs and a guard against threads left running by a test."""

from __future__ import annotations

import gc
import random
import sys
import threading
import time

import numpy as np
import pytest

_SEED = 1234


@pytest.fixture(autouse=True)
def seeded_rngs() -> None:
    """Seed Python's, NumPy's and torch's global RNGs before every test."""
    random.seed(_SEED)
    np.random.seed(_SEED)
    try:
        import torch
    except ImportError:  # torch is a dependency, but the document tests do not need it
        return
    torch.manual_seed(_SEED)


def _running_qthreads() -> list[object]:
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is None:
        return []
    main = qtcore.QThread.currentThread() if qtcore.QCoreApplication.instance() else None
    qthread = qtcore.QThread
    found = []
    for obj in gc.get_objects():
        try:  # type() rather than isinstance(): no __class__ lookups on lazy module proxies
            if issubclass(type(obj), qthread) and obj is not main and obj.isRunning():
                found.append(obj)
        except RuntimeError:  # wrapper whose C++ object is already deleted
            continue
    return found


@pytest.fixture(autouse=True)
def no_threads_left_running(request: pytest.FixtureRequest):
    """Fail a test that leaves a Python thread or a QThread running when it ends.

    Threads get up to 3 s to finish after the test (an engine shutting down joins its
    worker); threads alive before the test started are ignored.
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leftover = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        qthreads = _running_qthreads() if "gui" in request.keywords else []
        if not leftover and not qthreads:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    names = [t.name for t in leftover] + [repr(q) for q in qthreads]
    pytest.fail(f"test left threads running: {names}")
