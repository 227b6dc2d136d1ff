"""JobRunner with real worker processes: runs, caches on disk, survives a worker's death."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedding_projector.errors import NotFound
from embedding_projector.jobs.runner import JobRunner


def wait(runner: JobRunner, job_id: str, timeout: float = 60) -> str:
    """Block until the job leaves queued/running (woken by the runner's listener call)."""
    finished = threading.Event()

    def listener(status, _snapshot) -> None:
        if status.status not in ("queued", "running"):
            finished.set()

    if runner.subscribe(job_id, listener).status in ("queued", "running"):
        assert finished.wait(timeout), runner.status(job_id)
    runner.unsubscribe(job_id, listener)
    return runner.status(job_id).status


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[JobRunner]:
    r = JobRunner(tmp_path / "results", workers=1, warm_up=False)
    r.start()
    yield r
    r.stop()


@pytest.fixture
def vectors_file(tmp_path: Path) -> Path:
    path = tmp_path / "v.npy"
    np.save(path, np.random.default_rng(1).normal(size=(300, 8)).astype(np.float32))
    return path


def test_runs_pca_and_caches_on_disk(runner: JobRunner, vectors_file: Path, tmp_path: Path) -> None:
    status = runner.submit("d", "fp", vectors_file, "pca", {"components": 4}, None).status
    assert wait(runner, status.id) == "done"
    path, shape = runner.coords_path(status.id)
    assert shape == [300, 4] and path.stat().st_size == 300 * 4 * 4
    other = JobRunner(tmp_path / "results", workers=1, warm_up=False)  # no workers started: served from disk
    again = other.submit("d", "fp", vectors_file, "pca", {"components": 4}, None).status
    assert again.status == "done" and again.id == status.id


def test_different_inputs_get_different_keys(runner: JobRunner, vectors_file: Path) -> None:
    a = runner.submit("d", "fp", vectors_file, "pca", {"components": 4}, None).status
    b = runner.submit("d", "fp", vectors_file, "pca", {"components": 4}, [0, 1, 2]).status
    c = runner.submit("d", "fp2", vectors_file, "pca", {"components": 4}, None).status
    assert len({a.id, b.id, c.id}) == 3


def test_dead_worker_fails_its_job_and_is_replaced(runner: JobRunner, vectors_file: Path) -> None:
    before = runner.worker_pids()
    os.kill(before[0], signal.SIGKILL)
    status = runner.submit("d", "fp", vectors_file, "pca", {"components": 2}, None).status
    assert wait(runner, status.id) == "done"


def test_snapshots_are_served_while_running_and_dropped_at_the_end(runner: JobRunner, tmp_path: Path) -> None:
    path = tmp_path / "c.npy"
    np.save(path, np.random.default_rng(2).normal(size=(200, 8)).astype(np.float32))
    seen: list[tuple[int, list[int], int]] = []

    def listener(status, snapshot) -> None:
        if snapshot is not None:  # called under the runner's lock, so this is the same snapshot
            data, shape, seq = runner.snapshot(status.id)
            seen.append((len(data), shape, seq))

    params = {"perplexity": 10, "iterations": 1000, "seed": 0}
    status = runner.submit("d", "fp", path, "tsne", params, None).status
    runner.subscribe(status.id, listener)
    assert wait(runner, status.id) == "done"
    assert seen and all(size == 200 * 2 * 4 and shape == [200, 2] for size, shape, _ in seen)
    assert [seq for *_, seq in seen] == sorted({seq for *_, seq in seen})
    with pytest.raises(NotFound):
        runner.snapshot(status.id)
