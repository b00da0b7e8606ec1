"""Soak test (``-m slow``): queue and cancel 500 jobs; no thread leak, bounded memory growth.

Run with ``QT_QPA_PLATFORM=offscreen .venv/bin/pytest -m slow tests/test_soak.py``.
"""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np
import pytest

from texpaint.jobs import Job
from texpaint.ui.worker import InferenceEngine

pytestmark = [pytest.mark.slow, pytest.mark.gui]

ROUNDS, JOBS_PER_ROUND = 50, 10  # 500 jobs
SIZE = 96


def _job(rng: np.random.Generator, model: str) -> Job:
    img = rng.random((SIZE, SIZE, 3), dtype=np.float32)
    mask = np.zeros((SIZE, SIZE), np.float32)
    mask[24:56, 30:70] = 1
    return Job(op="inpaint", image=img, mask=mask, model_id=model)


def _qthread_count() -> int:
    from conftest import _running_qthreads  # tests/ is on sys.path (rootdir conftest)

    return len(_running_qthreads())


def test_queue_and_cancel_500_jobs(qtbot, tiny_inpaint_model):
    rng = np.random.default_rng(0)
    engine = InferenceEngine(device="cpu", warm_up=False)
    ended: list[int] = []
    finished: list[int] = []
    engine.jobCancelled.connect(ended.append)
    engine.jobFailed.connect(lambda i, m: ended.append(i))
    engine.jobFinished.connect(lambda r: (ended.append(r.job_id), finished.append(r.job_id)))
    try:
        with qtbot.waitSignal(engine.deviceReady, timeout=60000):
            engine.warm_up()
        # one round first so torch, the model and allocator caches are warm before measuring
        threads0 = threading.active_count()
        tracemalloc.start(10)
        baseline = None
        for r in range(ROUNDS):
            ids = [engine.submit(_job(rng, tiny_inpaint_model)) for _ in range(JOBS_PER_ROUND)]
            if r % 2:
                engine.cancel(ids[-1])  # cancel one queued job, let the others run / cancel
            engine.cancel()
            qtbot.waitUntil(lambda ids=ids: set(ids) <= set(ended), timeout=60000)
            assert not engine.is_busy()
            if r == 4:
                gc.collect()
                baseline = tracemalloc.take_snapshot()
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()

        assert len(ended) == ROUNDS * JOBS_PER_ROUND == 500
        assert len(set(ended)) == 500, "every job ends exactly once"
        assert threading.active_count() <= threads0, "no Python threads leaked"
        assert _qthread_count() == 1, "only the engine's worker thread runs"
        growth = sum(s.size_diff for s in after.compare_to(baseline, "filename"))
        # 450 jobs after the baseline, each holding 2 x 96 x 96 x 4 floats: 150 KB; a leak of
        # one job's arrays per job would be ~70 MB. Allow 8 MB of caches and interning.
        assert growth < 8 * 1024 * 1024, f"Python heap grew {growth / 1e6:.1f} MB"
    finally:
        assert engine.shutdown(20000)
    assert _qthread_count() == 0
