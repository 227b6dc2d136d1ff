"""The worker process loop: take a job, map the vectors, run the projection, write the result."""

from __future__ import annotations

import importlib
import io
import os
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from embedding_projector.datasets.store import read_column
from embedding_projector.analysis.graph_cache import ensure_graph
from embedding_projector.jobs.process_priority import WORKER_NICENESS, idle_priority
from embedding_projector.jobs.records import ResultFiles, read_record, result_paths
from embedding_projector.jobs.result_write import write_result
from embedding_projector.projections import pca_first
from embedding_projector.projections.methods import METHODS
from embedding_projector.projections.progress import Progress
from embedding_projector.projections.sphereize import sphereize

SNAPSHOT_INTERVAL = 0.25  # seconds between intermediate coordinate snapshots sent to the server


__all__ = ["WORKER_NICENESS", "ResultFiles", "result_paths", "run_job", "worker_main"]


def _exit_when_orphaned(parent: int) -> None:
    # A worker must never outlive the server, even one killed with SIGKILL. (Not PR_SET_PDEATHSIG:
    # it fires when the spawning *thread* ends, and workers are respawned from short-lived threads.)
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(1.0)


def start_numba_threads() -> None:
    """Start numba's parallel threads from this (normal-priority) thread, before a warm-up thread does.

    Threads inherit their creator's scheduling policy and an unprivileged thread can never leave
    SCHED_IDLE. numba's workqueue and TBB layers keep one pool per process, which must not be born
    in the warm-up thread, or every later UMAP job's parallel loops here would run at idle priority.
    (OpenMP keeps a team per calling thread, so the warm-up's own team never serves a job.)
    """
    try:
        from numba.np.ufunc import parallel

        parallel._launch_threads()
    except Exception:  # a numba without this private hook: the pool starts later, as before
        pass


def _load_rows(vectors_path: str, rows: np.ndarray | None) -> np.ndarray:
    vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
    if rows is None:
        return vectors
    return np.ascontiguousarray(vectors[rows])


def _supervision(module: Any, params: Any, job: dict[str, Any], rows: np.ndarray | None) -> dict[str, Any]:
    """`labels=` for a supervised run (the supervising column's values of the projected rows), else {}."""
    read = getattr(module, "column_read", None)
    column = read(params) if read is not None else None
    if column is None:
        return {}
    values = read_column(Path(job["metadata_path"]), column)
    return {"labels": values if rows is None else [values[i] for i in rows.tolist()]}


