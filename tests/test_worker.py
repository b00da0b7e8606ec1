"""The inference worker thread: jobs run off the GUI thread, in order, and cancel cleanly."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.jobs import Job
from texpaint.ui.worker import InferenceEngine

pytestmark = pytest.mark.gui


@pytest.fixture
def engine(qtbot):
    eng = InferenceEngine(device="cpu", warm_up=False)
    yield eng
    assert eng.shutdown(10000)


def _job(size=128, hole=True, model="test-ffc-tiny"):
    rng = np.random.default_rng(0)
    img = rng.random((size, size, 3), dtype=np.float32)
    mask = np.zeros((size, size), np.float32)
    if hole:
        mask[size // 4 : size // 2, size // 4 : size // 2] = 1
    return Job(op="inpaint", image=img, mask=mask, model_id=model)


def test_job_runs_in_worker_thread_and_reports(qtbot, engine, tiny_inpaint_model):
    with qtbot.waitSignal(engine.deviceReady, timeout=30000) as dev:
        engine.warm_up()
    assert "CPU" in dev.args[0]
    job = _job()
    progress, results = [], []
    engine.jobProgress.connect(lambda i, f, m: progress.append(f))
    engine.jobFinished.connect(results.append)
    with qtbot.waitSignals([engine.jobStarted, engine.jobFinished], order="strict", timeout=60000):
        engine.submit(job)
    (result,) = results
    assert result.job_id == job.job_id
    assert np.array_equal(result.image[job.mask == 0], job.image[job.mask == 0])
    assert progress and progress[-1] == 1.0
    assert not engine.is_busy()


def test_failure_is_reported_not_raised(qtbot, engine, tiny_inpaint_model):
    job = _job(hole=False)
    with qtbot.waitSignal(engine.jobFailed, timeout=60000) as blocker:
        engine.submit(job)
    assert blocker.args[0] == job.job_id and "mask is empty" in blocker.args[1]


def test_cancel_all_skips_queued_jobs_and_stops_running_one(qtbot, engine, tiny_inpaint_model):
    jobs = [_job(256), _job(), _job()]
    cancelled, finished = [], []
    engine.jobCancelled.connect(cancelled.append)
    engine.jobFinished.connect(finished.append)
    with qtbot.waitSignal(engine.jobStarted, timeout=30000):
        for j in jobs:
            engine.submit(j)
    engine.cancel()
    qtbot.waitUntil(lambda: len(cancelled) == 3, timeout=60000)
    assert sorted(cancelled) == sorted(j.job_id for j in jobs)
    assert finished == []
    assert not engine.is_busy()


def test_cancel_one_job_leaves_the_next(qtbot, engine, tiny_inpaint_model):
    a, b = _job(), _job()
    engine.submit(a)
    engine.submit(b)
    engine.cancel(a.job_id)
    with qtbot.waitSignal(engine.jobFinished, timeout=60000) as blocker:
        pass
    assert blocker.args[0].job_id == b.job_id
