"""JobRunner with real worker processes: runs, caches on disk, survives a worker's death."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedding_projector.errors import Forbidden, NotFound, Unauthorized
from embedding_projector.jobs.fair_queue import FairQueue
from embedding_projector.jobs.runner import MAX_WARM_UP_HOLD, JobRunner


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


def small_vectors(tmp_path: Path, n: int = 120, name: str = "s.npy") -> Path:
    path = tmp_path / name
    np.save(path, np.random.default_rng(3).normal(size=(n, 8)).astype(np.float32))
    return path


def test_clients_take_turns_not_first_come(runner: JobRunner, tmp_path: Path) -> None:
    # Client A queues four t-SNE runs, then client B one PCA: B's runs right after A's first,
    # before A's second (one FIFO would make B wait for all four).
    path = small_vectors(tmp_path)
    started: list[str] = []

    def on_change(status, _snapshot) -> None:
        if status.status == "running" and status.id not in started:
            started.append(status.id)  # called under the runner's lock: the order is exact

    a_jobs = []
    for seed in range(4):
        sub = runner.submit("d", "fp", path, "tsne", {"perplexity": 10, "iterations": 250, "seed": seed},
                            None, client="A")
        runner.subscribe(sub.status.id, on_change)
        if sub.status.status == "running" and sub.status.id not in started:
            started.append(sub.status.id)
        a_jobs.append(sub.status.id)
    b = runner.submit("d", "fp", path, "pca", {"components": 2}, None, client="B").status
    runner.subscribe(b.id, on_change)
    expected = [a_jobs[0], b.id, *a_jobs[1:]]
    queued = sorted((s for s in map(runner.status, expected) if s.status == "queued"),
                    key=lambda s: s.queue_position)
    # Queue positions tell the same order, 1, 2, 3, ...
    assert [s.id for s in queued] == [j for j in expected if j in {s.id for s in queued}]
    assert [s.queue_position for s in queued] == list(range(1, len(queued) + 1))
    for job in expected:
        assert wait(runner, job, timeout=120) == "done"
    assert started == expected


def test_a_job_over_its_time_limit_is_stopped_and_its_worker_replaced(runner: JobRunner, tmp_path: Path) -> None:
    path = small_vectors(tmp_path, n=300)
    params = {"perplexity": 20, "iterations": 10000, "seed": 1}
    running = threading.Event()
    pids: list[int] = []

    def on_change(status, _snapshot) -> None:
        if status.status == "running" and status.worker:
            pids.append(status.worker)
            running.set()

    sub = runner.submit("d", "fp", path, "tsne", params, None, client="A", max_seconds=1.5)
    runner.subscribe(sub.status.id, on_change)
    if sub.status.status == "running":
        pids.append(sub.status.worker)
        running.set()
    assert wait(runner, sub.status.id, timeout=120) == "failed"
    final = runner.status(sub.status.id)
    print(final.error, final.elapsed)
    assert final.error == "stopped after the time limit of 1.5 s"
    assert 1.5 <= final.elapsed < 30
    assert running.is_set() and pids[0] not in runner.worker_pids()
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
    assert len(runner.worker_pids()) == 1
    # The replacement worker takes the next job; the stopped one runs again when asked again.
    nxt = runner.submit("d", "fp", path, "pca", {"components": 2}, None, client="B", max_seconds=60).status
    assert wait(runner, nxt.id) == "done"
    again = runner.submit("d", "fp", path, "tsne", params, None, client="A", max_seconds=1.5)
    assert again.created and again.status.status in ("queued", "running")
    runner.cancel(again.status.id)


def test_cancel_keys_and_a_shared_job(runner: JobRunner, tmp_path: Path) -> None:
    path = small_vectors(tmp_path, n=300)
    params = {"perplexity": 20, "iterations": 10000, "seed": 2}
    first = runner.submit("d", "fp", path, "tsne", params, None, client="A")
    second = runner.submit("d", "fp", path, "tsne", params, None, client="B")
    job = first.status.id
    assert first.created and not second.created and second.status.id == job
    assert first.cancel_key and second.cancel_key and first.cancel_key != second.cancel_key
    with pytest.raises(Unauthorized):
        runner.cancel(job, privileged=False)
    with pytest.raises(Forbidden):
        runner.cancel(job, cancel_key="not-a-key", privileged=False)
    # A cancels: B still wants it, so it runs on.
    assert runner.cancel(job, cancel_key=first.cancel_key, privileged=False).status in ("queued", "running")
    with pytest.raises(Forbidden):  # a key works once
        runner.cancel(job, cancel_key=first.cancel_key, privileged=False)
    assert runner.status(job).status in ("queued", "running")
    assert runner.cancel(job, cancel_key=second.cancel_key, privileged=False).status == "cancelled"
    assert runner.status(job).status == "cancelled"
    # The token holder cancels at once, whoever else shares the job.
    third = runner.submit("d", "fp", path, "tsne", params, None, client="A")
    runner.submit("d", "fp", path, "tsne", params, None, client="B")
    assert third.created
    assert runner.cancel(job, privileged=True).status == "cancelled"


def test_finished_jobs_leave_the_table_and_rows_stay_on_disk(runner: JobRunner, tmp_path: Path) -> None:
    path = small_vectors(tmp_path, n=300)
    rows = list(range(0, 300, 2))
    sub = runner.submit("d", "fp", path, "pca", {"components": 3}, rows)
    job = sub.status.id
    with runner._lock:  # while unfinished, the table holds the job but not its rows
        entry = runner._jobs.get(job)
        assert entry is None or "rows" not in entry.spec
    rows_file = runner.results_dir / f"{job}.rows"
    assert np.array_equal(np.fromfile(rows_file, dtype="<i8"), rows)
    assert wait(runner, job) == "done"
    assert runner.unfinished() == 0
    status = runner.status(job)  # read from its record on disk
    assert status.status == "done" and status.rows == 150 and status.shape == [150, 3]
    assert np.array_equal(runner.result_rows(job), rows)
    long = runner.submit("d", "fp", path, "tsne", {"perplexity": 20, "iterations": 10000}, None)
    assert runner.unfinished() == 1
    runner.cancel(long.status.id)
    assert runner.unfinished() == 0
    assert runner.status(long.status.id).status == "cancelled"  # its record is on disk too
    # A cancelled (or failed) job is not a cached result: the same request runs again.
    again = runner.submit("d", "fp", path, "tsne", {"perplexity": 20, "iterations": 10000}, None)
    assert again.created and runner.unfinished() == 1
    runner.cancel(again.status.id)


def test_jobs_left_unfinished_read_interrupted_after_a_restart(tmp_path: Path) -> None:
    path = small_vectors(tmp_path, n=300)
    params = {"perplexity": 20, "iterations": 10000}
    first = JobRunner(tmp_path / "results", workers=1, warm_up=False)
    job = first.submit("d", "fp", path, "tsne", params, None).status.id  # never started: like a crash
    assert first.status(job).status == "queued"
    second = JobRunner(tmp_path / "results", workers=1, warm_up=False)
    second.start()
    try:
        status = second.status(job)
        assert status.status == "failed" and status.error == "interrupted by a server restart"
        record = json.loads((tmp_path / "results" / f"{job}.json").read_bytes())
        assert record["status"] == "failed" and record["error"] == "interrupted by a server restart"
        again = second.submit("d", "fp", path, "pca", {"components": 2}, None)
        assert wait(second, again.status.id) == "done"
        rerun = second.submit("d", "fp", path, "tsne", params, None)
        assert rerun.created and rerun.status.id == job
        # stop() interrupts what is still unfinished, on disk, and tells its followers.
        ended = threading.Event()
        second.subscribe(job, lambda s, _: ended.set() if s.status == "failed" else None)
    finally:
        second.stop()
    assert ended.is_set()
    assert second.status(job).error == "interrupted by a server restart"


def test_fair_queue_serves_the_client_whose_last_turn_is_oldest() -> None:
    queue = FairQueue()
    queue.push("a1", "A")
    assert queue.pop() == "a1"  # A has had a turn
    for job in ("a2", "a3", "a4"):
        queue.push(job, "A")
    queue.push("b1", "B")
    queue.push("b2", "B")
    queue.push("c1", "C")
    expected = ["b1", "c1", "a2", "b2", "a3", "a4"]
    assert queue.order() == expected
    assert [queue.position(job) for job in expected] == [1, 2, 3, 4, 5, 6]
    assert queue.remove("c1") and not queue.remove("c1")
    assert [queue.pop() for _ in range(len(queue))] == ["b1", "a2", "b2", "a3", "a4"]
    assert queue.pop() is None


def test_workers_warm_up_one_at_a_time_and_jobs_avoid_the_warming_one(
    tmp_path: Path, vectors_file: Path, monkeypatch
) -> None:
    log = tmp_path / "warm.jsonl"
    monkeypatch.setenv("FAKE_WARM_LOG", str(log))
    r = JobRunner(tmp_path / "results", workers=2, warm_up_function="tests.fake_warmup:warm_up")
    r.start()
    try:
        def info() -> list[dict]:
            return r.workers_info()

        deadline = time.monotonic() + 30
        while not log.exists() and time.monotonic() < deadline:
            # While the first worker warms, a job goes to the other one.
            status = r.submit("d", "fp", vectors_file, "pca", {"components": 2 + len(info())}, None).status
            assert wait(r, status.id) == "done"
            warming = [w["pid"] for w in info() if w["warming"]]
            if warming:
                assert r.status(status.id).worker not in warming
            time.sleep(0.2)
        while len(log.read_text().splitlines()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        runs = [json.loads(line) for line in log.read_text().splitlines()]
        assert len(runs) == 2 and {w["pid"] for w in runs} == set(r.worker_pids())
        first, second = sorted(runs, key=lambda w: w["start"])
        assert second["start"] >= first["end"] - 0.05, "two workers warmed up at once"
        assert first["idle"] and second["idle"]  # SCHED_IDLE: the warm-up thread yields to any job
        # The log line is written just before the worker tells the runner it is warm.
        while not all(w["warm"] for w in info()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(w["warm"] for w in info())
        # A killed worker is replaced, and the fresh one warms up too.
        os.kill(r.worker_pids()[0], signal.SIGKILL)
        while len(log.read_text().splitlines()) < 3 and time.monotonic() < deadline + 15:
            time.sleep(0.1)
        assert len(log.read_text().splitlines()) == 3
    finally:
        r.stop()


def test_a_page_loading_holds_the_warm_up_back(tmp_path: Path, vectors_file: Path, monkeypatch) -> None:
    """hold_warm_up (the page route calls it): no warm-up starts until the hold ends, jobs still run
    meanwhile, and then the warm-up starts by itself; holds that keep coming stop at MAX_WARM_UP_HOLD."""
    log = tmp_path / "warm.jsonl"
    monkeypatch.setenv("FAKE_WARM_LOG", str(log))
    r = JobRunner(tmp_path / "results", workers=1, warm_up_function="tests.fake_warmup:warm_up")
    held_at = time.time()
    r.hold_warm_up(3.0)
    r.start()
    try:
        status = r.submit("d", "fp", vectors_file, "pca", {"components": 2}, None).status
        assert wait(r, status.id) == "done"  # a job is not held
        assert not log.exists() and not any(w["warming"] for w in r.workers_info())
        deadline = time.monotonic() + 30
        while not log.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        (run,) = [json.loads(line) for line in log.read_text().splitlines()]
        assert run["start"] >= held_at + 3.0 - 0.05, (run, held_at)
        assert run["start"] < held_at + 3.0 + 5.0, "the warm-up did not start once the hold ended"
    finally:
        r.stop()
    capped = JobRunner(tmp_path / "results2", workers=1, warm_up=False)
    capped.hold_warm_up(1.0)
    capped.hold_warm_up(10 * MAX_WARM_UP_HOLD)
    assert capped._warm_hold_until - time.monotonic() <= MAX_WARM_UP_HOLD
