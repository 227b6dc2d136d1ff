"""JobRunner: owns the worker processes, the job table and the on-disk result cache."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import numpy as np

from embedding_projector import __version__
from embedding_projector.errors import Conflict, NotFound
from embedding_projector.jobs.worker import result_paths, worker_main
from embedding_projector.schemas import JobStatus

log = logging.getLogger(__name__)

# Bump when a projection's output changes for the same inputs, so old cached results are not reused.
RESULT_FORMAT = 1

Listener = Callable[[JobStatus, tuple[bytes, list[int]] | None], None]


def job_key(
    dataset: str,
    fingerprint: str,
    method: str,
    params: dict[str, Any],
    rows: list[int] | None,
    sphereize: bool = False,
) -> str:
    """The cache key and job id: a hash of every input that decides the result."""
    material = json.dumps(
        {
            "format": RESULT_FORMAT,
            "version": __version__,
            "dataset": dataset,
            "fingerprint": fingerprint,
            "method": method,
            "params": params,
            "rows": rows,
            "sphereize": sphereize,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.blake2b(material.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Submission:
    """What submit() answers: the job's status, the caller's cancel key, and whether it is new work."""

    status: JobStatus
    cancel_key: str | None  # None when the answer came from the result cache (nothing to cancel)
    created: bool  # a new job was queued; False for a cache hit or a join of an unfinished job


@dataclass
class _Worker:
    process: Any
    conn: Connection
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    job: str | None = None
    ready: bool = False
    warm: bool = False


@dataclass
class _Job:
    status: JobStatus
    spec: dict[str, Any]
    listeners: list[Listener] = field(default_factory=list)
    started: float | None = None
    confirmed: bool = False  # the worker said "started": it really has the job
    snapshot: tuple[bytes, list[int]] | None = None


class JobRunner:
    """Runs projection jobs in `workers` long-lived processes; finished results live on disk."""

    def __init__(self, results_dir: Path, workers: int, warm_up: bool = True) -> None:
        self.results_dir = results_dir
        self._warm_up = warm_up
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self._n_workers = workers
        self._ctx = mp.get_context("spawn")
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._jobs: dict[str, _Job] = {}
        self._queue: deque[str] = deque()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._retired: list[Connection] = []
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker processes and the thread that listens to them."""
        # openTSNE's OpenMP threads spin at barriers by default, which starves the other core on a
        # busy machine; workers inherit this at spawn, the only time OpenMP reads it.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with self._lock:
            for _ in range(self._n_workers):
                self._workers.append(self._spawn())
        self._thread = threading.Thread(target=self._listen, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every worker (running jobs are abandoned, not cached) and the listener thread."""
        with self._lock:
            self._stopping = True
            workers, self._workers = self._workers, []
        self._wake()
        for worker in workers:
            try:
                with worker.send_lock:
                    worker.conn.send(None)
            except OSError:
                pass
        for worker in workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
        if self._thread is not None:
            self._thread.join(timeout=2)

    def worker_pids(self) -> list[int]:
        """The pids of the live worker processes."""
        with self._lock:
            return [w.process.pid for w in self._workers]

    def workers_info(self) -> list[dict[str, Any]]:
        """Each worker's pid, whether it is busy and whether its warm-up finished."""
        with self._lock:
            return [{"pid": w.process.pid, "busy": w.job is not None, "warm": w.warm} for w in self._workers]

    def _wake(self) -> None:
        with self._wake_lock:
            self._wake_w.send(None)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main,
            args=(child, os.getpid(), self._warm_up),
            name="projector-worker",
            daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    # -- public API -----------------------------------------------------------------------------

    def submit(
        self,
        dataset: str,
        fingerprint: str,
        vectors_path: Path,
        method: str,
        params: dict[str, Any],
        rows: list[int] | None,
        metadata_path: Path | None = None,
        sphereize: bool = False,
        *,
        client: str = "local",
        max_seconds: float | None = None,
    ) -> Submission:
        """Start a job, or join the unfinished or return the cached one with the same key.

        `client` names who asked (for fair scheduling); `max_seconds` caps the job's run time.
        """
        key = job_key(dataset, fingerprint, method, params, rows, sphereize)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.status.status == "done":
                return Submission(job.status.model_copy(), None, False)
            if job is not None and job.status.status in ("queued", "running"):
                return Submission(job.status.model_copy(), secrets.token_urlsafe(16), False)
            cached = self._read_record(key)
            if cached is not None:
                return Submission(cached, None, False)
            status = JobStatus(
                id=key,
                dataset=dataset,
                method=method,
                params=params,
                rows=None if rows is None else len(rows),
                sphereize=sphereize,
                status="queued",
            )
            record = status.model_dump(mode="json")
            spec = {
                "id": key,
                "method": method,
                "params": params,
                "rows": rows,
                "sphereize": sphereize,
                "vectors_path": str(vectors_path),
                "metadata_path": None if metadata_path is None else str(metadata_path),
                "results_dir": str(self.results_dir),
                "record": record,
            }
            self._jobs[key] = _Job(status=status, spec=spec)
            self._queue.append(key)
            self._dispatch()
            return Submission(status.model_copy(), secrets.token_urlsafe(16), True)

    def status(self, job_id: str) -> JobStatus:
        """A job's current status, from the table or from the result cache on disk."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return self._current(job)
        cached = self._read_record(job_id)
        if cached is None:
            raise NotFound(f"no projection job {job_id!r}")
        return cached

    def coords_path(self, job_id: str) -> tuple[Path, list[int]]:
        """The finished job's float32 coordinates file and its shape; 409 while it is unfinished."""
        status = self.status(job_id)
        if status.status != "done" or status.shape is None:
            raise Conflict(f"projection {job_id} is {status.status}, it has no coordinates yet")
        return result_paths(self.results_dir, job_id).coords, status.shape

    def result_rows(self, job_id: str) -> np.ndarray | None:
        """The dataset rows (int64) a finished job projected, in its order; None when it took all rows."""
        status = self.status(job_id)
        if status.status != "done":
            raise Conflict(f"projection {job_id} is {status.status}, it has no result yet")
        if status.rows is None:
            return None
        rows = np.fromfile(result_paths(self.results_dir, job_id).rows, dtype="<i8")
        if rows.size != status.rows:
            raise RuntimeError(f"projection {job_id} saved {rows.size} rows, its record says {status.rows}")
        return rows

    def cancel(self, job_id: str, *, cancel_key: str | None = None, privileged: bool = True) -> JobStatus:
        """Cancel a queued job, or kill the worker running it and start a fresh one.

        `privileged` (the write token) cancels at once; otherwise `cancel_key` must be one this job
        handed out, and a job shared by several clients runs on until each has cancelled it.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return self.status(job_id)
            if job.status.status == "queued":
                self._queue.remove(job_id)
            elif job.status.status == "running":
                for i, worker in enumerate(self._workers):
                    if worker.job == job_id:
                        worker.process.kill()
                        worker.process.join(timeout=5)
                        self._retired.append(worker.conn)
                        self._workers[i] = self._spawn()
                        self._wake()
            else:
                return job.status.model_copy()
            self._update(job, status="cancelled")
            self._dispatch()
            return self._current(job)

    def snapshot(self, job_id: str) -> tuple[bytes, list[int], int]:
        """The latest intermediate coordinates of a job (float32 bytes, shape, sequence number)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.snapshot is None:
                raise NotFound(f"projection {job_id} has no intermediate coordinates")
            data, shape = job.snapshot
            return data, shape, job.status.snapshot

    def subscribe(self, job_id: str, listener: Listener) -> JobStatus:
        """Call `listener(status, snapshot)` on every change of the job; returns its status now."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return self.status(job_id)
            job.listeners.append(listener)
            return self._current(job)

    def unsubscribe(self, job_id: str, listener: Listener) -> None:
        """Stop calling `listener` for this job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and listener in job.listeners:
                job.listeners.remove(listener)

    def forget_dataset(self, dataset: str) -> None:
        """Drop the cached results of a deleted dataset."""
        for record in self.results_dir.glob("*.json"):
            try:
                if json.loads(record.read_bytes()).get("dataset") == dataset:
                    for path in result_paths(self.results_dir, record.stem):
                        path.unlink(missing_ok=True)
            except (OSError, ValueError):
                continue

    # -- internals -----------------------------------------------------------------------------

    def _read_record(self, job_id: str) -> JobStatus | None:
        files = result_paths(self.results_dir, job_id)
        if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
            return None
        try:
            status = JobStatus.model_validate_json(files.record.read_bytes())
        except (OSError, ValueError):
            return None
        if not files.coords.is_file() or (status.rows is not None and not files.rows.is_file()):
            return None  # incomplete, or a subset result from before row subsets were saved
        return status

    def _current(self, job: _Job) -> JobStatus:
        """The job's status with the live fields (elapsed time, queue position) filled in."""
        changes: dict[str, Any] = {}
        if job.status.status == "running" and job.started is not None:
            changes["elapsed"] = round(time.monotonic() - job.started, 3)
        if job.status.status == "queued" and job.status.id in self._queue:
            changes["queue_position"] = self._queue.index(job.status.id) + 1
        return job.status.model_copy(update=changes)

    def _update(self, job: _Job, snapshot: tuple[bytes, list[int]] | None = None, **changes: Any) -> None:
        if job.status.status in ("done", "failed", "cancelled"):
            return  # late messages from a worker never reopen a finished job
        if snapshot is not None:
            job.snapshot = snapshot
            changes["snapshot"] = job.status.snapshot + 1
        if changes.get("status") in ("done", "failed", "cancelled"):
            job.snapshot = None  # the result is on disk; a 400k snapshot would hold 3 MB for nothing
            if job.started is not None:
                changes.setdefault("elapsed", round(time.monotonic() - job.started, 3))
            changes["queue_position"] = None
        job.status = job.status.model_copy(update=changes)
        current = self._current(job)
        for listener in list(job.listeners):
            try:
                listener(current, snapshot)
            except Exception:
                log.exception("job listener failed")

    def _dispatch(self) -> None:
        """Hand queued jobs to idle workers (call with the lock held)."""
        for worker in self._workers:
            if not self._queue:
                return
            if worker.ready and worker.job is None:
                job_id = self._queue.popleft()
                job = self._jobs[job_id]
                try:
                    with worker.send_lock:
                        worker.conn.send(job.spec)
                except OSError:  # the worker just died; its sentinel will replace it
                    worker.ready = False
                    self._queue.appendleft(job_id)
                    continue
                worker.job = job_id
                job.started = time.monotonic()
                job.confirmed = False
                self._update(job, status="running", worker=worker.process.pid, queue_position=None)
                for waiting in list(self._queue):  # everyone behind moved up one place
                    self._update(self._jobs[waiting])

    def _listen(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                # Connections of killed workers are closed here, never while wait() may hold them.
                for conn in self._retired:
                    conn.close()
                self._retired.clear()
                by_conn = {w.conn: w for w in self._workers}
                by_sentinel = {w.process.sentinel: w for w in self._workers}
            ready = wait([self._wake_r, *by_conn, *by_sentinel])
            for item in ready:
                if item is self._wake_r:
                    self._wake_r.recv()
                elif item in by_conn:
                    self._receive(by_conn[item])
                else:
                    self._reap(by_sentinel[item])

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            return  # the sentinel reports the death
        kind = message[0]
        with self._lock:
            if worker not in self._workers:
                return
            if kind == "ready":
                worker.ready = True
                self._dispatch()
                return
            if kind in ("warm", "warm-failed"):
                worker.warm = kind == "warm"
                log.info("worker %s warm-up: %s", worker.process.pid, message[1])
                return
            job = self._jobs.get(message[1])
            if job is None or worker.job != message[1]:
                return
            if kind == "started":
                job.confirmed = True
            elif kind == "progress":
                _, _, fraction, info, snapshot = message
                self._update(job, snapshot, progress=fraction, info=info)
            elif kind == "done":
                _, _, shape, extras = message
                worker.job = None
                self._update(job, status="done", progress=1.0, shape=shape, extras=extras)
                self._dispatch()
            elif kind == "failed":
                _, _, error, detail = message
                log.error("projection %s failed:\n%s", message[1], detail)
                worker.job = None
                self._update(job, status="failed", error=error)
                self._dispatch()

    def _reap(self, worker: _Worker) -> None:
        """A worker died on its own (crash, out of memory): fail its job and replace it."""
        with self._lock:
            if worker not in self._workers or self._stopping:
                return
            worker.process.join(timeout=1)
            index = self._workers.index(worker)
            self._retired.append(worker.conn)
            self._workers[index] = self._spawn()
            if worker.job is not None and worker.job in self._jobs:
                job = self._jobs[worker.job]
                if job.confirmed:
                    self._update(job, status="failed", error="the worker process died while running this job")
                else:  # it died before it took the job: give the job to another worker
                    job.status = job.status.model_copy(update={"status": "queued", "worker": None})
                    self._queue.appendleft(job.status.id)
            self._dispatch()