class Outbox:
    """The worker's end of its pipe; a lock because the warm-up thread also reports through it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, message: tuple) -> None:
        """Send one message to the server."""
        with self.lock:
            self.conn.send(message)


def _warm(outbox: Outbox, function: str, idle: threading.Event, yield_cpu: bool) -> None:
    # With `yield_cpu`, this thread only runs on a core nothing else wants (Linux keeps a policy per
    # thread). nice 19 was not enough: t-SNE's threads meet at a barrier every iteration, and a warm-up
    # that kept a core for one time slice each time made a job in another worker 1.4-4x slower.
    # SCHED_IDLE yields at once to any thread that wakes up.
    if yield_cpu:
        idle_priority()
    module, name = function.split(":")
    try:
        warm_up = getattr(importlib.import_module(module), name)
        outbox.send(("warm", warm_up(between_steps=idle.wait)))
    except Exception as exc:  # a failed warm-up only costs the first user run its compile time
        outbox.send(("warm-failed", f"{type(exc).__name__}: {exc}"))


def run_job(job: dict[str, Any], conn: Outbox) -> None:
    """Run one job and send started/progress/done (or failed) messages over `conn`."""
    job_id = job["id"]
    began = time.monotonic()
    conn.send(("started", job_id, os.getpid()))
    last_snapshot = 0.0

    def sink(fraction: float, info: dict[str, Any], coords: np.ndarray | None) -> None:
        nonlocal last_snapshot
        payload = None
        if coords is not None:
            now = time.monotonic()
            if now - last_snapshot >= SNAPSHOT_INTERVAL:
                last_snapshot = now
                payload = (coords.astype("<f4").tobytes(), list(coords.shape))
        conn.send(("progress", job_id, fraction, info, payload))

    module = METHODS[job["method"]]
    params = module.Params.model_validate(job["params"])
    # The row subset waits on disk (the server never keeps a million-row list in its job table).
    rows = None if job["rows_path"] is None else np.fromfile(job["rows_path"], dtype="<i8")
    if rows is not None and rows.size != job["record"]["rows"]:
        raise RuntimeError(f"the row subset file holds {rows.size} rows, the job asked for {job['record']['rows']}")
    progress = Progress(sink)
    if getattr(module, "NEEDS_COLUMN", False):
        # Pattern axes: centroids come from the whole dataset, coordinates only for `rows`.
        vectors = np.load(job["vectors_path"], mmap_mode="r", allow_pickle=False)
        if job.get("sphereize"):
            # The whole matrix is centred on the projected rows' mean, so those rows get the same
            # vectors as under any other method, and the centroids live in the same space.
            vectors = sphereize(vectors, mean_of=rows)
        values = read_column(Path(job["metadata_path"]), params.column)
        result = module.run(vectors, params, progress, column_values=values, rows=rows)
        n_rows = vectors.shape[0] if rows is None else rows.size
    else:
        vectors = _load_rows(job["vectors_path"], rows)
        if job.get("sphereize"):
            vectors = sphereize(vectors)
        reduced_to = getattr(params, "pca_dims", None) or 0
        if reduced_to:
            vectors = pca_first.reduce(vectors, reduced_to, progress.part(0.0, pca_first.SHARE))
            progress = progress.part(pca_first.SHARE, 1.0)
        inputs = _supervision(module, params, job, rows) | _layout(params, job)
        if job.get("inputs"):  # a method's extra inputs (extra_inputs hook), with where results live
            inputs["inputs"] = dict(job["inputs"], results_dir=job["results_dir"])
        needed = module.graph_needed(params, vectors.shape[0]) if hasattr(module, "graph_needed") else None
        if needed is not None:
            # The graph is its own cached job: found, or computed in this first phase and stored
            # (a 2-tuple always computes a missing graph; a third item None never does).
            metric, k, compute_k = (*needed, needed[1])[:3]
            spec = dict(job, fingerprint=pca_first.graph_fingerprint(job["fingerprint"], reduced_to))
            graph = ensure_graph(spec, vectors, metric, k, progress.part(0.0, GRAPH_SHARE), compute_k)
            if graph is not None:
                inputs["graph"] = graph
                if graph.computed:
                    progress = progress.part(GRAPH_SHARE, 1.0)
        result = module.run(vectors, params, progress, **inputs)
        n_rows = vectors.shape[0]
    shape, arrays = write_result(job, result, n_rows, time.monotonic() - began)
    conn.send(("done", job_id, shape, result.extras, arrays))


# How much of a job's progress bar the graph takes when a job has to compute it first.
GRAPH_SHARE = 0.5


def _layout(params: Any, job: dict[str, Any]) -> dict[str, Any]:
    """`layout=` (the coordinates of the finished job params.layout names) for an analysis of a layout, else {}."""
    layout = getattr(params, "layout", None)
    if layout is None:
        return {}
    results_dir = Path(job["results_dir"])
    status = read_record(results_dir, layout)
    if status is None or status.status != "done" or status.shape is None:
        raise RuntimeError(f"layout {layout} has no finished coordinates")
    coords = np.fromfile(result_paths(results_dir, layout).coords, dtype="<f4").reshape(status.shape)
    return {"layout": coords}


def worker_main(conn: Connection, parent_pid: int) -> None:
    """Entry point of a worker process: serve jobs from `conn` until told to stop.

    A ("warm-up", "module:function", yield_cpu) message starts the warm-up in a thread, so the
    worker still takes jobs; while one runs, the warm-up waits between its steps.
    """
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()
    outbox = Outbox(conn)
    outbox.send(("ready", os.getpid()))
    idle = threading.Event()
    idle.set()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if isinstance(job, tuple) and job[0] == "warm-up":
            _, function, yield_cpu = job
            if yield_cpu:
                start_numba_threads()
            threading.Thread(target=_warm, args=(outbox, function, idle, yield_cpu), name="warm-up",
                             daemon=True).start()
            continue
        idle.clear()
        try:
            run_job(job, outbox)
        except Exception as exc:  # reported to the job table; the worker stays alive
            detail = io.StringIO()
            traceback.print_exc(file=detail)
            outbox.send(("failed", job["id"], f"{type(exc).__name__}: {exc}", detail.getvalue()))
        finally:
            idle.set()
