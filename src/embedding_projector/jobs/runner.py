"""JobRunner: owns the worker processes, the job table and the on-disk result cache."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import numpy as np

from embedding_projector.atomic_files import atomic_write_bytes
from embedding_projector.errors import Forbidden, NotFound, Unauthorized
from embedding_projector.jobs.fair_queue import FairQueue
from embedding_projector.jobs.result_reads import ResultReads
from embedding_projector.jobs.job_key import RESULT_FORMAT, job_key
from embedding_projector.jobs.job_spec import new_job
from embedding_projector.jobs.warm_schedule import dispatch_order, next_to_warm
from embedding_projector.jobs.records import (
    INTERRUPTED,
    UNFINISHED,
    interrupted,
    mark_interrupted,
    read_record,
    result_paths,
    write_final_record,
    write_record,
)
from embedding_projector.jobs.worker_boot import boot_worker
from embedding_projector.schemas import JobStatus, ResultArray

log = logging.getLogger(__name__)

__all__ = ["RESULT_FORMAT", "JobRunner", "Listener", "Submission", "job_key"]

TERMINAL = ("done", "failed", "cancelled")
MAX_WARM_UP_HOLD = 60.0  # seconds after the first hold_warm_up that holds stop delaying the warm-up

Listener = Callable[[JobStatus, tuple[bytes, list[int]] | None], None]


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
    warming: bool = False  # asked to warm up and not done yet
    warm_failed: bool = False


@dataclass
class _Job:
    status: JobStatus
    spec: dict[str, Any]  # what the worker gets: paths and parameters, never the rows themselves
    client: str
    max_seconds: float | None
    keys: set[str] = field(default_factory=set)  # one cancel key per start or join not yet cancelled
    listeners: list[Listener] = field(default_factory=list)
    started: float | None = None
    confirmed: bool = False  # the worker said "started": it really has the job
    snapshot: tuple[bytes, list[int]] | None = None
    notified_position: int | None = None


class JobRunner(ResultReads):
    """Runs projection jobs in `workers` long-lived processes; finished results live on disk.

    The table holds only unfinished jobs: a job that ends leaves it, and its record is read from
    the results folder when asked.
    """

    def __init__(self, results_dir: Path, workers: int, warm_up: bool = True,
                 warm_up_function: str = "embedding_projector.jobs.warmup:warm_up",
                 owns_results: bool = True) -> None:
        """`warm_up_function` ("module:function") is what a worker runs when asked to warm up.

        `owns_results`: this runner alone writes `results_dir`, so an unfinished record found at
        start was left by its own crash. A queue worker shares the folder with other machines and
        says False (the queue's table, not the folder, knows what is unfinished).
        """
        self.results_dir = results_dir
        self._owns_results = owns_results
        self._warm_up = warm_up
        self._warm_up_function = warm_up_function
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self._n_workers = workers
        self._ctx = mp.get_context("spawn")
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._jobs: dict[str, _Job] = {}
        self._queue = FairQueue()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._retired: list[Connection] = []
        self._stopping = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._warm_hold_until = 0.0  # no warm-up starts before this time.monotonic() (hold_warm_up)
        self._warm_hold_first = 0.0  # when the first hold came
        self._hold_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Mark jobs a crash left unfinished as interrupted, start the workers and their listener."""
        if self._owns_results:
            mark_interrupted(self.results_dir)
        # openTSNE's OpenMP threads spin at barriers by default, which starves the other core on a
        # busy machine; workers inherit this at spawn, the only time OpenMP reads it.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with self._lock:
            for _ in range(self._n_workers):
                self._workers.append(self._spawn())
        self._thread = threading.Thread(target=self._listen, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Fail every unfinished job as interrupted (their event streams end), stop the workers.

        Safe to call twice and from any thread: a second call waits for the first.
        """
        with self._lock:
            if self._stopping:
                first = False
            else:
                first = True
                workers, self._workers = self._workers, []
                self._queue.clear()
                for job in list(self._jobs.values()):
                    self._update(job, status="failed", error=INTERRUPTED)
                # Only now, so a stream that sees `closed` finds its job's last status already sent.
                self._stopping = True
        if not first:
            self._stopped.wait(timeout=10)
            return
        try:
            self._wake()
            for worker in workers:
                if worker.job is not None:
                    worker.process.kill()  # its job is already marked interrupted
                    continue
                try:
                    with worker.send_lock:
                        worker.conn.send(None)
                except OSError:
                    pass
            deadline = time.monotonic() + 1.0
            for worker in workers:
                worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join(timeout=2)
            if self._thread is not None:
                self._thread.join(timeout=2)
        finally:
            self._stopped.set()

    @property
    def closed(self) -> bool:
        """Whether stop() has begun: event streams end and no job starts."""
        return self._stopping

    def worker_pids(self) -> list[int]:
        """The pids of the live worker processes."""
        with self._lock:
            return [w.process.pid for w in self._workers]

    def workers_info(self) -> list[dict[str, Any]]:
        """Each worker's pid, whether it is busy, whether its warm-up runs and whether it finished."""
        with self._lock:
            return [{"pid": w.process.pid, "busy": w.job is not None, "warm": w.warm, "warming": w.warming}
                    for w in self._workers]

    def _wake(self) -> None:
        with self._wake_lock:
            self._wake_w.send(None)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=boot_worker,
            args=(child, os.getpid()),
            name="projector-worker",
            daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def _replace(self, worker: _Worker, failed: str | None = None) -> None:
        """Kill a worker already taken out of the pool and add a fresh one (never under the lock).

        With `failed`, its job is failed with that error once the process is gone and replaced.
        """
        worker.process.kill()
        worker.process.join(timeout=5)
        fresh = None if self._stopping else self._spawn()
        with self._lock:
            self._retired.append(worker.conn)  # closed by the listener, never while wait() holds it
            if fresh is not None and self._stopping:
                fresh.process.kill()
            elif fresh is not None:
                self._workers.append(fresh)
            job = self._jobs.get(worker.job) if failed is not None and worker.job is not None else None
            if job is not None:
                self._update(job, status="failed", error=failed)
        self._wake()

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
        edit_version: int | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Submission:
        """Start a job, or join the unfinished or return the cached one with the same key.

        `client` names who asked (jobs are scheduled round-robin over clients); `max_seconds` caps
        the job's run time (None: no cap). Each start or join answers its own cancel key.
        `edit_version` is the metadata version of the column the job reads (part of its key).
        `inputs` are the method's extra inputs (spec["inputs"], and part of its key).
        """
        key = job_key(dataset, fingerprint, method, params, rows, sphereize, edit_version, inputs)
        files = result_paths(self.results_dir, key)
        with self._lock:
            known = self._join_or_cached(key, max_seconds)
        if known is not None:
            return known
        if rows is not None:  # outside the lock: a million rows take a moment to write
            atomic_write_bytes(files.rows, np.asarray(rows, dtype="<i8").tobytes())
        with self._lock:
            known = self._join_or_cached(key, max_seconds)  # someone else may have started it meanwhile
            if known is not None:
                return known
            if self._stopping:
                raise RuntimeError("the job runner is stopping")
            status, spec = new_job(self.results_dir, key, dataset, fingerprint, vectors_path, method, params,
                                   None if rows is None else len(rows), metadata_path, sphereize, inputs)
            write_record(files.record, spec["record"])
            return self._queue_new(status, spec, client, max_seconds)

    def run_spec(self, status: JobStatus, spec: dict[str, Any], client: str,
                 max_seconds: float | None) -> Submission:
        """Queue a job another process admitted (a queue worker's job), or join it if it runs here."""
        with self._lock:
            known = self._join_or_cached(status.id, max_seconds)
            if known is not None:
                return known
            if self._stopping:
                raise RuntimeError("the job runner is stopping")
            return self._queue_new(status.model_copy(update={"status": "queued", "worker": None}), spec,
                                   client, max_seconds)

    def _queue_new(self, status: JobStatus, spec: dict[str, Any], client: str,
                   max_seconds: float | None) -> Submission:
        """Put a new job in the table and the queue, and dispatch (lock held)."""
        job = _Job(status=status, spec=spec, client=client, max_seconds=max_seconds)
        cancel_key = secrets.token_urlsafe(16)
        job.keys.add(cancel_key)
        self._jobs[status.id] = job
        self._queue.push(status.id, client)
        self._dispatch()
        return Submission(self._current(job), cancel_key, True)

    def _join_or_cached(self, key: str, max_seconds: float | None) -> Submission | None:
        """Join the unfinished job `key` or answer its finished result; None: it must run (lock held)."""
        job = self._jobs.get(key)
        if job is not None:
            if max_seconds is None or job.max_seconds is None:
                job.max_seconds = None  # an uncapped client (the token holder) shares it: no limit
            else:
                job.max_seconds = max(job.max_seconds, max_seconds)
            cancel_key = secrets.token_urlsafe(16)
            job.keys.add(cancel_key)
            return Submission(self._current(job), cancel_key, False)
        cached = read_record(self.results_dir, key)
        if cached is not None and cached.status == "done":
            return Submission(cached, None, False)
        return None  # never run, or failed, cancelled or interrupted: run it again

    def status(self, job_id: str) -> JobStatus:
        """A job's current status, from the table (unfinished) or from its record on disk."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return self._current(job)
        record = read_record(self.results_dir, job_id)
        if record is None:
            raise NotFound(f"no projection job {job_id!r}")
        if record.status in UNFINISHED:
            with self._lock:  # it may have been submitted between the two looks
                job = self._jobs.get(job_id)
                if job is not None:
                    return self._current(job)
            # ...or ended: _finish() writes the final record before it lets go of the lock.
            record = read_record(self.results_dir, job_id) or record
            if record.status in UNFINISHED:
                return interrupted(record)  # left by a server that is gone
        return record

    def cancel(self, job_id: str, *, cancel_key: str | None = None, privileged: bool = True) -> JobStatus:
        """Cancel a queued job, or kill the worker running it and start a fresh one.

        `privileged` (the write token) cancels at once; otherwise `cancel_key` must be one this job
        handed out (401 without one, 403 for a wrong one), and a job shared by several clients runs
        on until each has cancelled it: the answer then still says queued or running.
        """
        worker = None
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                worker, final = self._cancel(job, cancel_key, privileged)
        if job is None:
            return self.status(job_id)  # finished already: nothing to cancel (or a 404)
        if worker is not None:
            self._replace(worker)
        return final

    def _cancel(self, job: _Job, cancel_key: str | None, privileged: bool) -> tuple[_Worker | None, JobStatus]:
        """cancel() under the lock: the worker to replace (if any) and the answer."""
        job_id = job.status.id
        worker = None
        if not privileged:
            if cancel_key is None:
                raise Unauthorized(
                    f"cancelling projection {job_id} needs the cancel key its start answered "
                    "(header X-Cancel-Key) or the write token"
                )
            if cancel_key not in job.keys:
                raise Forbidden(f"the cancel key given for projection {job_id} is not valid")
            job.keys.discard(cancel_key)
            if job.keys:
                return None, self._current(job)  # another client still wants this result
        if job.status.status == "running":
            worker = self._detach_worker_of(job_id)
        self._update(job, status="cancelled")
        final = self._current(job)
        self._dispatch()
        return worker, final

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
            if job is not None:
                job.listeners.append(listener)
                return self._current(job)
        return self.status(job_id)

    def unsubscribe(self, job_id: str, listener: Listener) -> None:
        """Stop calling `listener` for this job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and listener in job.listeners:
                job.listeners.remove(listener)

    def unfinished(self) -> int:
        """How many jobs the table holds (queued or running)."""
        with self._lock:
            return len(self._jobs)

    # -- internals (call with the lock held) ---------------------------------------------------

    def _current(self, job: _Job) -> JobStatus:
        """The job's status with the live fields (elapsed time, queue position) filled in."""
        changes: dict[str, Any] = {}
        if job.status.status == "running" and job.started is not None:
            changes["elapsed"] = round(time.monotonic() - job.started, 3)
        if job.status.status == "queued":
            changes["queue_position"] = self._queue.position(job.status.id)
        return job.status.model_copy(update=changes)

    def _update(self, job: _Job, snapshot: tuple[bytes, list[int]] | None = None, **changes: Any) -> None:
        if job.status.status in TERMINAL:
            return  # late messages from a worker never reopen a finished job
        if snapshot is not None:
            job.snapshot = snapshot
            changes["snapshot"] = job.status.snapshot + 1
        ending = changes.get("status") in TERMINAL
        if ending:
            job.snapshot = None  # the result is on disk; a 400k snapshot would hold 3 MB for nothing
            if job.started is not None:
                changes.setdefault("elapsed", round(time.monotonic() - job.started, 3))
            changes["queue_position"] = None
        job.status = job.status.model_copy(update=changes)
        current = self._current(job)
        if ending:
            self._finish(job)
        for listener in list(job.listeners):
            try:
                listener(current, snapshot)
            except Exception:
                log.exception("job listener failed")

    def _finish(self, job: _Job) -> None:
        """Take an ended job out of the table; its record on disk answers from now on."""
        job_id = job.status.id
        self._jobs.pop(job_id, None)
        self._queue.remove(job_id)
        if job.status.status != "done":
            try:
                write_final_record(self.results_dir, job.status)  # unless the worker has just finished it
            except OSError:
                log.exception("could not write the record of job %s", job_id)
        self._notify_positions()

    def _notify_positions(self) -> None:
        """Tell the followers of each queued job whose place in line changed."""
        for job_id, position in self._queue.positions().items():
            job = self._jobs[job_id]
            if job.notified_position != position:
                job.notified_position = position
                self._update(job)

    def _detach_worker_of(self, job_id: str) -> _Worker | None:
        """Take the worker running `job_id` out of the pool (the caller replaces it)."""
        for worker in self._workers:
            if worker.job == job_id:
                self._workers.remove(worker)
                return worker
        return None

    def _dispatch(self) -> None:
        """Hand queued jobs to idle workers (round-robin over clients), then let one idle worker warm up."""
        for worker in dispatch_order(self._workers):
            if not self._queue:
                break
            if worker.ready and worker.job is None:
                job_id = self._queue.pop()
                job = self._jobs[job_id]
                try:
                    with worker.send_lock:
                        worker.conn.send(job.spec)
                except OSError:  # the worker just died; its sentinel will replace it
                    worker.ready = False
                    self._queue.push(job_id, job.client, front=True)
                    continue
                worker.job = job_id
                job.started = time.monotonic()
                job.confirmed = False
                job.notified_position = None
                self._update(job, status="running", worker=worker.process.pid, queue_position=None)
                if job.max_seconds is not None:
                    self._wake()  # the listener's wait must now end at this job's time limit
        self._notify_positions()
        self._start_warm_up()

    def hold_warm_up(self, seconds: float) -> None:
        """Start no warm-up for `seconds` (a page is loading; a warm-up already running goes on).

        On 2 cores even a compile at idle priority, or a loop that only spins there, made a software
        renderer's first frame of a million points 2-4x slower (0.6 s alone).
        """
        now = time.monotonic()
        with self._hold_lock:  # not the runner's lock: pages call this on the event loop
            self._warm_hold_first = self._warm_hold_first or now
            # Pages that keep coming (a busy public server) delay the warm-up a minute at most.
            limit = self._warm_hold_first + MAX_WARM_UP_HOLD
            self._warm_hold_until = max(self._warm_hold_until, min(now + seconds, limit))
        # The listener waits until the hold ends, then starts what it held back; before it runs (or
        # after it stopped) nothing is woken, so a page can never wait on a full wake-up pipe.
        if self._warm_up and self._thread is not None and self._thread.is_alive():
            self._wake()

    def _start_warm_up(self) -> None:
        """Ask the next idle cold worker to warm up (one at a time: warm_schedule.py), unless held."""
        if time.monotonic() < self._warm_hold_until:
            return
        worker = next_to_warm(self._workers) if self._warm_up and not self._stopping else None
        if worker is None:
            return
        try:
            with worker.send_lock:
                worker.conn.send(("warm-up", self._warm_up_function, self._n_workers > 1))
        except OSError:  # it just died; its sentinel will replace it
            worker.ready = False
            return
        worker.warming = True

    def _overdue(self) -> tuple[list[tuple[_Worker, str]], float | None]:
        """Take the workers of jobs past their time limit out of the pool; seconds to the next limit."""
        now = time.monotonic()
        overdue, next_in = [], None
        for worker in list(self._workers):
            job = self._jobs.get(worker.job) if worker.job is not None else None
            if job is None or job.max_seconds is None or job.started is None:
                continue
            left = job.started + job.max_seconds - now
            if left > 0:
                next_in = left if next_in is None else min(next_in, left)
                continue
            self._workers.remove(worker)
            overdue.append((worker, f"stopped after the time limit of {job.max_seconds:g} s"))
        return overdue, next_in

    # -- the listener thread -------------------------------------------------------------------

    def _listen(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                for conn in self._retired:
                    conn.close()
                self._retired.clear()
                overdue, timeout = self._overdue()
                held = self._warm_hold_until - time.monotonic()
                if held > 0:
                    timeout = held if timeout is None else min(timeout, held)
                else:
                    self._start_warm_up()  # one a hold kept back (nothing when none is due)
                by_conn = {w.conn: w for w in self._workers}
                by_sentinel = {w.process.sentinel: w for w in self._workers}
            for worker, error in overdue:  # kill and respawn off this thread, which must keep listening
                threading.Thread(target=self._replace, args=(worker, error), name="job-runner-replace",
                                 daemon=True).start()
            ready = wait([self._wake_r, *by_conn, *by_sentinel], timeout=timeout)
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
                worker.warm, worker.warm_failed, worker.warming = kind == "warm", kind == "warm-failed", False
                log.info("worker %s warm-up: %s", worker.process.pid, message[1])
                self._start_warm_up()
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
                _, _, shape, extras, arrays = message
                worker.job = None
                self._update(job, status="done", progress=1.0, shape=shape, extras=extras,
                             arrays={name: ResultArray(**info) for name, info in arrays.items()})
                self._dispatch()
            elif kind == "failed":
                _, _, error, detail = message
                log.error("projection %s failed:\n%s", message[1], detail)
                worker.job = None
                self._update(job, status="failed", error=error)
                self._dispatch()

    def _reap(self, worker: _Worker) -> None:
        """A worker died on its own (crash, out of memory, kill -9): fail its job and replace it."""
        with self._lock:
            if worker not in self._workers or self._stopping:
                return
            self._workers.remove(worker)
            worker.process.join(timeout=1)  # it is dead (its sentinel fired): this only reads its exit code
            code = worker.process.exitcode
            cause = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            job = self._jobs.get(worker.job) if worker.job is not None else None
            failed = None
            if job is not None:
                if job.confirmed:  # failed by _replace once the fresh worker is in the pool
                    failed = f"the worker process died while running this job ({cause})"
                else:  # it died before it took the job: give the job to another worker
                    job.status = job.status.model_copy(update={"status": "queued", "worker": None})
                    job.started = None
                    self._queue.push(job.status.id, job.client, front=True)
                    worker.job = None
            self._dispatch()
        self._replace(worker, failed)
